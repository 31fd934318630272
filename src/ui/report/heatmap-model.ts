/**
 * The layer × module grid behind the heatmap (pure data; LayerHeatmap draws it). One cell per
 * tensor; rows are layer indices, columns module names in order of first appearance; tensors
 * outside the repeated layers (embeddings, final norm, head) go to a separate strip.
 */
import type { ReportTensor } from '../../lib/report/types.ts';
import { placeOf } from './tensor-layout.ts';

/** How a cell is coloured: by its relative change, or by a fixed swatch when no number says it. */
export type CellKind = 'identical' | 'change' | 'precision' | 'structure' | 'not-compared';

export interface HeatCell {
  name: string;
  status: ReportTensor['status'];
  layer: number | null;
  module: string;
  kind: CellKind;
  /** relL2 for 'change' and 'precision' cells. */
  value: number | null;
}

export interface HeatGrid {
  layers: number[];
  modules: string[];
  cells: HeatCell[];
  outside: HeatCell[];
}

export function cellOf(t: ReportTensor): HeatCell {
  const { layer, module } = placeOf(t.name);
  let kind: CellKind;
  let value: number | null = null;
  if (t.status === 'identical') kind = 'identical';
  else if (t.status === 'added' || t.status === 'removed' || t.status === 'shape-changed') kind = 'structure';
  else if (!t.delta) kind = 'not-compared';
  else {
    kind = t.delta.edit.kind === 'precision' ? 'precision' : 'change';
    value = Number.isNaN(t.delta.relL2) ? Infinity : t.delta.relL2;
  }
  return { name: t.name, status: t.status, layer, module, kind, value };
}

export function buildHeatGrid(tensors: readonly ReportTensor[]): HeatGrid {
  const layers = new Set<number>();
  const modules: string[] = [];
  const seenModules = new Set<string>();
  const cells: HeatCell[] = [];
  const outside: HeatCell[] = [];
  for (const t of tensors) {
    const c = cellOf(t);
    if (c.layer === null) {
      outside.push(c);
      continue;
    }
    layers.add(c.layer);
    if (!seenModules.has(c.module)) {
      seenModules.add(c.module);
      modules.push(c.module);
    }
    cells.push(c);
  }
  return { layers: [...layers].sort((a, b) => a - b), modules, cells, outside };
}
