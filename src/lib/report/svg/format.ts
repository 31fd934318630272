/** Number formatting shared by the HTML and Markdown reports (and their charts). */
import { fromJsonNumber, type JsonNumber } from '../types.ts';

/** Three significant digits; exponent notation outside 0.001 … 10 000 ("5.22e36", "3.1e-7"). */
export function formatNumber(x: number, digits = 3): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return Object.is(x, -0) ? '−0' : '0';
  const a = Math.abs(x);
  const text = a >= 1e4 || a < 1e-3 ? x.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e').replace('e+', 'e') : Number(x.toPrecision(digits)).toString();
  return text.replace(/^-/, '−');
}

/** An element value, with enough digits to see a flipped low mantissa bit. */
export function formatValue(x: JsonNumber): string {
  return formatNumber(fromJsonNumber(x), 7);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '?';
  if (fraction === 0) return '0 %';
  if (fraction === 1) return '100 %';
  const p = fraction * 100;
  if (p >= 99.95) return '> 99.9 %';
  if (p >= 10) return `${p.toFixed(1)} %`;
  if (p >= 0.01) return `${Number(p.toPrecision(2))} %`;
  return `${p.toExponential(1)} %`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatCount(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)} ${units[u] ?? ''}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function formatShape(shape: readonly number[] | null): string {
  return shape === null ? '—' : `[${shape.join(', ')}]`;
}
