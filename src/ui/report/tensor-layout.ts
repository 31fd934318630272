/**
 * Where a tensor sits in the network, from its name alone: the layer index and the module within
 * the layer. Covers Hugging Face names ("model.layers.12.mlp.down_proj.weight",
 * "transformer.h.3.attn.c_attn.weight", "encoder.layer.5.output.dense.weight") and GGUF names
 * ("blk.12.ffn_down.weight"). Anything else is a non-layer tensor (embeddings, final norm, head).
 */

export interface TensorPlace {
  /** Layer index, or null for tensors outside the repeated blocks. */
  layer: number | null;
  /** Module name within the layer ("mlp.down_proj.weight"), or the whole name for non-layer tensors. */
  module: string;
}

const LAYER_RE = /(?:^|\.)(?:layers|layer|h|blk|blocks|block)\.(\d{1,6})\.(.+)$/;

export function placeOf(name: string): TensorPlace {
  const m = LAYER_RE.exec(name);
  if (m?.[1] !== undefined && m[2] !== undefined) return { layer: Number(m[1]), module: m[2] };
  return { layer: null, module: name };
}

/**
 * Splits a name for middle truncation in narrow cells: the tail (from the layer index on, or the
 * last 28 characters) always stays visible, the head gives way first — so
 * "model.layers.3.self_attn.o_proj.weight" shrinks to "model.la…3.self_attn.o_proj.weight".
 */
export function splitForEllipsis(name: string): { head: string; tail: string } {
  const m = LAYER_RE.exec(name);
  if (m?.[1] !== undefined) {
    const at = m.index + m[0].length - (m[1].length + 1 + (m[2]?.length ?? 0));
    return { head: name.slice(0, at), tail: name.slice(at) };
  }
  const cut = Math.max(0, name.length - 28);
  return { head: name.slice(0, cut), tail: name.slice(cut) };
}
