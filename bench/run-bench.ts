/**
 * `npm run bench` — measured against references in the same run, never in unit tests.
 *
 * Generates two ≥ 1 GiB BF16 checkpoints (cached in .bench/), then times on the same files:
 *   1. `model-sleuth compare` (CLI, worker_threads, default engine),
 *   2. the browser workbench (Playwright + Debian Chromium: file pick → verdict),
 *   3. the reference peer: bench/peer_compare.py (PyTorch + hashlib, Debian's python3-torch),
 *   4. `sha256sum` of both files (the floor for "hash every byte"),
 * and reports ratios (peer time / ours) and peak RSS. Scenarios: a tampered suspect (rank-1 edit,
 * bit flips, token rows) and a full fine-tune (every matrix changed).
 *
 * Options: --scenario tampered,finetune,gguf-q8_0,gguf-q4_k,engines,activations|all (default all) · --skip-browser · --size small (≈ 110 MB, smoke run)
 * `engines`: WebGPU vs CPU-twin kernel throughput in headless Chromium (tests/browser/engine-bench.test.ts);
 * `activations`: forward-pass throughput against PyTorch (bench/activations-bench.ts).
 * Also: rank-estimation overhead (finetune with and without it) and the GGUF dequantize+compare
 * throughput relative to safetensors-vs-safetensors on the same weights.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_SHAPES, FINE_TUNE, llamaShapes, TAMPER, writeCheckpoint, writeGgufCheckpoint, type BenchTensor } from './gen-checkpoint.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const small = opt('--size') === 'small';
const scenarioArg = opt('--scenario') ?? 'all';
const skipBrowser = args.includes('--skip-browser');
const shapes: BenchTensor[] = small ? llamaShapes({ vocab: 8000, hidden: 1024, intermediate: 2816, layers: 4, kvDim: 128 }) : BENCH_SHAPES;
const dir = join(repo, '.bench', small ? 'small' : 'full');
mkdirSync(dir, { recursive: true });

interface Timing {
  seconds: number;
  peakRssMiB: number;
}

function ensure(name: string, seed: number, edit?: Parameters<typeof writeCheckpoint>[3]): string {
  const path = join(dir, name);
  if (!existsSync(path)) {
    const t0 = performance.now();
    const bytes = writeCheckpoint(path, shapes, seed, edit);
    log(`generated ${name}: ${(bytes / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return path;
}

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

/** Runs a command under GNU time: wall seconds and peak RSS (whole process incl. worker threads). */
function timed(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv = process.env): Timing {
  const out = join(tmpdir(), `ms-time-${process.pid}.txt`);
  try {
    execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', out, cmd, ...cmdArgs], { stdio: ['ignore', 'ignore', 'ignore'], env, maxBuffer: 1 << 30 });
  } catch (e) {
    // model-sleuth exits 1 for a tampered verdict: that is a result, not a failure.
    if ((e as { status?: number }).status !== 1) throw e;
  }
  const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
  const [secs, kb] = last.trim().split(/\s+/).map(Number) as [number, number];
  rmSync(out, { force: true });
  return { seconds: secs, peakRssMiB: kb / 1024 };
}

function warmCache(paths: string[]): void {
  // Page cache warm for every contender alike (the figures compare compute, not the disk).
  for (const p of paths) execFileSync('cat', [p], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
}

async function browserRun(kg: string, su: string): Promise<Timing | undefined> {
  if (!existsSync(join(repo, 'dist', 'index.html'))) {
    log('browser: dist/ missing — run `npx vite build` first; skipped');
    return undefined;
  }
  const { chromium } = await import('playwright');
  const server = spawn(join(repo, 'node_modules', '.bin', 'vite'), ['preview', '--port', '4188', '--strictPort'], { cwd: repo, stdio: 'ignore' });
  try {
    await waitForServer('http://127.0.0.1:4188/');
    const userDir = mkdtempSync(join(tmpdir(), 'ms-bench-chrome-'));
    const browser = await chromium.launchPersistentContext(userDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    let peak = 0;
    const rss = new ChromiumRss(userDir);
    const sampler = setInterval(() => (peak = Math.max(peak, rss.sampleMiB())), 100);
    try {
      const page = await browser.newPage();
      await page.goto('http://127.0.0.1:4188/');
      await page.getByTestId('known-good-input').setInputFiles(kg);
      await page.getByTestId('suspect-input').setInputFiles(su);
      const t0 = performance.now();
      await page.getByTestId('compare-button').click();
      await page.getByTestId('verdict').waitFor({ timeout: 30 * 60_000 });
      const seconds = (performance.now() - t0) / 1000;
      const verdict = await page.getByTestId('verdict').innerText();
      log(`browser verdict: ${verdict.split('\n')[0]}`);
      return { seconds, peakRssMiB: peak };
    } finally {
      clearInterval(sampler);
      await browser.close();
      rmSync(userDir, { recursive: true, force: true });
    }
  } finally {
    server.kill();
  }
}

/**
 * Sum of VmRSS over the browser's processes (those whose command line names its profile folder).
 * The process list is rescanned once a second, not every sample: scanning all of /proc ten times
 * a second cost the browser under test a few percent of a core.
 */
class ChromiumRss {
  private pids: string[] = [];
  private scannedAt = 0;
  constructor(private readonly marker: string) {}

  sampleMiB(): number {
    const now = performance.now();
    if (now - this.scannedAt > 1000) {
      this.scannedAt = now;
      this.pids = readdirSync('/proc').filter((pid) => {
        if (!/^\d+$/.test(pid)) return false;
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.marker);
        } catch {
          return false; // process ended
        }
      });
    }
    let kb = 0;
    for (const pid of this.pids) {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) kb += Number(m[1]);
      } catch {
        /* process ended */
      }
    }
    return kb / 1024;
  }
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not start`);
}

/** Runs a child to completion and returns its standard output (stderr passes through). */
function childOutput(cmd: string, cmdArgs: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

const fmt = (t: Timing | undefined): string => (t ? `${t.seconds.toFixed(2)} s, peak RSS ${t.peakRssMiB.toFixed(0)} MiB` : 'skipped');

async function main(): Promise<void> {
  const kg = ensure('known-good.safetensors', 1);
  const want = (name: string): boolean => scenarioArg === 'all' || scenarioArg.split(',').includes(name);
  const size = statSync(kg).size;
  const results: Record<string, unknown> = { machine: `${execFileSync('nproc').toString().trim()} cores`, fileBytes: size, scenarios: {} };
  const record = (name: string, value: unknown): void => {
    (results['scenarios'] as Record<string, unknown>)[name] = value;
  };
  const cliRun = (su: string, extra: string[] = []): { t: Timing; report: { verdict: { status: string }; notes?: string[]; tool: { engine: string } } } => {
    const reportOut = join(tmpdir(), `ms-report-${process.pid}.json`);
    const t = timed(process.execPath, [join(repo, 'bin', 'model-sleuth.js'), 'compare', kg, su, '--json', reportOut, '-q', ...extra]);
    const report = JSON.parse(readFileSync(reportOut, 'utf8')) as { verdict: { status: string }; notes?: string[]; tool: { engine: string } };
    rmSync(reportOut, { force: true });
    log(`  verdict ${report.verdict.status}; engine ${report.tool.engine}; ${report.notes?.slice(0, 2).join('; ') ?? ''}`);
    return { t, report };
  };
  let spineCli: Timing | undefined;
  let fineTuneCli: Timing | undefined;

  for (const [scenario, edit] of [['tampered', TAMPER], ['finetune', FINE_TUNE]] as const) {
    if (!want(scenario)) continue;
    const su = ensure(`suspect-${scenario}.safetensors`, 1, edit);
    log(`\n== ${scenario}: ${(size / 2 ** 30).toFixed(2)} GiB per side ==`);
    warmCache([kg, su]);
    const sha = timed('sha256sum', [kg, su]);
    log(`sha256sum (both files): ${fmt(sha)}`);
    warmCache([kg, su]);
    const peerOut = join(tmpdir(), `ms-peer-${process.pid}.json`);
    const peer = timed('/usr/bin/python3', [join(repo, 'bench', 'peer_compare.py'), kg, su, peerOut]);
    rmSync(peerOut, { force: true });
    log(`peer (PyTorch + hashlib): ${fmt(peer)}`);
    warmCache([kg, su]);
    const { t: cli } = cliRun(su);
    log(`model-sleuth CLI: ${fmt(cli)}`);
    if (scenario === 'tampered') spineCli = cli;
    if (scenario === 'finetune') fineTuneCli = cli;
    let noRank: Timing | undefined;
    if (scenario === 'finetune') {
      warmCache([kg, su]);
      noRank = cliRun(su, ['--no-rank']).t;
      log(`model-sleuth CLI without rank estimation: ${fmt(noRank)} → rank estimation adds ${(((cli.seconds - noRank.seconds) / noRank.seconds) * 100).toFixed(1)}%`);
    }
    warmCache([kg, su]);
    const browser = skipBrowser ? undefined : await browserRun(kg, su);
    log(`model-sleuth browser: ${fmt(browser)}`);
    const ratio = (t: Timing | undefined): string => (t ? (peer.seconds / t.seconds).toFixed(2) : 'n/a');
    log(`ratios (peer / ours): CLI ${ratio(cli)}×, browser ${ratio(browser)}× · sha256sum ${sha.seconds.toFixed(2)} s`);
    record(scenario, { sha256sum: sha, peer, cli, browser: browser ?? null, ratioCli: peer.seconds / cli.seconds, ratioBrowser: browser ? peer.seconds / browser.seconds : null, ...(noRank ? { cliNoRank: noRank, rankOverhead: (cli.seconds - noRank.seconds) / noRank.seconds } : {}) });
  }

  for (const type of ['Q8_0', 'Q4_K'] as const) {
    const name = `gguf-${type.toLowerCase()}`;
    if (!want(name)) continue;
    const path = join(dir, `suspect-${type}.gguf`);
    if (!existsSync(path)) {
      const t0 = performance.now();
      const bytes = await writeGgufCheckpoint(path, shapes, 1, type, small ? { nHead: 8, nHeadKv: 1 } : { nHead: 16, nHeadKv: 2 });
      log(`generated ${path}: ${(bytes / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    log(`\n== ${name}: BF16 safetensors vs ${type} GGUF of the same weights${type === 'Q4_K' ? ' (random valid blocks: throughput only)' : ''} ==`);
    warmCache([kg, path]);
    const { t: cli } = cliRun(path);
    const params = shapes.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
    // Two references on the same weights: the tampered pair (few changes: identical chunks short-circuit)
    // and the fine-tuned pair (every element differs, as every element of a quantized copy does).
    const spine = spineCli ?? (results['scenarios'] as Record<string, { cli?: Timing }>)['tampered']?.cli;
    const dense = fineTuneCli ?? (results['scenarios'] as Record<string, { cli?: Timing }>)['finetune']?.cli;
    const relative = spine ? spine.seconds / cli.seconds : undefined;
    const relativeDense = dense ? dense.seconds / cli.seconds : undefined;
    log(
      `model-sleuth CLI: ${fmt(cli)} · ${(params / cli.seconds / 1e6).toFixed(0)} M parameters/s` +
        (relative === undefined ? '' : ` · ${relative.toFixed(2)}× the safetensors-vs-safetensors throughput (tampered pair)`) +
        (relativeDense === undefined ? '' : ` · ${relativeDense.toFixed(2)}× (fine-tuned pair: every element differs)`),
    );
    warmCache([kg, path]);
    const browser = skipBrowser ? undefined : await browserRun(kg, path);
    log(`model-sleuth browser: ${fmt(browser)}`);
    record(name, { cli, browser: browser ?? null, parametersPerSecond: params / cli.seconds, relativeToSafetensors: relative ?? null, relativeToFineTune: relativeDense ?? null });
  }
  if (want('engines')) {
    log('\n== engines: WebGPU (SwiftShader here) vs the CPU twin in Chromium, 8 MiB per side ==');
    const out = await childOutput('npx', ['vitest', 'run', '--project', 'browser', 'tests/browser/engine-bench.test.ts'], { VITE_ENGINE_BENCH: '1' });
    const lines = [...out.matchAll(/\[engine-bench\] (.*)/g)].map((m) => m[1] ?? '');
    for (const l of lines) log(`  ${l}`);
    record('engines', lines);
  }
  if (want('activations')) {
    log('\n== activations: forward pass vs PyTorch ==');
    const out = await childOutput(process.execPath, [join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(repo, 'bench', 'activations-bench.ts'), ...(small ? ['--layers', '2'] : [])], {});
    log(out);
    record('activations', out.trim().split('\n').slice(-8));
  }
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults written to ${join(dir, 'results.json')}`);
}

await main();
