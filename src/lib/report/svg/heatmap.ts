/**
 * Layer × module heatmap of relative change (‖Δ‖₂ / ‖W_known-good‖₂), as an inline SVG string:
 * one column per layer index, one row per module, one grid per layer stack; tensors outside any
 * stack (embeddings, final norm, LM head) in a labelled strip below. Cells carry a <title> (hover
 * text) and link to the tensor's detail section when it has one.
 */
import { clip, joinMarkup, svg, type SafeHtml } from '../escape.ts';
import type { ReportTensor } from '../types.ts';
import { formatNumber } from './format.ts';
import { changeGroup, parseLayerName, STATUS_WORDS } from './model-layout.ts';

// ── colours ─────────────────────────────────────────────────────────────────

/** log10(relative change) → colour: light amber at rounding level (still distinct from identical grey), through orange and red, to near-black red at ≥ 10× the weights. */
const RAMP: readonly (readonly [number, readonly [number, number, number]])[] = [
  [-8, [253, 224, 120]],
  [-5, [252, 211, 77]],
  [-3, [249, 115, 22]],
  [-1, [220, 38, 38]],
  [0, [153, 27, 27]],
  [1, [69, 10, 10]],
];
export const RAMP_MIN_LOG = -8;
export const RAMP_MAX_LOG = 1;

export const COLOUR = {
  identical: '#e8ecf1',
  rounding: '#93c5fd',
  structural: '#5b21b6',
  unknown: '#6b7280',
} as const;

export function rampColour(relL2: number): string {
  const v = relL2 > 0 && Number.isFinite(relL2) ? Math.log10(relL2) : relL2 > 0 ? RAMP_MAX_LOG : RAMP_MIN_LOG;
  const x = Math.min(RAMP_MAX_LOG, Math.max(RAMP_MIN_LOG, v));
  for (let i = 1; i < RAMP.length; i++) {
    const [x1, c1] = RAMP[i] as (typeof RAMP)[number];
    const [x0, c0] = RAMP[i - 1] as (typeof RAMP)[number];
    if (x <= x1) {
      const f = (x - x0) / (x1 - x0);
      const ch = (k: 0 | 1 | 2): string => Math.round(c0[k] + (c1[k] - c0[k]) * f).toString(16).padStart(2, '0');
      return `#${ch(0)}${ch(1)}${ch(2)}`;
    }
  }
  return '#450a0a';
}

/** The fill of one tensor's cell (also used for swatches in tables). */
export function tensorColour(t: ReportTensor): string {
  const group = changeGroup(t);
  if (group === 'identical') return COLOUR.identical;
  if (group === 'rounding') return COLOUR.rounding;
  if (t.status === 'added' || t.status === 'removed' || t.status === 'shape-changed') return COLOUR.structural;
  if (t.delta === undefined) return COLOUR.unknown;
  return rampColour(t.delta.relL2);
}

function severity(t: ReportTensor): number {
  const group = changeGroup(t);
  if (group === 'identical') return 0;
  if (group === 'rounding') return 1;
  if (t.status === 'added' || t.status === 'removed' || t.status === 'shape-changed') return 1e300;
  return t.delta === undefined ? 1e299 : 2 + Math.max(0, t.delta.relL2);
}

function cellTitle(t: ReportTensor): string {
  const d = t.delta;
  const change = d ? `, ${d.edit.kind} edit, relative change ${formatNumber(d.relL2)}` : t.notCompared ? ` (${clip(t.notCompared)})` : '';
  return `${clip(t.name)}: ${STATUS_WORDS[t.status] ?? t.status}${change}`;
}

// ── layout ──────────────────────────────────────────────────────────────────

export interface HeatmapOptions {
  /** Anchor id of each tensor's detail section, where there is one. */
  anchors?: ReadonlyMap<string, string>;
  /** Drawing width in px (the SVG scales down to fit). */
  width?: number;
}

interface Cell {
  tensors: ReportTensor[];
}

/** Advance of one 10 px monospace character (module labels are sized from it). */
const CHAR_W = 6.1;
const MAX_OUTSIDE = 60;

export function renderLayerHeatmap(tensors: readonly ReportTensor[], options: HeatmapOptions = {}): SafeHtml | null {
  if (tensors.length === 0) return null;
  const width = options.width ?? 940;
  const stacks = new Map<string, { modules: string[]; minLayer: number; maxLayer: number; cells: Map<string, Cell> }>();
  const outside: ReportTensor[] = [];
  for (const t of tensors) {
    const pos = parseLayerName(t.name);
    if (!pos) {
      outside.push(t);
      continue;
    }
    let s = stacks.get(pos.stack);
    if (!s) {
      s = { modules: [], minLayer: pos.layer, maxLayer: pos.layer, cells: new Map() };
      stacks.set(pos.stack, s);
    }
    if (!s.modules.includes(pos.module)) s.modules.push(pos.module);
    s.minLayer = Math.min(s.minLayer, pos.layer);
    s.maxLayer = Math.max(s.maxLayer, pos.layer);
    const key = `${pos.layer}\u0000${pos.module}`;
    const cell = s.cells.get(key) ?? { tensors: [] };
    cell.tensors.push(t);
    s.cells.set(key, cell);
  }
  // A "stack" holding one layer of one tensor is no stack: show it with the others.
  for (const [name, s] of stacks) {
    if (s.cells.size < 2) {
      for (const c of s.cells.values()) outside.push(...c.tensors);
      stacks.delete(name);
    }
  }

  const parts: SafeHtml[] = [];
  let y = 0;
  const labelChars = Math.min(34, Math.max(8, ...[...stacks.values()].flatMap((s) => s.modules.map((m) => m.length))));
  const labelW = Math.ceil(labelChars * CHAR_W) + 12;
  const link = (t: ReportTensor, body: SafeHtml): SafeHtml => {
    const id = options.anchors?.get(t.name);
    return id === undefined ? body : svg`<a href="#${id}">${body}</a>`;
  };

  for (const [stackName, s] of stacks) {
    const layers = s.maxLayer - s.minLayer + 1;
    const gridW = width - labelW - 8;
    const cellW = Math.max(3, Math.min(56, Math.floor(gridW / layers)));
    const cellH = s.modules.length > 48 ? 9 : 17;
    const fontSize = cellH < 12 ? 8 : 10;
    parts.push(svg`<text x="0" y="${y + 12}" font-size="12" font-weight="600" fill="#1f2937">${clip(stackName, 80)} · layers ${s.minLayer}–${s.maxLayer}</text>`);
    y += 20;
    // Layer numbers along the top, far enough apart to read.
    const every = Math.max(1, Math.ceil(22 / cellW));
    const ticks: SafeHtml[] = [];
    for (let l = s.minLayer; l <= s.maxLayer; l += every) {
      ticks.push(svg`<text x="${labelW + (l - s.minLayer) * cellW + cellW / 2}" y="${y + 9}" font-size="9" text-anchor="middle" fill="#4b5563">${l}</text>`);
    }
    parts.push(joinMarkup(ticks));
    y += 13;
    for (const module of s.modules) {
      const label = module.length > labelChars ? `…${module.slice(module.length - labelChars + 1)}` : module;
      parts.push(svg`<text x="${labelW - 6}" y="${y + cellH / 2 + fontSize / 2 - 1}" font-size="${fontSize}" text-anchor="end" fill="#374151" class="m">${label}</text>`);
      const row: SafeHtml[] = [];
      for (let l = s.minLayer; l <= s.maxLayer; l++) {
        const cell = s.cells.get(`${l}\u0000${module}`);
        const x = labelW + (l - s.minLayer) * cellW;
        if (!cell) {
          row.push(svg`<rect x="${x + cellW / 2 - 0.75}" y="${y + cellH / 2 - 0.75}" width="1.5" height="1.5" fill="#cbd5e1"/>`);
          continue;
        }
        const worst = cell.tensors.reduce((a, b) => (severity(b) > severity(a) ? b : a));
        const changed = cell.tensors.filter((t) => changeGroup(t) === 'changed').length;
        const title = cell.tensors.length === 1 ? cellTitle(worst) : `layer ${l} ${clip(module)}: ${changed} of ${cell.tensors.length} tensors changed; most: ${cellTitle(worst)}`;
        const rect = svg`<rect x="${x}" y="${y}" width="${cellW}" height="${cellH}" fill="${tensorColour(worst)}" stroke="#fff" stroke-width="${cellW > 6 ? 1 : 0.4}"><title>${title}</title></rect>`;
        row.push(changeGroup(worst) === 'changed' ? link(worst, rect) : rect);
      }
      parts.push(joinMarkup(row));
      y += cellH;
    }
    y += 14;
  }

  if (outside.length) {
    parts.push(svg`<text x="0" y="${y + 12}" font-size="12" font-weight="600" fill="#1f2937">${stacks.size ? 'Outside the layer stack' : 'Tensors'}</text>`);
    y += 20;
    const shown = [...outside].sort((a, b) => severity(b) - severity(a)).slice(0, MAX_OUTSIDE);
    shown.sort((a, b) => outside.indexOf(a) - outside.indexOf(b));
    const colW = 280;
    const cols = Math.max(1, Math.floor(width / colW));
    shown.forEach((t, i) => {
      const x = (i % cols) * colW;
      const yy = y + Math.floor(i / cols) * 18;
      const name = t.name.endsWith('.weight') ? t.name.slice(0, -'.weight'.length) : t.name;
      const body = svg`<rect x="${x}" y="${yy}" width="14" height="14" fill="${tensorColour(t)}" stroke="#94a3b8" stroke-width="0.5"><title>${cellTitle(t)}</title></rect><text x="${x + 20}" y="${yy + 11}" font-size="10" fill="#374151" class="m">${clip(name, 40)}</text>`;
      parts.push(changeGroup(t) === 'changed' ? link(t, body) : body);
    });
    y += Math.ceil(shown.length / cols) * 18;
    if (outside.length > shown.length) {
      parts.push(svg`<text x="0" y="${y + 12}" font-size="10" fill="#4b5563">… and ${outside.length - shown.length} more tensors (listed in the table below)</text>`);
      y += 18;
    }
    y += 10;
  }

  const legend = renderLegend(y + 4, width);
  y += legend.height + 4;
  return svg`<svg class="chart heatmap" viewBox="0 0 ${width} ${Math.ceil(y)}" width="${width}" height="${Math.ceil(y)}" role="img" aria-label="Relative change per layer and module">${joinMarkup(parts)}${legend.markup}</svg>`;
}

function renderLegend(y0: number, width: number): { markup: SafeHtml; height: number } {
  const id = 'heatmap-ramp'; // one heatmap per report
  const stops = RAMP.map(([x, [r, g, b]]) => svg`<stop offset="${((x - RAMP_MIN_LOG) / (RAMP_MAX_LOG - RAMP_MIN_LOG)) * 100}%" stop-color="rgb(${r},${g},${b})"/>`);
  const barX = 12;
  const barW = Math.min(300, width * 0.4);
  const ticks: SafeHtml[] = [];
  for (const e of [-8, -6, -4, -2, 0, 1]) {
    const x = barX + ((e - RAMP_MIN_LOG) / (RAMP_MAX_LOG - RAMP_MIN_LOG)) * barW;
    ticks.push(svg`<line x1="${x}" x2="${x}" y1="${y0 + 28}" y2="${y0 + 32}" stroke="#374151"/><text x="${x}" y="${y0 + 42}" font-size="9" text-anchor="middle" fill="#374151">${e === 0 ? '1' : e === 1 ? '10' : `1e${e}`}</text>`);
  }
  const swatch = (x: number, fill: string, label: string): SafeHtml =>
    svg`<rect x="${x}" y="${y0 + 16}" width="12" height="12" fill="${fill}" stroke="#94a3b8" stroke-width="0.5"/><text x="${x + 17}" y="${y0 + 26}" font-size="10" fill="#374151">${label}</text>`;
  const sx = barX + barW + 28;
  const markup = svg`<defs><linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>
<text x="${barX}" y="${y0 + 10}" font-size="10" fill="#374151">Relative change ‖Δ‖ / ‖W‖ (log scale): rounding noise ≈ 1e-8 … as large as the weights = 1</text>
<rect x="${barX}" y="${y0 + 16}" width="${barW}" height="12" fill="url(#${id})"/>${ticks}
${swatch(sx, COLOUR.identical, 'identical')}${swatch(sx + 78, COLOUR.rounding, 'rounding only')}${swatch(sx + 178, COLOUR.structural, 'added / removed / reshaped')}${swatch(sx + 340, COLOUR.unknown, 'changed, not compared')}`;
  return { markup, height: 46 };
}
