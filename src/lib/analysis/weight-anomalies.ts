/**
 * Sibling-layer anomaly scores: without a known-good, a tampered layer often still stands out from
 * its siblings — the same module in the other layers (model.layers.*.self_attn.q_proj.weight).
 * For every group of ≥ MIN_SIBLINGS tensors with the same name pattern and shape rank, each
 * tensor's statistics (log-RMS, log max |x|, kurtosis, share of non-finite values) are scored with a
 * robust z-score (median and MAD, so the outlier itself does not mask itself) and the worst is kept.
 *
 * Fine-tuned or quantized models have natural spread between layers (first/last layers differ most),
 * so the threshold is high and findings from it are leads, never proof: they make a scan
 * `inconclusive`, not `tampered`.
 */
import type { StatsSummary } from '../engine/stats.ts';

export const MIN_SIBLINGS = 4;
/** Robust z-score above which a tensor is reported (≈ 6σ for normal data). */
export const ANOMALY_Z = 8;

export interface TensorAnomaly {
  name: string;
  /** Group pattern, e.g. "model.layers.*.self_attn.q_proj.weight". */
  group: string;
  siblings: number;
  /** Largest |robust z| over the metrics, and which metric. */
  score: number;
  metric: 'rms' | 'max' | 'kurtosis' | 'nonFinite';
  value: number;
  median: number;
}

interface Scored {
  name: string;
  stats: StatsSummary;
}

const LAYER = /(\.|^)(\d+)(\.)/;

export function siblingGroup(name: string): string | undefined {
  return LAYER.test(name) ? name.replace(LAYER, '$1*$3') : undefined;
}

function metric(s: StatsSummary, m: TensorAnomaly['metric']): number | undefined {
  switch (m) {
    case 'rms':
      return s.mean !== null && s.std !== null ? Math.log(Math.sqrt(s.std * s.std + s.mean * s.mean) + 1e-30) : undefined;
    case 'max':
      return s.min !== null && s.max !== null ? Math.log(Math.max(Math.abs(s.min), Math.abs(s.max)) + 1e-30) : undefined;
    case 'kurtosis':
      return s.kurtosis === null ? undefined : Math.sign(s.kurtosis) * Math.log1p(Math.abs(s.kurtosis));
    case 'nonFinite':
      return s.count > 0 ? (s.nan + s.inf) / s.count : undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Every tensor's worst sibling score (groups of fewer than MIN_SIBLINGS are not scored). */
export function siblingAnomalies(tensors: readonly Scored[]): TensorAnomaly[] {
  const groups = new Map<string, Scored[]>();
  for (const t of tensors) {
    const g = siblingGroup(t.name);
    if (g === undefined) continue;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(t);
  }
  const out: TensorAnomaly[] = [];
  for (const [group, members] of groups) {
    if (members.length < MIN_SIBLINGS) continue;
    const best = new Map<string, TensorAnomaly>();
    for (const m of ['rms', 'max', 'kurtosis', 'nonFinite'] as const) {
      const values = members.map((t) => ({ name: t.name, v: metric(t.stats, m) })).filter((x): x is { name: string; v: number } => x.v !== undefined && Number.isFinite(x.v));
      if (values.length < MIN_SIBLINGS) continue;
      const med = median(values.map((x) => x.v));
      // MAD scaled to σ for normal data, floored by the natural spread of each metric across healthy
      // layers (so near-identical siblings do not turn sampling noise into outliers): RMS may vary
      // ~10% in log space, max |x| ~25%, log-kurtosis ~0.5; non-finite values should not exist.
      const floor = m === 'rms' ? 0.1 : m === 'max' ? 0.25 : m === 'kurtosis' ? 0.5 : 1e-9;
      const mad = Math.max(1.4826 * median(values.map((x) => Math.abs(x.v - med))), floor);
      for (const x of values) {
        const z = Math.abs(x.v - med) / mad;
        const prev = best.get(x.name);
        if (!prev || z > prev.score) best.set(x.name, { name: x.name, group, siblings: members.length, score: z, metric: m, value: x.v, median: med });
      }
    }
    out.push(...best.values());
  }
  return out.sort((a, b) => b.score - a.score);
}

export function describeAnomaly(a: TensorAnomaly): string {
  const what =
    a.metric === 'rms'
      ? `its RMS (${Math.exp(a.value).toPrecision(3)}) is far from its ${a.siblings - 1} siblings' median (${Math.exp(a.median).toPrecision(3)})`
      : a.metric === 'max'
        ? `its largest |value| (${Math.exp(a.value).toPrecision(3)}) is far from its siblings' median (${Math.exp(a.median).toPrecision(3)})`
        : a.metric === 'kurtosis'
          ? `its kurtosis is far from its ${a.siblings - 1} siblings' (heavy outliers)`
          : `it has NaN/Inf values (${(a.value * 100).toPrecision(2)}%) unlike its siblings`;
  return `${a.name} stands out from ${a.group}: ${what} (robust z = ${a.score.toFixed(1)})`;
}
