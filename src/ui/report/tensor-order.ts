/** Sorting and filtering of the tensor table (pure; the table renders the result). */
import type { ReportTensor, TensorStatus } from '../../lib/report/types.ts';

export type SortKey = 'status' | 'name' | 'relL2' | 'changed';
export type SortDir = 'asc' | 'desc';

/** Changed first, most structural first: what a responder looks at before the identical bulk. */
export const STATUS_ORDER: readonly TensorStatus[] = ['modified', 'unverified', 'shape-changed', 'dtype-changed', 'added', 'removed', 'identical'];

const statusRank = (s: TensorStatus): number => {
  const i = STATUS_ORDER.indexOf(s);
  return i < 0 ? STATUS_ORDER.length : i;
};

/** relL2 for ranking: values not compared rank above any number (they need a look). */
export function relL2Of(t: ReportTensor): number {
  if (t.delta) return Number.isNaN(t.delta.relL2) ? Infinity : t.delta.relL2;
  return t.status === 'identical' ? 0 : Infinity;
}

export function changedOf(t: ReportTensor): number {
  if (t.delta) return t.delta.changedCount;
  return t.status === 'identical' ? 0 : Infinity;
}

const byName = (a: ReportTensor, b: ReportTensor): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function sortTensors(tensors: readonly ReportTensor[], key: SortKey, dir: SortDir): ReportTensor[] {
  const sign = dir === 'asc' ? 1 : -1;
  const cmp: (a: ReportTensor, b: ReportTensor) => number =
    key === 'name'
      ? (a, b) => sign * byName(a, b)
      : key === 'status'
        ? (a, b) => sign * (statusRank(a.status) - statusRank(b.status)) || relL2Of(b) - relL2Of(a) || byName(a, b)
        : key === 'relL2'
          ? (a, b) => sign * (relL2Of(a) - relL2Of(b) || 0) || byName(a, b)
          : (a, b) => sign * (changedOf(a) - changedOf(b) || 0) || byName(a, b);
  return [...tensors].sort((a, b) => {
    const c = cmp(a, b);
    return Number.isNaN(c) ? byName(a, b) : c;
  });
}

export function countByStatus(tensors: readonly ReportTensor[]): Map<TensorStatus, number> {
  const m = new Map<TensorStatus, number>();
  for (const t of tensors) m.set(t.status, (m.get(t.status) ?? 0) + 1);
  return m;
}
