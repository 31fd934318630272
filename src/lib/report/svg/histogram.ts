/**
 * Histogram of |Δ| for one changed tensor, on the binary-magnitude bins of src/lib/engine/stats.ts
 * (bin 0: exactly 0 · bin 1: below 2^-49 · bin k in 2…62: 2^(k-51) ≤ |x| < 2^(k-50) · bin 63: ≥ 2^12
 * or infinite; positive values in bins 0–63, negative in 64–127 — folded here, sign is not the
 * question). The known-good weights' magnitudes are drawn behind as an outline for scale: a delta
 * far left of them is rounding noise, one beside them a real edit, one far right values blown up
 * (flipped exponent bits).
 */
import { HIST_BINS, HIST_MIN_EXP } from '../../engine/stats.ts';
import { joinMarkup, svg, type SafeHtml } from '../escape.ts';
import { formatCount } from './format.ts';

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
const powerOfTen = (e: number): string => (e === 0 ? '1' : e === 1 ? '10' : `10${String(e).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`);

/** Folds the 128 signed bins into 64 magnitude bins; null when the array is not a 128-bin histogram. */
export function foldHistogram(hist: readonly number[] | undefined): number[] | null {
  if (!hist || hist.length !== 2 * HIST_BINS) return null;
  return Array.from({ length: HIST_BINS }, (_, k) => (hist[k] ?? 0) + (hist[k + HIST_BINS] ?? 0));
}

/** Words for the magnitude range of bin k. */
export function binLabel(k: number): string {
  if (k === 0) return '|x| = 0';
  if (k === 1) return `0 < |x| < 2^${HIST_MIN_EXP}`;
  if (k === HIST_BINS - 1) return '|x| ≥ 4096 or infinite';
  const e = k - 2 + HIST_MIN_EXP;
  return `2^${e} ≤ |x| < 2^${e + 1} (${Number((2 ** e).toPrecision(3))} … ${Number((2 ** (e + 1)).toPrecision(3))})`;
}

export interface HistogramInput {
  /** deltaHistogram of the tensor (128 bins). */
  delta: readonly number[];
  /** The known-good tensor's value histogram (128 bins), for scale. */
  weights?: readonly number[] | undefined;
  width?: number;
}

export function renderDeltaHistogram(input: HistogramInput): SafeHtml | null {
  const delta = foldHistogram(input.delta);
  if (!delta || delta.every((c) => c === 0)) return null;
  const weights = foldHistogram(input.weights);
  const width = input.width ?? 900;
  const height = 190;
  const top = 34;
  const left = 8;
  const plotH = height - top - 36;

  const nonZero = (h: readonly number[] | null): number[] => (h ? h.flatMap((c, k) => (c > 0 ? [k] : [])) : []);
  const used = [...nonZero(delta), ...nonZero(weights)];
  let lo = Math.max(0, Math.min(...used) - 1);
  let hi = Math.min(HIST_BINS - 1, Math.max(...used) + 1);
  while (hi - lo + 1 < 16) {
    if (lo > 0) lo--;
    if (hi - lo + 1 < 16 && hi < HIST_BINS - 1) hi++;
    if (lo === 0 && hi === HIST_BINS - 1) break;
  }
  const n = hi - lo + 1;
  const barW = (width - left * 2) / n;
  const x = (k: number): number => left + (k - lo) * barW;
  const maxDelta = Math.max(...delta);
  const scale = (c: number, max: number): number => (c <= 0 ? 0 : Math.max(1.5, (plotH * Math.log1p(c)) / Math.log1p(max)));
  const base = top + plotH;

  const parts: SafeHtml[] = [];
  // Known-good weights, behind: a stepped outline on its own (log) scale.
  if (weights) {
    const maxW = Math.max(...weights);
    let d = `M${x(lo)} ${base}`;
    for (let k = lo; k <= hi; k++) {
      const h = base - scale(weights[k] ?? 0, maxW);
      d += ` L${x(k)} ${h} L${x(k + 1)} ${h}`;
    }
    d += ` L${x(hi + 1)} ${base} Z`;
    parts.push(svg`<path d="${d}" fill="#e2e8f0" fill-opacity="0.7" stroke="#64748b" stroke-width="1" stroke-dasharray="3 2"/>`);
  }
  const labelled = delta.filter((c) => c > 0).length <= 20;
  for (let k = lo; k <= hi; k++) {
    const c = delta[k] ?? 0;
    if (c <= 0) continue;
    const h = scale(c, maxDelta);
    const gap = barW > 4 ? 1 : 0;
    parts.push(svg`<rect x="${x(k) + gap / 2}" y="${base - h}" width="${barW - gap}" height="${h}" fill="#dc2626"><title>${formatCount(c)} changed element${c === 1 ? '' : 's'} with ${binLabel(k).replace(/\|x\|/g, '|Δ|')}</title></rect>`);
    if (labelled || c === maxDelta) parts.push(svg`<text x="${x(k) + barW / 2}" y="${base - h - 3}" font-size="10" text-anchor="middle" fill="#7f1d1d">${formatCount(c)}</text>`);
  }
  // Axis: powers of ten placed exactly (the bins are powers of two), plus the special end bins.
  parts.push(svg`<line x1="${left}" x2="${width - left}" y1="${base}" y2="${base}" stroke="#374151"/>`);
  const ticks: SafeHtml[] = [];
  const firstExp = Math.max(lo, 2) - 2 + HIST_MIN_EXP;
  const lastExp = Math.min(hi, HIST_BINS - 2) - 1 + HIST_MIN_EXP;
  const decades = (lastExp - firstExp) * Math.LOG10E * Math.LN2;
  const step = Math.max(1, Math.ceil((decades * 34) / Math.max(1, width - 2 * left - 60)));
  for (let e10 = Math.ceil(firstExp * Math.log10(2)); e10 <= Math.floor(lastExp * Math.log10(2)); e10++) {
    if (e10 % step !== 0) continue;
    const bin = Math.log2(10 ** e10) - HIST_MIN_EXP + 2;
    const xx = x(bin);
    ticks.push(svg`<line x1="${xx}" x2="${xx}" y1="${base}" y2="${base + 4}" stroke="#374151"/><text x="${xx}" y="${base + 14}" font-size="11" text-anchor="middle" fill="#374151">${powerOfTen(e10)}</text>`);
  }
  if (lo === 0) ticks.push(svg`<text x="${x(0) + barW / 2}" y="${base + 14}" font-size="11" text-anchor="middle" fill="#374151">0</text>`);
  if (hi === HIST_BINS - 1) ticks.push(svg`<text x="${x(HIST_BINS - 1) + barW / 2}" y="${base + 14}" font-size="11" text-anchor="middle" fill="#374151">≥4096</text>`);
  parts.push(joinMarkup(ticks));
  parts.push(svg`<text x="${width / 2}" y="${height - 4}" font-size="11" text-anchor="middle" fill="#374151">size of the change |Δ| (log scale)</text>`);
  // Legend.
  parts.push(svg`<rect x="${left}" y="3" width="11" height="11" fill="#dc2626"/><text x="${left + 16}" y="13" font-size="11" fill="#374151">changed elements (count, log scale)</text>`);
  if (weights) {
    parts.push(svg`<rect x="${left + 240}" y="3" width="11" height="11" fill="#e2e8f0" stroke="#64748b" stroke-dasharray="3 2"/><text x="${left + 256}" y="13" font-size="11" fill="#374151">magnitudes of the known-good weights (their own scale), for comparison</text>`);
  }
  return svg`<svg class="chart histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Histogram of the size of the changes">${joinMarkup(parts)}</svg>`;
}
