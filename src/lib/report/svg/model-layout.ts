/**
 * How a report's tensors are grouped for people: where a tensor sits in the model (layer stack,
 * layer index, module — parsed from Hugging Face / GGUF style names) and how worrying its change
 * is (a real change, rounding only, or identical). Shared by the HTML and Markdown reports.
 */
import type { ReportTensor } from '../types.ts';

export interface LayerPosition {
  /** Everything before the layer index: "model.layers", "transformer.h", "blk", "vision_model.encoder.layers". */
  stack: string;
  layer: number;
  /** What follows the index, without a final ".weight"; further indices (MoE experts) become "*". */
  module: string;
}

/** Layer indices beyond this are not layer numbers (no model has a million layers). */
const MAX_LAYER_INDEX = 999_999;

/**
 * "model.layers.3.self_attn.o_proj.weight" → { stack "model.layers", layer 3, module "self_attn.o_proj" };
 * "blk.3.attn_q.weight" → { "blk", 3, "attn_q" }; "model.layers.3.mlp.experts.17.up_proj.weight" →
 * module "mlp.experts.*.up_proj" (experts share one heatmap row). Null for tensors outside a stack
 * ("model.embed_tokens.weight", "lm_head.weight").
 */
export function parseLayerName(name: string): LayerPosition | null {
  const parts = name.split('.');
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,6}$/.test(p) || Number(p) > MAX_LAYER_INDEX) continue;
    let rest = parts.slice(i + 1);
    if (rest.length > 1 && rest[rest.length - 1] === 'weight') rest = rest.slice(0, -1);
    return { stack: parts.slice(0, i).join('.'), layer: Number(p), module: rest.map((r) => (/^\d+$/.test(r) ? '*' : r)).join('.') };
  }
  return null;
}

/**
 * changed: a difference rounding cannot explain (or could not be checked); rounding: a cast whose
 * every difference is within the narrower dtype's rounding; identical: the same bytes.
 */
export type ChangeGroup = 'changed' | 'rounding' | 'identical';

export function changeGroup(t: ReportTensor): ChangeGroup {
  if (t.status === 'identical') return 'identical';
  if (t.status === 'dtype-changed' && t.delta?.edit.kind === 'precision') return 'rounding';
  if (t.status === 'modified' && t.delta !== undefined && (t.delta.edit.kind === 'identical' || t.delta.changedCount === 0)) return 'identical';
  return 'changed';
}

const STATUS_WEIGHT: Record<ReportTensor['status'], number> = { added: 5, removed: 5, 'shape-changed': 5, unverified: 4, modified: 3, 'dtype-changed': 2, identical: 0 };

/** Changed tensors, most telling first: structural changes, then by relative change. */
export function rankChanged(tensors: readonly ReportTensor[]): ReportTensor[] {
  return tensors
    .filter((t) => changeGroup(t) === 'changed')
    .map((t, i) => ({ t, i }))
    .sort((a, b) => STATUS_WEIGHT[b.t.status] - STATUS_WEIGHT[a.t.status] || (b.t.delta?.relL2 ?? Infinity) - (a.t.delta?.relL2 ?? Infinity) || a.i - b.i)
    .map(({ t }) => t);
}

/** In words, for someone who has never seen the tool. */
export const EDIT_KIND_WORDS: Record<string, string> = {
  identical: 'no element differs',
  precision: 'every difference is within the rounding of the narrower number format — what a dtype conversion or quantization does',
  sparse: 'a handful of individual numbers changed — typical of bit flips or targeted single-weight edits',
  rows: 'a few whole rows were rewritten — e.g. the vectors of specific tokens in an embedding, or single neurons',
  'rank-1': 'the change is one outer product u·vᵀ — the signature of model-editing methods such as ROME',
  'low-rank': 'the change has low rank — the signature of a merged LoRA adapter or a low-rank edit',
  dense: 'nearly every number moved — what fine-tuning or retraining does',
};

export const STATUS_WORDS: Record<ReportTensor['status'], string> = {
  identical: 'identical',
  modified: 'modified',
  added: 'added in suspect',
  removed: 'missing from suspect',
  'shape-changed': 'shape changed',
  'dtype-changed': 'dtype changed',
  unverified: 'not read to the end (unverified)',
};
