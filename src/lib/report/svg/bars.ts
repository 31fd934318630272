/** Horizontal bars: the rows (dim 0 — a token, for embeddings) that changed most, by ‖Δ‖₂ of the row. */
import { clip, joinMarkup, svg, type SafeHtml } from '../escape.ts';
import type { TopRow } from '../types.ts';
import { formatCount, formatNumber } from './format.ts';

export const MAX_BARS = 12;

export function renderTopRows(rows: readonly TopRow[], options: { width?: number; rowLength?: number } = {}): SafeHtml | null {
  const shown = [...rows].sort((a, b) => b.l2 - a.l2 || a.index - b.index).slice(0, MAX_BARS);
  if (shown.length === 0) return null;
  const width = options.width ?? 900;
  const barH = 15;
  const gap = 4;
  const hasTokens = shown.some((r) => r.token !== undefined);
  const labelW = hasTokens ? 190 : 90;
  const valueW = 220;
  const plotW = width - labelW - valueW;
  const max = Math.max(...shown.map((r) => (Number.isFinite(r.l2) ? r.l2 : 0)), Number.MIN_VALUE);
  const parts: SafeHtml[] = shown.map((r, i) => {
    const y = i * (barH + gap);
    const w = Number.isFinite(r.l2) ? Math.max(1, (plotW * r.l2) / max) : plotW;
    const token = r.token === undefined ? '' : ` ${clip(JSON.stringify(r.token), 18)}`;
    const changed =
      r.changed === undefined || r.changed === options.rowLength ? (r.changed === undefined ? '' : ' · whole row') : options.rowLength ? ` · ${formatCount(r.changed)} of ${formatCount(options.rowLength)} elements` : ` · ${formatCount(r.changed)} elements`;
    return svg`<text x="${labelW - 6}" y="${y + barH - 3}" font-size="11" text-anchor="end" fill="#374151" class="m">row ${r.index}${token}</text><rect x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="#f97316"><title>row ${r.index}${token}: ‖Δ‖₂ = ${formatNumber(r.l2)}${changed}</title></rect><text x="${labelW + w + 5}" y="${y + barH - 3}" font-size="11" fill="#374151">${formatNumber(r.l2)}${changed}</text>`;
  });
  const height = shown.length * (barH + gap);
  return svg`<svg class="chart bars" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Rows that changed most">${joinMarkup(parts)}</svg>`;
}
