/**
 * A fuzzing campaign: for each target, its seeds unchanged, then `perTarget` mutants, each run in
 * the watchdog pool (./pool.ts) and checked against the properties of ./targets.ts. Case `i` of a
 * target is generated from (target, seed, i) alone, so any case is reproducible from those three
 * numbers whatever the concurrency. Used by the CI budget test (tests/unit/fuzz/fuzz-ci.test.ts)
 * and the long run (scripts/fuzz.ts).
 */
import { mutate, type MutationName } from './mutate.ts';
import type { CaseResult, FuzzPool } from './pool.ts';
import { Rng, seedOf } from './rng.ts';
import type { Seed } from './seeds.ts';
import { TARGETS, type TargetName } from './targets.ts';

export interface Finding {
  target: TargetName;
  /** Case index (-1 for an unmutated seed). */
  index: number;
  status: CaseResult['status'] | 'slow';
  violations: string[];
  bytes: Uint8Array;
  name: string;
  origin: string;
  ops: MutationName[];
  ms: number;
}

export interface TargetStats {
  target: TargetName;
  seeds: number;
  cases: number;
  ok: number;
  inputErrors: number;
  findings: number;
  hangs: number;
  crashes: number;
  /** Slowest case (CPU or wall time of one parse, as `timing` says). */
  slowest: { ms: number; index: number; origin: string; ops: MutationName[]; size: number };
  /** Sum of the parse times, ms. */
  parseMs: number;
  wallMs: number;
  /** Error codes seen, with counts. */
  codes: Record<string, number>;
}

export interface CampaignOptions {
  pool: FuzzPool;
  seeds: ReadonlyMap<TargetName, readonly Seed[]>;
  /** Mutants per target. */
  perTarget: number;
  seed: number;
  targets?: readonly TargetName[];
  /** Per-case budget, ms, for inputs up to 64 KiB: a case over it (twice) is a `slow` finding. */
  budgetMs: number;
  /**
   * Extra budget per KiB beyond 64 KiB (default 0: the flat budget). The long run feeds multi-MB
   * real models, whose parse time grows with their size; what must not happen is superlinear time.
   */
  budgetMsPerKiB?: number;
  /** Stop each target after this long (the whole campaign gets targets × this). */
  timeLimitMsPerTarget?: number;
  /** Largest mutant, bytes. */
  maxBytes?: number;
  /** Parallel cases (≤ the pool's workers). */
  concurrency?: number;
  /**
   * What the budget measures: 'cpu' (default with one lane: process CPU time during the parse,
   * unaffected by other load on the machine) or 'wall' (the default with several lanes, whose CPU
   * times would mix).
   */
  timing?: 'cpu' | 'wall';
  onFinding?: (f: Finding) => void | Promise<void>;
  onProgress?: (s: TargetStats) => void;
}

/** The bytes and provenance of case `index` of `target` (index -1 - k: seed k unchanged). */
export function caseInput(target: TargetName, seeds: readonly Seed[], seed: number, index: number, maxBytes = 1 << 20): { bytes: Uint8Array; name: string; origin: string; ops: MutationName[] } {
  if (index < 0) {
    const s = seeds[-index - 1] as Seed;
    return { bytes: s.bytes, name: s.name, origin: s.origin, ops: [] };
  }
  const rng = new Rng(seedOf(`${target}:${seed}`, index));
  const base = rng.pick(seeds);
  const { bytes, ops } = mutate(base.bytes, rng, () => rng.pick(seeds).bytes, maxBytes);
  return { bytes, name: base.name, origin: base.origin, ops };
}

export async function runCampaign(o: CampaignOptions): Promise<TargetStats[]> {
  const out: TargetStats[] = [];
  for (const target of o.targets ?? TARGETS) {
    const seeds = o.seeds.get(target) ?? [];
    const stats: TargetStats = { target, seeds: seeds.length, cases: 0, ok: 0, inputErrors: 0, findings: 0, hangs: 0, crashes: 0, slowest: { ms: 0, index: 0, origin: '', ops: [], size: 0 }, parseMs: 0, wallMs: 0, codes: {} };
    const timing = o.timing ?? ((o.concurrency ?? 1) > 1 ? 'wall' : 'cpu');
    const cost = (r: CaseResult): number => (timing === 'cpu' && r.cpuMs !== undefined ? r.cpuMs : r.ms);
    const started = performance.now();
    const deadline = o.timeLimitMsPerTarget === undefined ? Infinity : started + o.timeLimitMsPerTarget;
    // Seeds first (indices -1 … -n), then mutants 0 … perTarget - 1.
    let next = -seeds.length;
    const end = o.perTarget;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (performance.now() > deadline) return;
        const index = next++;
        if (index >= end) return;
        const input = caseInput(target, seeds, o.seed, index, o.maxBytes);
        const budget = budgetFor(o, input.bytes.length);
        let r = await o.pool.run(target, input.bytes, input.name);
        let ms = cost(r);
        // One retry absorbs a busy moment on a shared machine; a case slow twice is a finding.
        if (r.status !== 'hang' && r.status !== 'crash' && ms > budget) {
          const again = await o.pool.run(target, input.bytes, input.name);
          ms = Math.min(ms, cost(again));
          if (again.status === 'violation' && r.status !== 'violation') r = again;
        }
        stats.cases++;
        stats.parseMs += ms;
        if (r.code !== undefined) stats.codes[r.code] = (stats.codes[r.code] ?? 0) + 1;
        if (ms > stats.slowest.ms) stats.slowest = { ms, index, origin: input.origin, ops: input.ops, size: input.bytes.length };
        let status: Finding['status'] = r.status;
        let violations = r.violations;
        if ((status === 'ok' || status === 'input-error') && ms > budget) {
          status = 'slow';
          violations = [`took ${ms.toFixed(0)} ms (twice over the ${budget.toFixed(0)} ms budget) on ${input.bytes.length} bytes`];
        }
        if (status === 'ok') stats.ok++;
        else if (status === 'input-error') stats.inputErrors++;
        else {
          stats.findings++;
          if (status === 'hang') stats.hangs++;
          if (status === 'crash') stats.crashes++;
          await o.onFinding?.({ target, index, status, violations, bytes: input.bytes, name: input.name, origin: input.origin, ops: input.ops, ms });
        }
        if (stats.cases % 1000 === 0) o.onProgress?.({ ...stats, wallMs: performance.now() - started });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 1) }, lane));
    stats.wallMs = performance.now() - started;
    out.push(stats);
    o.onProgress?.(stats);
  }
  return out;
}

/** The time budget of one input of `size` bytes. */
export function budgetFor(o: Pick<CampaignOptions, 'budgetMs' | 'budgetMsPerKiB'>, size: number): number {
  return o.budgetMs + Math.max(0, size / 1024 - 64) * (o.budgetMsPerKiB ?? 0);
}

/**
 * Shrinks a failing input while the pool still reports a finding of the same status whose first
 * violation starts the same way (delta debugging over chunks, then single bytes), within `maxRuns`.
 */
export async function minimize(pool: FuzzPool, f: Finding, budget: (size: number) => number, maxRuns = 400): Promise<Uint8Array> {
  const key = (v: readonly string[]): string => (v[0] ?? '').replace(/\d+/g, '#').slice(0, 60);
  const want = key(f.violations);
  let runs = 0;
  const still = async (b: Uint8Array): Promise<boolean> => {
    runs++;
    const r = await pool.run(f.target, b, f.name);
    const status: Finding['status'] = (r.status === 'ok' || r.status === 'input-error') && (r.cpuMs ?? r.ms) > budget(b.length) ? 'slow' : r.status;
    if (status !== f.status) return false;
    return status === 'slow' || status === 'hang' || key(r.violations) === want;
  };
  let cur = f.bytes;
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1 && runs < maxRuns; chunk = chunk >> 1) {
    for (let at = 0; at < cur.length && runs < maxRuns; ) {
      const cand = new Uint8Array(cur.length - Math.min(chunk, cur.length - at));
      cand.set(cur.subarray(0, at));
      cand.set(cur.subarray(at + chunk), at);
      if (cand.length < cur.length && (await still(cand))) cur = cand;
      else at += chunk;
    }
  }
  return cur;
}
