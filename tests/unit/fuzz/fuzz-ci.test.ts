/**
 * The CI fuzzing budget: for every parser, its seeds unchanged and 1,000 mutants (bit flips,
 * boundary bytes, length fields set to boundary values, chunk duplication/deletion, truncation,
 * splicing, format tokens), each in a watchdog worker (tests/fuzz/pool.ts), each held to the
 * properties of tests/fuzz/targets.ts — succeed or fail with a catalogued input error, the same
 * result twice, offsets inside the input, pickles never rated safe after an anomaly — and to
 * 250 ms of CPU time (measured around the parse; one worker, so the process's CPU time is the
 * case's, whatever else loads the machine). The whole file must stay well under a minute of CPU on
 * a 2-core machine; its CPU time (all threads) is measured and printed.
 *
 * FUZZ_SEED=n reruns with other inputs; a failure names the case (target, seed, index), which
 * `npm run fuzz -- --targets=<t> --seed=<n>` regenerates and minimizes into .fuzz/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign, type Finding, type TargetStats } from '../../fuzz/campaign.ts';
import { FuzzPool } from '../../fuzz/pool.ts';
import { realModelsStatus, seedsByTarget, type Seed } from '../../fuzz/seeds.ts';
import { TARGETS, type TargetName } from '../../fuzz/targets.ts';

const PER_TARGET = 1000;
const BUDGET_MS = 250;
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261122);

let pool: FuzzPool;
let seeds: Map<TargetName, Seed[]>;
let cpuAtStart: NodeJS.CpuUsage;
const all: TargetStats[] = [];

beforeAll(async () => {
  cpuAtStart = process.cpuUsage();
  seeds = await seedsByTarget();
  pool = new FuzzPool({ workers: 1, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  await pool.close();
  const cpu = process.cpuUsage(cpuAtStart);
  const cases = all.reduce((n, s) => n + s.cases, 0);
  const lines = all.map((s) => `  ${s.target.padEnd(15)} ${String(s.cases).padStart(5)} cases (${s.seeds} seeds) · ${s.ok} ok · ${s.inputErrors} input errors · ${s.findings} findings · slowest ${s.slowest.ms.toFixed(1)} ms`);
  console.log(`fuzz CI (seed ${SEED}, ${realModelsStatus()}):\n${lines.join('\n')}\n  ${cases} cases in ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU (all threads)`);
});

describe('fuzz CI budget', () => {
  it('has seeds for every target', () => {
    for (const t of TARGETS) expect((seeds.get(t) ?? []).length, t).toBeGreaterThan(0);
  });

  it('the watchdog stops a hang, a heap blow-up and a throw, and the pool carries on', async () => {
    const small = new FuzzPool({ workers: 1, timeoutMs: 1500, heapMb: 64 });
    try {
      expect((await small.run('__hang__', new Uint8Array(0), 'x')).status).toBe('hang');
      expect((await small.run('__oom__', new Uint8Array(0), 'x')).status).toBe('crash');
      expect((await small.run('__throw__', new Uint8Array(0), 'x')).status).toBe('crash');
      expect((await small.run('gguf', new Uint8Array(0), 'model.gguf')).status).toBe('input-error');
      expect(small.started).toBe(3);
    } finally {
      await small.close();
    }
  }, 60_000);

  for (const target of TARGETS) {
    it(`${target}: seeds + ${PER_TARGET} mutants, every case within the properties and ${BUDGET_MS} ms`, async () => {
      const findings: Finding[] = [];
      const [stats] = await runCampaign({ pool, seeds, perTarget: PER_TARGET, seed: SEED, targets: [target], budgetMs: BUDGET_MS, maxBytes: 256 * 1024, onFinding: (f) => void findings.push(f) });
      if (stats) all.push(stats);
      const report = findings.slice(0, 5).map((f) => `case ${f.index} (${f.origin}; ${f.ops.join('+') || 'unmutated'}; ${f.bytes.length} bytes): ${f.status} — ${f.violations.slice(0, 3).join(' | ')}`);
      expect(report, `${findings.length} finding(s); rerun: npm run fuzz -- --targets=${target} --seed=${SEED} --per-format=${PER_TARGET}`).toEqual([]);
      expect(stats?.cases).toBeGreaterThanOrEqual(PER_TARGET);
      expect(stats?.slowest.ms).toBeLessThan(BUDGET_MS);
    }, 120_000);
  }
});
