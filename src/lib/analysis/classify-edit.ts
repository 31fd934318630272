/**
 * How a tensor was changed, from its streamed delta: precision (rounding of a narrower dtype),
 * rows (a few rows rewritten — token rows of an embedding, one neuron), sparse (a handful of
 * elements — bit flips), rank-1 / low-rank (from the singular-value estimate when one was run),
 * dense (everything moved — fine-tuning). The explanation is in words an analyst can repeat.
 */
import { DTYPES, type DType } from '../formats/dtype.ts';
import type { EditReport } from '../report/types.ts';
import type { DiffResult } from './job.ts';

/** At most this many changed elements (and a small fraction of the tensor) is "sparse". */
export const SPARSE_MAX_ELEMENTS = 64;
/** Rows edit: at most this many rows (and ≤ 10 % of rows), each mostly rewritten. */
export const ROWS_MAX = 256;
/** Largest rank still called "low-rank" (LoRA ranks are typically 4–64; the sketch resolves up to SKETCH_K − 1). */
export const LOW_RANK_MAX = 8;

export interface EditInput {
  diff: DiffResult;
  shape: readonly number[];
  dtypeA: DType;
  dtypeB: DType;
}

export function bitField(dtype: DType, bit: number): 'sign' | 'exponent' | 'mantissa' | 'bit' {
  const info = DTYPES[dtype];
  if (info.family !== 'float' || info.mantissaBits === undefined || info.blockElements !== 1) return 'bit';
  const total = info.blockBytes * 8;
  if (dtype === 'F8_E8M0') return 'exponent';
  if (bit === total - 1) return 'sign';
  if (bit >= info.mantissaBits) return 'exponent';
  return 'mantissa';
}

export function classifyEdit({ diff, shape, dtypeA, dtypeB }: EditInput): EditReport {
  const s = diff.summary;
  const n = s.changedCount;
  const elements = shape.reduce((p, d) => p * d, 1);
  if (n === 0) return { kind: 'identical', confidence: 1, explanation: 'no element differs' };

  if (dtypeA !== dtypeB) {
    const quantized = DTYPES[dtypeA].family === 'quant' || DTYPES[dtypeB].family === 'quant';
    const v = s.precisionViolations;
    const structure = diff.rank ? spectrumStructure(diff.rank) : undefined;
    if (!quantized && v === 0) {
      return {
        kind: 'precision',
        confidence: 0.99,
        explanation: `every one of ${n.toLocaleString('en-US')} differing elements is within one unit of ${narrower(dtypeA, dtypeB)} rounding`,
      };
    }
    if (quantized && v <= QUANT_OUTLIER_FRACTION * elements && (structure === undefined || structure.dominant === 0)) {
      return {
        kind: 'precision',
        confidence: round2(v === 0 ? 0.99 : 0.9),
        explanation:
          `every difference is explained by ${quantName(dtypeA, dtypeB)} quantization: ${v === 0 ? 'all' : `all but ${v}`} of ${n.toLocaleString('en-US')} differing elements lie within one quantization step of their block` +
          (structure ? `, and the residual has no dominant direction (σ₁²/median σ² = ${structure.ratio.toFixed(1)})` : ''),
      };
    }
    if (quantized && structure && structure.dominant > 0) {
      const r = structure.dominant;
      return {
        kind: r === 1 ? 'rank-1' : r <= LOW_RANK_MAX ? 'low-rank' : 'dense',
        rank: r,
        confidence: round2(Math.min(0.99, 1 - 1 / structure.ratio)),
        explanation: `beyond ${quantName(dtypeA, dtypeB)} quantization noise the residual has ${r} dominant direction${r === 1 ? '' : 's'} (σ₁²/median σ² = ${structure.ratio.toFixed(0)}); ${v.toLocaleString('en-US')} elements differ by more than one quantization step`,
      };
    }
    if (v > 0 && v <= SPARSE_MAX_ELEMENTS) {
      return { kind: 'sparse', confidence: 0.8, explanation: `${v} element${v === 1 ? '' : 's'} differ beyond ${quantized ? 'one quantization step' : `${narrower(dtypeA, dtypeB)} rounding`}; the rest is rounding` };
    }
  }

  const rows = shape.length === 0 ? 1 : (shape[0] as number);
  const rowLength = rows > 0 ? elements / rows : 0;
  const changedRows = diff.rows.length * diff.rowBucket;
  if (shape.length >= 2 && rowLength > 1 && diff.rows.length <= ROWS_MAX && changedRows <= Math.max(1, 0.1 * rows)) {
    const coverage = n / (diff.rows.length * diff.rowBucket * rowLength);
    if (coverage >= 0.5) {
      const list = diff.rows.slice(0, 8).map((r) => r.index).join(', ');
      return {
        kind: 'rows',
        confidence: round2(Math.min(0.99, 0.5 + coverage / 2)),
        explanation: `${diff.rows.length} row${diff.rows.length === 1 ? '' : 's'} of ${rows.toLocaleString('en-US')} rewritten (${list}${diff.rows.length > 8 ? ', …' : ''}); ${(coverage * 100).toFixed(0)}% of their elements changed`,
      };
    }
  }

  // A handful of elements: few in absolute terms, and a small share (or a tiny count in a tiny tensor).
  if (n <= SPARSE_MAX_ELEMENTS && (n / elements <= 0.05 || n <= 4)) {
    const bits = new Map<number, number>();
    for (const t of diff.top) {
      if (t.aBits === undefined || t.bBits === undefined) continue;
      let x = t.aBits ^ t.bBits;
      let bit = 0;
      while (x > 0n) {
        if (x & 1n) bits.set(bit, (bits.get(bit) ?? 0) + 1);
        x >>= 1n;
        bit++;
      }
    }
    const bitText = [...bits.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .map(([bit, count]) => `${bitField(dtypeA, bit)} bit ${bit}${count > 1 ? ` ×${count}` : ''}`)
      .join(', ');
    return {
      kind: 'sparse',
      confidence: round2(Math.max(0.6, 1 - n / (SPARSE_MAX_ELEMENTS * 2))),
      explanation: `${n} element${n === 1 ? '' : 's'} changed${bitText ? ` (${bitText} flipped)` : ''}`,
    };
  }

  const fraction = n / elements;
  const rank = diff.rank;
  if (rank && rank.rank >= 1 && rank.rank <= LOW_RANK_MAX) {
    const captured = rank.energy[rank.rank - 1] ?? 1;
    const ratio = rank.singularValues.length > rank.rank ? (rank.singularValues[rank.rank] as number) / (rank.singularValues[0] || 1) : 0;
    return {
      kind: rank.rank === 1 ? 'rank-1' : 'low-rank',
      rank: rank.rank,
      confidence: round2(Math.min(0.99, captured - ratio * 0.5)),
      explanation: `Δ has numerical rank ${rank.rank}: the top ${rank.rank === 1 ? 'singular value captures' : `${rank.rank} singular values capture`} ${(captured * 100).toFixed(2)}% of its energy (next σ/σ₁ = ${ratio.toExponential(1)}; sketch of ${rank.rowsSampled} changed rows × ${rank.colsSampled} columns)`,
    };
  }
  return {
    kind: 'dense',
    confidence: round2(Math.min(0.99, 0.5 + fraction / 2)),
    explanation: `${(fraction * 100).toFixed(fraction < 0.01 ? 3 : 1)}% of elements changed across ${diff.rows.length.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows; relative L2 ${s.relL2.toPrecision(3)}${rank ? `; numerical rank ≥ ${rank.rank} (not low-rank)` : ''}`,
  };
}

/** Above this share of elements outside one quantization step, quantization cannot explain a delta. */
export const QUANT_OUTLIER_FRACTION = 0.002;
/** A singular value whose square exceeds this multiple of the median is a dominant direction. */
export const DOMINANT_RATIO = 8;

/** How many singular values stand out of the noise bulk (σᵢ² > DOMINANT_RATIO × median σ²). */
export function spectrumStructure(rank: { singularValues: readonly number[] }): { dominant: number; ratio: number } {
  const sq = rank.singularValues.map((x) => x * x);
  if (sq.length < 5) return { dominant: 0, ratio: 1 };
  const sorted = [...sq].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  if (median <= 0) return { dominant: sq.filter((x) => x > 0).length, ratio: Infinity };
  const dominant = sq.filter((x) => x > DOMINANT_RATIO * median).length;
  return { dominant, ratio: (sq[0] as number) / median };
}

function quantName(a: DType, b: DType): DType {
  return DTYPES[a].family === 'quant' ? a : b;
}

function narrower(a: DType, b: DType): DType {
  return (DTYPES[a].mantissaBits ?? 99) <= (DTYPES[b].mantissaBits ?? 99) ? a : b;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
