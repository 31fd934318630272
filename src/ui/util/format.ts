/**
 * Number and size formatting for the workbench. Every function returns plain text: callers put it
 * in text nodes, never in markup.
 */
import { fromJsonNumber, type JsonNumber } from '../../lib/report/types.ts';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Decimal units (1 MB = 10^6 B), the convention of file managers and download sizes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u] ?? ''}`;
}

export function formatRate(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0)) return '—';
  return `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond >= 1e8 ? 0 : 1)} MB/s`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return 'under a second';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A float for a table cell: 4 significant digits, exponent form when very large or small. */
export function formatFloat(x: number | JsonNumber | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const v = typeof x === 'number' ? x : fromJsonNumber(x);
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return Object.is(v, -0) ? '−0' : '0';
  const a = Math.abs(v);
  const s = a >= 1e5 || a < 1e-4 ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
  return s.replace('-', '−');
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const p = fraction * 100;
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  return `${p >= 10 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

export function formatShape(shape: readonly number[] | null | undefined): string {
  if (!shape) return '—';
  return `[${shape.join(', ')}]`;
}

export function shortHash(hex: string | null | undefined, chars = 12): string {
  if (!hex) return '—';
  return hex.length > chars ? `${hex.slice(0, chars)}…` : hex;
}

/** A float for a narrow numeric column: 3 significant digits, "5.76e36" rather than "5.761e+36". */
export function formatFloatShort(x: number | JsonNumber | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const v = typeof x === 'number' ? x : fromJsonNumber(x);
  if (!Number.isFinite(v) || v === 0) return formatFloat(v);
  const a = Math.abs(v);
  const s = a >= 1e4 || a < 1e-3 ? v.toExponential(2).replace('e+', 'e') : Number(v.toPrecision(3)).toString();
  return s.replace('-', '−');
}
