/**
 * The long fuzzing run: every parser, N mutated inputs each (default 1,000,000), in watchdog
 * worker threads (tests/fuzz/pool.ts), against the properties of tests/fuzz/targets.ts — the same
 * campaign as the CI budget test, at length. Prints per-format counts, findings, the slowest case
 * and throughput; writes each finding (and a minimized copy) to .fuzz/ with a JSON note saying how
 * to regenerate it.
 *
 *   npm run fuzz -- [inputs per format] [seed] [time limit, seconds]
 *   npm run fuzz -- --per-format=100000 --seed=7 --time=3600 --targets=gguf,pickle --workers=1 --budget-ms=250
 *
 * The time limit is for the whole run, split evenly between the formats. Run it at low priority
 * on a shared machine: `nice -n 19 npm run fuzz -- …`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { budgetFor, minimize, runCampaign, type Finding, type TargetStats } from '../tests/fuzz/campaign.ts';
import { FuzzPool } from '../tests/fuzz/pool.ts';
import { realModelsStatus, seedsByTarget } from '../tests/fuzz/seeds.ts';
import { TARGETS, type TargetName } from '../tests/fuzz/targets.ts';

const OUT = join(process.cwd(), '.fuzz');

function parseArgs(argv: readonly string[]): { perFormat: number; seed: number; timeSec: number | undefined; targets: TargetName[]; workers: number; budgetMs: number; budgetMsPerKiB: number } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m) flags.set(m[1] as string, m[2] as string);
    else if (a !== '--') positional.push(a);
  }
  const num = (v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isFinite(n) || n < 0) throw new Error(`fuzz: not a number: ${v}`);
    return n;
  };
  const targets = (flags.get('targets')?.split(',') ?? [...TARGETS]) as TargetName[];
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`fuzz: unknown target ${t} (known: ${TARGETS.join(', ')})`);
  const time = flags.get('time') ?? positional[2];
  return {
    perFormat: num(flags.get('per-format') ?? positional[0], 1_000_000),
    seed: num(flags.get('seed') ?? positional[1], Date.now() % 1_000_000),
    timeSec: time === undefined ? undefined : num(time, 0),
    targets,
    workers: num(flags.get('workers'), 1),
    budgetMs: num(flags.get('budget-ms'), 250),
    // Multi-MB real models as seeds: 250 ms up to 64 KiB, then 0.25 ms per KiB (≥ 4 MB/s — linear time).
    budgetMsPerKiB: num(flags.get('budget-ms-per-kib'), 0.25),
  };
}

function row(s: TargetStats): string {
  const rate = s.cases / Math.max(1e-9, s.wallMs / 1000);
  const slow = `${s.slowest.ms.toFixed(1)} ms (case ${s.slowest.index}, ${s.slowest.size} B, ${s.slowest.origin}${s.slowest.ops.length ? `; ${s.slowest.ops.join('+')}` : ''})`;
  return `${s.target.padEnd(15)} ${String(s.cases).padStart(9)} ${String(s.ok).padStart(8)} ${String(s.inputErrors).padStart(9)} ${String(s.findings).padStart(8)} ${String(s.hangs).padStart(5)} ${String(s.crashes).padStart(6)} ${rate.toFixed(0).padStart(8)}/s  ${slow}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  console.log(`model-sleuth fuzz: ${o.perFormat} inputs per format, seed ${o.seed}, ${o.timeSec === undefined ? 'no time limit' : `time limit ${o.timeSec} s`}, ${o.workers} worker(s), budget ${o.budgetMs} ms of CPU per case (+${o.budgetMsPerKiB} ms per KiB over 64 KiB; wall time with several workers)`);
  console.log(realModelsStatus());
  const seeds = await seedsByTarget({ maxRealBytes: 4 * 1024 * 1024 });
  console.log(`seeds: ${o.targets.map((t) => `${t} ${(seeds.get(t) ?? []).length}`).join(', ')}`);
  const pool = new FuzzPool({ workers: o.workers, timeoutMs: 10_000 });
  const minPool = new FuzzPool({ workers: 1, timeoutMs: 10_000 });
  const findings: Finding[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastPrint = 0;
  const stats = await runCampaign({
    pool,
    seeds,
    perTarget: o.perFormat,
    seed: o.seed,
    targets: o.targets,
    budgetMs: o.budgetMs,
    budgetMsPerKiB: o.budgetMsPerKiB,
    concurrency: o.workers,
    maxBytes: 4 * 1024 * 1024,
    ...(o.timeSec === undefined ? {} : { timeLimitMsPerTarget: (o.timeSec * 1000) / o.targets.length }),
    onProgress: (s) => {
      const now = performance.now();
      if (now - lastPrint > 30_000) {
        lastPrint = now;
        console.log(`  … ${s.target}: ${s.cases} cases, ${s.findings} findings, slowest ${s.slowest.ms.toFixed(1)} ms, ${(s.cases / Math.max(1e-9, s.wallMs / 1000)).toFixed(0)}/s`);
      }
    },
    onFinding: async (f) => {
      findings.push(f);
      const base = join(OUT, `${f.target}-seed${o.seed}-case${f.index}`);
      writeFileSync(`${base}.bin`, f.bytes);
      // Slowness on a shared machine is too noisy to minimize against; the other findings shrink.
      const small = findings.length <= 50 && f.status !== 'slow' ? await minimize(minPool, f, (size) => budgetFor(o, size)) : f.bytes;
      writeFileSync(`${base}.min.bin`, small);
      const note = { target: f.target, status: f.status, violations: f.violations, name: f.name, origin: f.origin, ops: f.ops, ms: f.ms, bytes: f.bytes.length, minimizedBytes: small.length, regenerate: `npm run fuzz -- --targets=${f.target} --seed=${o.seed} --per-format=${f.index + 1}` };
      writeFileSync(`${base}.json`, `${JSON.stringify(note, null, 2)}\n`);
      console.log(`FINDING ${f.target} case ${f.index}: ${f.status} — ${f.violations.slice(0, 2).join(' | ')} → ${base}.bin (minimized to ${small.length} B)`);
    },
  });
  await pool.close();
  await minPool.close();
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  const total = stats.reduce((n, s) => n + s.cases, 0);
  console.log(`\n${'format'.padEnd(15)} ${'inputs'.padStart(9)} ${'ok'.padStart(8)} ${'rejected'.padStart(9)} ${'findings'.padStart(8)} ${'hangs'.padStart(5)} ${'crashes'.padStart(6)} ${'rate'.padStart(10)}  slowest case`);
  for (const s of stats) console.log(row(s));
  const slowest = stats.reduce<TargetStats | undefined>((b, s) => (b === undefined || s.slowest.ms > b.slowest.ms ? s : b), undefined);
  console.log(`\n${total} inputs in ${wall.toFixed(0)} s (${(total / wall).toFixed(0)}/s), ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU (all threads); ${findings.length} finding(s); slowest case ${slowest ? `${slowest.slowest.ms.toFixed(1)} ms (${slowest.target})` : 'n/a'}; workers started ${pool.started}`);
  writeFileSync(join(OUT, `summary-seed${o.seed}.json`), `${JSON.stringify({ options: o, wallSeconds: wall, cpuSeconds: (cpu.user + cpu.system) / 1e6, stats, findings: findings.map((f) => ({ target: f.target, index: f.index, status: f.status, violations: f.violations })) }, null, 2)}\n`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

await main();
