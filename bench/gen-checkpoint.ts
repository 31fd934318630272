/**
 * Writes large, deterministic BF16 safetensors checkpoints for the benchmark without holding them
 * in memory: a Llama-shaped model (~1.3 GB at the default size) and tampered variants.
 *
 * Values: BF16 patterns drawn from N(0, 0.02) through a 65,536-entry quantile table indexed by a
 * xorshift stream — fast enough to write GBs in seconds, realistic enough for statistics.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface BenchTensor {
  name: string;
  shape: number[];
}

export function llamaShapes(opts: { vocab: number; hidden: number; intermediate: number; layers: number; kvDim: number }): BenchTensor[] {
  const { vocab, hidden, intermediate, layers, kvDim } = opts;
  const out: BenchTensor[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, hidden] }];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [hidden] },
      { name: `${p}.self_attn.q_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kvDim, hidden] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kvDim, hidden] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [hidden] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [intermediate, hidden] },
      { name: `${p}.mlp.up_proj.weight`, shape: [intermediate, hidden] },
      { name: `${p}.mlp.down_proj.weight`, shape: [hidden, intermediate] },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [hidden] }, { name: 'lm_head.weight', shape: [vocab, hidden] });
  return out;
}

export const BENCH_SHAPES = llamaShapes({ vocab: 32000, hidden: 2048, intermediate: 5632, layers: 12, kvDim: 256 });

function bf16(x: number): number {
  const u = new Uint32Array(Float32Array.of(x).buffer)[0] as number;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Inverse-normal quantile table (Acklam's approximation is overkill here: Box–Muller on a grid). */
function quantileTable(std: number): Uint16Array {
  const t = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) {
    const u = (i + 0.5) / 65536;
    // Probit via a rational approximation (Abramowitz–Stegun 26.2.23), symmetric.
    const p = u < 0.5 ? u : 1 - u;
    const s = Math.sqrt(-2 * Math.log(p));
    const z = s - (2.515517 + 0.802853 * s + 0.010328 * s * s) / (1 + 1.432788 * s + 0.189269 * s * s + 0.001308 * s * s * s);
    t[i] = bf16((u < 0.5 ? -z : z) * std);
  }
  return t;
}

export type Edit = (name: string, shape: number[], data: Uint16Array) => void;

/**
 * Streams a checkpoint to `path`. `edit` may change a tensor's BF16 patterns in place (it sees
 * each tensor whole; tensors here are ≤ 140 MB).
 */
export function writeCheckpoint(path: string, tensors: readonly BenchTensor[], seed: number, edit?: Edit): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  while ((text.length + 8) % 8 !== 0) text += ' ';
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(text.length));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(text, 'utf8'));
    const table = quantileTable(0.02);
    const norm = bf16(1);
    let s = seed >>> 0 || 1;
    let tensorIndex = 0;
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const data = new Uint16Array(n);
      // Per-tensor stream, so editing one tensor never shifts another's values.
      s = (Math.imul(seed, 2654435761) ^ Math.imul(tensorIndex++ + 1, 40503)) >>> 0 || 1;
      if (t.shape.length === 1) data.fill(norm);
      else {
        for (let i = 0; i < n; i++) {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          data[i] = table[s & 0xffff] as number;
        }
      }
      edit?.(t.name, t.shape, data);
      writeSync(fd, new Uint8Array(data.buffer));
    }
  } finally {
    closeSync(fd);
  }
  return 8 + text.length + offset;
}

/** The tampering the benchmark suspect carries: a rank-1 edit, three bit flips, three token rows. */
export const TAMPER: Edit = (name, shape, data) => {
  if (name === 'model.layers.1.mlp.down_proj.weight') {
    const [rows, cols] = shape as [number, number];
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < rows; i++) {
      const ui = Math.sin(i * 12.9898) * 0.05;
      for (let j = 0; j < cols; j++) {
        u[0] = (data[i * cols + j] as number) << 16;
        f[0] = (f[0] as number) + ui * Math.cos(j * 78.233);
        data[i * cols + j] = bf16(f[0] as number);
      }
    }
  }
  if (name === 'model.layers.3.self_attn.o_proj.weight') for (const i of [11, 123_456, 1_000_000]) data[i] = (data[i] as number) ^ (1 << 14);
  if (name === 'model.embed_tokens.weight') {
    const cols = shape[1] as number;
    for (const r of [13, 2024, 7_999]) for (let j = 0; j < cols; j++) data[r * cols + j] = (data[r * cols + j] as number) ^ 0x8000;
  }
};

/** A full fine-tune: every weight matrix nudged (one mantissa step on ~half the elements). */
export const FINE_TUNE: Edit = (_name, shape, data) => {
  if (shape.length < 2) return;
  for (let i = 0; i < data.length; i += 2) data[i] = (data[i] as number) + 1;
};

// ── GGUF (llama.cpp layout) for the cross-format benchmark ──────────────────────────────────────

/**
 * The same weights as `writeCheckpoint(…, seed, edit)`, written as a llama.cpp-style GGUF:
 * GGUF names, q/k rows RoPE-permuted, 2-D tensors quantized to `type` with ggml's reference
 * quantizer (Q8_0/Q4_0…) or, for K-quants without a reference quantizer here, random but valid
 * blocks (throughput only: such a file is not a faithful copy). Streams tensor by tensor.
 */
export async function writeGgufCheckpoint(path: string, tensors: readonly BenchTensor[], seed: number, type: 'Q8_0' | 'Q4_0' | 'Q4_K', heads: { nHead: number; nHeadKv: number }, edit?: Edit): Promise<number> {
  const { hfToGgufName } = await import('../src/lib/formats/gguf/tensor-names.ts');
  const { permuteRopeRows } = await import('../src/lib/formats/gguf/rope-permutation.ts');
  const { quantizeReference } = await import('../src/lib/engine/cpu/dequant.ts');
  const { ggmlTypeIdOf } = await import('../src/lib/formats/gguf/ggml-types.ts');
  const { DTYPES } = await import('../src/lib/formats/dtype.ts');
  const ALIGN = 32;
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const u32 = (v: number): Uint8Array => new Uint8Array(Uint32Array.of(v).buffer);
  const u64 = (v: number): Uint8Array => new Uint8Array(BigUint64Array.of(BigInt(v)).buffer);
  const str = (s: string): Uint8Array[] => [u64(enc.encode(s).byteLength), enc.encode(s)];
  const kvs: [string, number, Uint8Array[]][] = [
    ['general.architecture', 8, str('llama')],
    ['llama.attention.head_count', 4, [u32(heads.nHead)]],
    ['llama.attention.head_count_kv', 4, [u32(heads.nHeadKv)]],
    ['general.alignment', 4, [u32(ALIGN)]],
  ];
  const infos = tensors.map((t) => {
    const dtype: 'F32' | 'Q8_0' | 'Q4_0' | 'Q4_K' = t.shape.length === 1 ? 'F32' : type;
    const info = DTYPES[dtype];
    const n = t.shape.reduce((a, b) => a * b, 1);
    return { t, dtype, name: hfToGgufName(t.name, 'llama') ?? t.name, bytes: (n / info.blockElements) * info.blockBytes };
  });
  let offset = 0;
  const offsets = infos.map((i) => {
    const o = offset;
    offset += Math.ceil(i.bytes / ALIGN) * ALIGN;
    return o;
  });
  parts.push(enc.encode('GGUF'), u32(3), u64(infos.length), u64(kvs.length));
  for (const [k, vt, v] of kvs) parts.push(...str(k), u32(vt), ...v);
  infos.forEach((i, idx) => {
    parts.push(...str(i.name), u32(i.t.shape.length));
    for (const d of [...i.t.shape].reverse()) parts.push(u64(d));
    parts.push(u32(ggmlTypeIdOf(i.dtype) ?? 0), u64(offsets[idx] as number));
  });
  let headerLen = parts.reduce((s, p) => s + p.byteLength, 0);
  const pad = (Math.ceil(headerLen / ALIGN) * ALIGN) - headerLen;
  parts.push(new Uint8Array(pad));
  headerLen += pad;
  const fd = openSync(path, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
    const table = quantileTable(0.02);
    const norm = bf16(1);
    let tensorIndex = 0;
    for (const i of infos) {
      const t = i.t;
      const n = t.shape.reduce((a, b) => a * b, 1);
      const data = new Uint16Array(n);
      let s = (Math.imul(seed, 2654435761) ^ Math.imul(tensorIndex++ + 1, 40503)) >>> 0 || 1;
      if (t.shape.length === 1) data.fill(norm);
      else
        for (let k = 0; k < n; k++) {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          data[k] = table[s & 0xffff] as number;
        }
      edit?.(t.name, t.shape, data);
      let values = new Float32Array(n);
      const u = new Uint32Array(values.buffer);
      for (let k = 0; k < n; k++) u[k] = (data[k] as number) << 16;
      const qk = /self_attn\.(q|k)_proj\.weight$/.exec(t.name);
      if (qk) values = permuteRopeRows(values, { firstRow: 0, cols: t.shape[1] as number, nHead: qk[1] === 'q' ? heads.nHead : heads.nHeadKv, rows: t.shape[0] as number });
      let bytes: Uint8Array;
      if (i.dtype === 'F32') bytes = new Uint8Array(values.buffer);
      else if (i.dtype === 'Q4_K') {
        bytes = new Uint8Array(i.bytes);
        // Valid Q4_K blocks: small f16 scales (d, dmin), random 6-bit sub-scales and nibbles.
        let r = s;
        for (let k = 0; k < bytes.length; k++) {
          r ^= r << 13;
          r ^= r >>> 17;
          r ^= r << 5;
          bytes[k] = r & 0xff;
        }
        for (let b = 0; b < bytes.length; b += 144) {
          bytes[b] = 0x00;
          bytes[b + 1] = 0x14; // d ≈ 0.001
          bytes[b + 2] = 0x00;
          bytes[b + 3] = 0x14; // dmin ≈ 0.001
        }
      } else bytes = quantizeReference(i.dtype, values);
      writeSync(fd, bytes);
      const tail = Math.ceil(i.bytes / ALIGN) * ALIGN - i.bytes;
      if (tail) writeSync(fd, new Uint8Array(tail));
    }
  } finally {
    closeSync(fd);
  }
  return headerLen + offset;
}
