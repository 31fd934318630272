/**
 * CPU twins of the activation kernels (shaders/act-*.wgsl): the same arguments and semantics, on
 * Float32Arrays. Sums run in f64 (JavaScript numbers) and are stored as f32, so these are at least
 * as accurate as the GPU's f32 accumulation; tests/unit/activations and the browser tests hold both
 * to the documented tolerance (tests/fixtures/activations/README.md).
 *
 * Each function names its kernel. Math follows transformers' modules exactly:
 * LlamaRMSNorm (x · rsqrt(mean(x²) + ε) · w), nn.LayerNorm (biased variance), rotate_half RoPE,
 * eager attention with an f32 softmax, SiLU (x·σ(x)), NewGELU (tanh form) and GELU (erf form).
 */
import { SPARSITY_RELATIVE, type ActivationArgs } from '../backend.ts';
import type { Activation, NormKind } from '../spec.ts';

/**
 * act-matmul.wgsl: y[t, j] (+)= Σ_k x[t, k]·w[j, k] + bias[j].
 *
 * Tiled for the JIT: 4 weight rows at a time (each x value loaded once for 4 products) and, for
 * prefill, 2 rows of x (each weight value loaded once for 2): ~1.5–2× a plain dot-product loop in
 * V8. Every output is one sequential f64 sum over k.
 */
export function matmulCpu(
  y: Float32Array,
  yOff: number,
  x: Float32Array,
  xOff: number,
  w: Float32Array,
  bias: Float32Array | undefined,
  rows: number,
  k: number,
  n: number,
  accumulate: boolean,
): void {
  const put = (o: number, j: number, v: number): void => {
    const b = bias ? (bias[j] as number) : 0;
    y[o] = accumulate ? (y[o] as number) + v + b : v + b;
  };
  const n4 = n - (n % 4);
  for (let j = 0; j < n4; j += 4) {
    const w0 = j * k;
    const w1 = w0 + k;
    const w2 = w1 + k;
    const w3 = w2 + k;
    let t = 0;
    for (; t + 1 < rows; t += 2) {
      const xa = xOff + t * k;
      const xb = xa + k;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let i = 0; i < k; i++) {
        const u = x[xa + i] as number;
        const v = x[xb + i] as number;
        const c0 = w[w0 + i] as number;
        const c1 = w[w1 + i] as number;
        const c2 = w[w2 + i] as number;
        const c3 = w[w3 + i] as number;
        a0 += u * c0;
        a1 += u * c1;
        a2 += u * c2;
        a3 += u * c3;
        b0 += v * c0;
        b1 += v * c1;
        b2 += v * c2;
        b3 += v * c3;
      }
      const o = yOff + t * n + j;
      put(o, j, a0);
      put(o + 1, j + 1, a1);
      put(o + 2, j + 2, a2);
      put(o + 3, j + 3, a3);
      put(o + n, j, b0);
      put(o + n + 1, j + 1, b1);
      put(o + n + 2, j + 2, b2);
      put(o + n + 3, j + 3, b3);
    }
    for (; t < rows; t++) {
      const xa = xOff + t * k;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = 0; i < k; i++) {
        const u = x[xa + i] as number;
        a0 += u * (w[w0 + i] as number);
        a1 += u * (w[w1 + i] as number);
        a2 += u * (w[w2 + i] as number);
        a3 += u * (w[w3 + i] as number);
      }
      const o = yOff + t * n + j;
      put(o, j, a0);
      put(o + 1, j + 1, a1);
      put(o + 2, j + 2, a2);
      put(o + 3, j + 3, a3);
    }
  }
  for (let j = n4; j < n; j++) {
    const wo = j * k;
    for (let t = 0; t < rows; t++) {
      const xa = xOff + t * k;
      let a = 0;
      for (let i = 0; i < k; i++) a += (x[xa + i] as number) * (w[wo + i] as number);
      put(yOff + t * n + j, j, a);
    }
  }
}

/** act-norm.wgsl: RMSNorm or LayerNorm of each row. */
export function normCpu(y: Float32Array, yOff: number, x: Float32Array, xOff: number, w: Float32Array, b: Float32Array | undefined, rows: number, dim: number, eps: number, kind: NormKind): void {
  for (let t = 0; t < rows; t++) {
    const xo = xOff + t * dim;
    const yo = yOff + t * dim;
    if (kind === 'rms') {
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += (x[xo + i] as number) ** 2;
      // HF: hidden * torch.rsqrt(variance + eps), in f32, then weight * hidden.
      const r = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / dim) + eps)));
      for (let i = 0; i < dim; i++) y[yo + i] = (w[i] as number) * Math.fround((x[xo + i] as number) * r);
    } else {
      let s = 0;
      for (let i = 0; i < dim; i++) s += x[xo + i] as number;
      const mean = s / dim;
      let v = 0;
      for (let i = 0; i < dim; i++) v += ((x[xo + i] as number) - mean) ** 2;
      const r = 1 / Math.sqrt(v / dim + eps);
      for (let i = 0; i < dim; i++) y[yo + i] = ((x[xo + i] as number) - mean) * r * (w[i] as number) + (b ? (b[i] as number) : 0);
    }
  }
}

/** act-rope.wgsl: rotate_half RoPE in place on the first rotaryDim values of each head. */
export function ropeCpu(x: Float32Array, rows: number, heads: number, headDim: number, rotaryDim: number, pos0: number, table: Float32Array): void {
  const half = rotaryDim / 2;
  for (let t = 0; t < rows; t++) {
    const tb = (pos0 + t) * half * 2;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = table[tb + 2 * i] as number;
        const s = table[tb + 2 * i + 1] as number;
        const x1 = x[base + i] as number;
        const x2 = x[base + i + half] as number;
        // q·cos + rotate_half(q)·sin, rotate_half(q) = [−q2, q1]: two f32 products and one f32 sum.
        x[base + i] = Math.fround(x1 * c) - Math.fround(x2 * s);
        x[base + i + half] = Math.fround(x2 * c) + Math.fround(x1 * s);
      }
    }
  }
}

/**
 * act-attn-scores.wgsl + act-attn-softmax.wgsl + act-attn-mix.wgsl: causal softmax attention with
 * grouped-query heads over the KV cache; writes per-head entropies.
 */
export function attentionCpu(
  out: Float32Array,
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  scores: Float32Array,
  entropy: Float32Array,
  entropyOffset: number,
  rows: number,
  pos0: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  window: number,
  scale: number,
): void {
  const keys = pos0 + rows;
  const group = heads / kvHeads;
  const qDim = heads * headDim;
  const kvDim = kvHeads * headDim;
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < rows; t++) {
      const last = pos0 + t;
      const first = Math.max(0, last - window + 1);
      const so = (h * rows + t) * keys;
      const qo = t * qDim + h * headDim;
      let m = -Infinity;
      for (let j = first; j <= last; j++) {
        const ko = j * kvDim + kvh * headDim;
        let s = 0;
        for (let d = 0; d < headDim; d++) s += (q[qo + d] as number) * (kCache[ko + d] as number);
        const v = Math.fround(Math.fround(s) * scale);
        scores[so + j] = v;
        if (v > m) m = v;
      }
      let sum = 0;
      for (let j = first; j <= last; j++) sum += Math.exp((scores[so + j] as number) - m);
      // H = −Σ p ln p = ln Σe − Σ p·(s − m), stable for any logits.
      let ps = 0;
      for (let j = first; j <= last; j++) {
        const e = Math.exp((scores[so + j] as number) - m);
        const p = e / sum;
        ps += p * ((scores[so + j] as number) - m);
        scores[so + j] = p;
      }
      entropy[entropyOffset + h * rows + t] = Math.log(sum) - ps;
      const oo = t * qDim + h * headDim;
      for (let d = 0; d < headDim; d++) {
        let acc = 0;
        for (let j = first; j <= last; j++) acc += (scores[so + j] as number) * (vCache[j * kvDim + kvh * headDim + d] as number);
        out[oo + d] = acc;
      }
    }
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** tanh's argument is clamped here in both twins: tanh(±15) is ±1 in f32, and GPU tanh can overflow past it. */
const TANH_CLAMP = 15;

/**
 * erf with Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7): WGSL has no erf, so both twins use this
 * one — within f32 rounding of the exact GELU for the tolerances used.
 */
export function erfApprox(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

export function activate(v: number, kind: Activation): number {
  switch (kind) {
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'gelu-tanh': {
      const inner = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      return 0.5 * v * (1 + Math.tanh(inner));
    }
    case 'gelu':
      return 0.5 * v * (1 + erfApprox(v / Math.SQRT2));
  }
}

/** act-elementwise.wgsl: out = act(a) · b, or act(a). */
export function activationCpu(out: Float32Array, a: Float32Array, b: Float32Array | undefined, n: number, kind: ActivationArgs['kind']): void {
  if (b) for (let i = 0; i < n; i++) out[i] = Math.fround(activate(a[i] as number, kind)) * (b[i] as number);
  else for (let i = 0; i < n; i++) out[i] = activate(a[i] as number, kind);
}

/** act-embed.wgsl: token (+ position) embedding rows. */
export function embedCpu(out: Float32Array, tokens: Uint32Array, wte: Float32Array, wpe: Float32Array | undefined, rows: number, dim: number, pos0: number): void {
  for (let t = 0; t < rows; t++) {
    const e = (tokens[t] as number) * dim;
    const p = (pos0 + t) * dim;
    for (let d = 0; d < dim; d++) out[t * dim + d] = (wte[e + d] as number) + (wpe ? (wpe[p + d] as number) : 0);
  }
}

/** act-sparsity.wgsl: fraction of near-zero MLP activations per row. */
export function sparsityCpu(out: Float32Array, outOffset: number, x: Float32Array, rows: number, dim: number): void {
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += Math.abs(x[t * dim + i] as number);
    const threshold = Math.fround(Math.fround(s / dim) * SPARSITY_RELATIVE);
    let c = 0;
    for (let i = 0; i < dim; i++) if (Math.abs(x[t * dim + i] as number) < threshold) c++;
    out[outOffset + t] = c / dim;
  }
}
