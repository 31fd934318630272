/**
 * Bounded resources in the browser (issue 5 item 5):
 * - the main thread never blocks for more than 100 ms while a model of a few hundred tensors
 *   streams (Long Tasks API + a requestAnimationFrame gap monitor), and how long the report
 *   assembly and first render block it is measured and bounded too;
 * - (MODEL_SLEUTH_BIG=1, `npm run test:big`) a sparse model past 4 GiB picked through the file
 *   inputs reaches its verdict, with the memory of the browser's processes — renderer (page and
 *   analysis workers), browser (which serves the File reads), GPU, utilities — sampled from /proc
 *   and no higher than for a 1 GiB model.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test, type Page } from '@playwright/test';
import { GiB, sparseDir, writeSparseSafetensors, type SparseModelSpec } from '../unit/robustness/sparse-model.ts';
import { APP, tempDir, watchConsole } from './helpers.ts';

const BIG = process.env['MODEL_SLEUTH_BIG'] === '1';

// ── main-thread blocking ──────────────────────────────────────────────────────────────────────

const MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj', 'post_attention_layernorm'];
const STREAMING_PHASE = 'Hashing and comparing tensors';

interface Block {
  start: number;
  duration: number;
}

/**
 * Long tasks and frame gaps over 50 ms (page clock), and a performance mark at each change of
 * the progress phase (or "verdict") as animation frames see it, which the trace below lines up.
 */
async function monitorMainThread(page: Page): Promise<() => Promise<{ longtasks: Block[]; gaps: Block[]; phases: { t: number; phase: string }[] }>> {
  await page.addInitScript(() => {
    const log = { longtasks: [] as Block[], gaps: [] as Block[], phases: [] as { t: number; phase: string }[] };
    (window as unknown as { mainThreadLog: typeof log }).mainThreadLog = log;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) log.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    let last = performance.now();
    let phase = '';
    const frame = (): void => {
      const now = performance.now();
      if (now - last > 50) log.gaps.push({ start: last, duration: now - last });
      last = now;
      const p = document.querySelector('[data-testid="progress-phase"]')?.textContent?.trim() ?? (document.querySelector('[data-testid="verdict"]') ? 'verdict' : '');
      if (p !== phase) {
        phase = p;
        log.phases.push({ t: now, phase });
        performance.mark(`phase:${p}`);
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return () => page.evaluate(() => (window as unknown as { mainThreadLog: { longtasks: Block[]; gaps: Block[]; phases: { t: number; phase: string }[] } }).mainThreadLog);
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** Main-thread tasks of the page's renderer with wall time (dur) and thread CPU time (tdur), in ms. */
function rendererTasks(trace: { traceEvents: TraceEvent[] }): { tasks: { start: number; wall: number; cpu: number }[]; marks: Map<string, number> } {
  const ev = trace.traceEvents;
  const main = new Set(ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const marks = new Map<string, number>();
  for (const e of ev) if (e.name.startsWith('phase:') && main.has(`${e.pid}:${e.tid}`) && !marks.has(e.name)) marks.set(e.name, e.ts / 1000);
  const tasks = ev
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ start: e.ts / 1000, wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? e.dur ?? 0) / 1000 }));
  return { tasks, marks };
}

test('no main-thread block over 100 ms while 320 tensors stream', async ({ page, browser }) => {
  const tmp = tempDir('longtasks');
  try {
    const console = watchConsole(page);
    // 40 layers × 8 modules of 64 × 512 F32 (128 KiB each, sparse): 40 MiB per side, three edits.
    const spec: SparseModelSpec = { tensors: 320, rows: 64, cols: 512, name: (i) => `model.layers.${Math.floor(i / 8)}.${MODULES[i % 8]}.weight` };
    const kg = join(tmp.dir, 'kg.safetensors');
    const su = join(tmp.dir, 'su.safetensors');
    writeSparseSafetensors(kg, spec);
    writeSparseSafetensors(su, spec, [
      { tensor: 17, element: 1000, value: 4 },
      { tensor: 150, element: 5, value: -2 },
      { tensor: 319, element: 64 * 512 - 1, value: 1e30 },
    ]);
    const log = await monitorMainThread(page);
    await page.goto(APP);
    await page.getByTestId('known-good-input').setInputFiles(kg);
    await page.getByTestId('suspect-input').setInputFiles(su);
    await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
    await page.getByTestId('compare-button').click();
    await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered', { timeout: 60_000 });
    await expect(page.getByTestId('tensor-table').locator('tr[data-status="modified"]')).toHaveCount(3);
    await page.waitForTimeout(300); // the last frames
    const { tasks, marks } = rendererTasks(JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] });
    const { longtasks, gaps, phases } = await log();

    // Trace clock: the streaming phase runs from its first frame to the task that assembles and
    // renders the report (the last task before the verdict's first frame).
    const streamStart = marks.get(`phase:${STREAMING_PHASE}`);
    const verdictAt = marks.get('phase:verdict');
    expect(streamStart, [...marks.keys()].join(', ')).toBeDefined();
    expect(verdictAt).toBeDefined();
    const reportTask = tasks.filter((t) => t.start + t.wall <= (verdictAt ?? 0) && t.wall > 10).at(-1);
    expect(reportTask).toBeDefined();
    const streaming = tasks.filter((t) => t.start >= (streamStart ?? 0) && t.start + t.wall <= (reportTask?.start ?? 0));
    const max = (xs: number[]): number => Math.round(Math.max(0, ...xs));
    // Page clock, for the Long Tasks API and the frame gaps (wall time, CPU contention included).
    const pageStream = phases.find((p) => p.phase === STREAMING_PHASE)?.t ?? 0;
    const pageVerdict = phases.find((p) => p.phase === 'verdict')?.t ?? Infinity;
    const inStream = (b: Block): boolean => b.start >= pageStream && b.start + b.duration < pageVerdict - (reportTask?.wall ?? 0);
    const figures = {
      streamingMs: Math.round((reportTask?.start ?? 0) - (streamStart ?? 0)),
      streamingTasks: streaming.length,
      streamingLongestTaskCpuMs: max(streaming.map((t) => t.cpu)),
      streamingLongestTaskWallMs: max(streaming.map((t) => t.wall)),
      streamingLongestLongTaskApiMs: max(longtasks.filter(inStream).map((b) => b.duration)),
      streamingLongestFrameGapMs: max(gaps.filter(inStream).map((b) => b.duration)),
      reportTaskCpuMs: Math.round(reportTask?.cpu ?? 0),
      reportTaskWallMs: Math.round(reportTask?.wall ?? 0),
    };
    test.info().annotations.push({ type: 'main-thread', description: JSON.stringify(figures) });
    process.stdout.write(`main thread: ${JSON.stringify(figures)}\n`);
    expect(streaming.length).toBeGreaterThan(10);
    // What the page itself does per task while bytes stream: progress, job results. Measured as
    // the task's thread CPU time — its wall time also counts the time two busy workers (and
    // anything else on a 2-core machine) keep the main thread off the CPU, which the figures show.
    expect(figures.streamingLongestTaskCpuMs, JSON.stringify(figures)).toBeLessThanOrEqual(100);
    // Report assembly (src/lib buildCompareReport) plus the first render of 320 rows, findings
    // and the heatmap, in one task.
    expect(figures.reportTaskCpuMs, JSON.stringify(figures)).toBeLessThanOrEqual(150);
    console.check();
  } finally {
    tmp.cleanup();
  }
});

// ── memory with a model past 4 GiB (MODEL_SLEUTH_BIG=1) ─────────────────────────────────────

interface ProcSample {
  /** Sum of VmRSS over the browser's process tree, KiB. */
  total: number;
  /** Renderer processes only (the page and its dedicated workers live there). */
  renderer: number;
  browser: number;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The browser process started with this user-data-dir, and every process below it. */
function browserTree(userDataDir: string): { pid: number; type: string }[] {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readProc(pid, 'stat');
    const cmdline = readProc(pid, 'cmdline');
    if (stat === undefined || cmdline === undefined) continue;
    // pid (comm) state ppid … — comm may hold spaces and parentheses: split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parent.set(pid, ppid);
    cmd.set(pid, cmdline.replace(/\0/g, ' '));
  }
  const root = [...cmd].find(([, c]) => c.includes(`--user-data-dir=${userDataDir}`) && !c.includes('--type='))?.[0];
  if (root === undefined) return [];
  const out = [{ pid: root, type: 'browser' }];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]?.pid;
    for (const [child, pp] of parent) if (pp === p) out.push({ pid: child, type: /--type=([\w-]+)/.exec(cmd.get(child) ?? '')?.[1] ?? 'other' });
  }
  return out;
}

function sample(userDataDir: string): ProcSample {
  const s: ProcSample = { total: 0, renderer: 0, browser: 0 };
  for (const { pid, type } of browserTree(userDataDir)) {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readProc(pid, 'status') ?? '')?.[1] ?? 0);
    s.total += rss;
    if (type === 'renderer') s.renderer += rss;
    if (type === 'browser') s.browser += rss;
  }
  return s;
}

test('a model past 4 GiB picked as files: verdict reached, browser memory flat vs 1 GiB', async () => {
  test.skip(!BIG, 'set MODEL_SLEUTH_BIG=1 (npm run test:big): streams 2 × 1 GiB and 2 × 4.5 GiB in the browser');
  test.setTimeout(15 * 60_000);
  const dir = sparseDir('browser-big');
  const userDataDir = join(dir, 'profile');
  const use = test.info().project.use;
  const context = await chromium.launchPersistentContext(userDataDir, {
    ...(use.launchOptions ?? {}),
    headless: true,
    ...(use.baseURL === undefined ? {} : { baseURL: use.baseURL }),
    viewport: { width: 1440, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const run = async (name: string, tensors: number): Promise<{ peak: ProcSample; idle: ProcSample; seconds: number; fileSize: number }> => {
      const spec: SparseModelSpec = { tensors, rows: 16384, cols: 4096 };
      const kg = join(dir, `${name}-kg.safetensors`);
      const su = join(dir, `${name}-su.safetensors`);
      const fileSize = writeSparseSafetensors(kg, spec);
      writeSparseSafetensors(su, spec, [{ tensor: tensors - 1, element: 16384 * 4096 - 1, value: 1.5 }]);
      await page.goto(APP);
      await page.getByTestId('known-good-input').setInputFiles(kg);
      await page.getByTestId('suspect-input').setInputFiles(su);
      const idle = sample(userDataDir);
      const peak: ProcSample = { ...idle };
      const timer = setInterval(() => {
        const s = sample(userDataDir);
        peak.total = Math.max(peak.total, s.total);
        peak.renderer = Math.max(peak.renderer, s.renderer);
        peak.browser = Math.max(peak.browser, s.browser);
      }, 200);
      const t0 = Date.now();
      try {
        await page.getByTestId('compare-button').click();
        await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered', { timeout: 12 * 60_000 });
      } finally {
        clearInterval(timer);
      }
      const seconds = (Date.now() - t0) / 1000;
      await expect(page.getByTestId('tensor-table').locator('tr[data-status="modified"]')).toHaveCount(1);
      await expect(page.getByTestId('tensor-table').locator(`tr[data-tensor="model.layers.${tensors - 1}.mlp.down_proj.weight"]`)).toHaveAttribute('data-status', 'modified');
      rmSync(kg);
      rmSync(su);
      return { peak, idle, seconds, fileSize };
    };
    const small = await run('1g', 4);
    const big = await run('4g5', 18);
    expect(big.fileSize).toBeGreaterThan(4.5 * GiB);
    const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
    const line = (r: typeof small): string =>
      `peak total ${mib(r.peak.total)} (renderer ${mib(r.peak.renderer)}, browser ${mib(r.peak.browser)}; before the run ${mib(r.idle.total)}) in ${r.seconds.toFixed(0)} s`;
    process.stdout.write(`browser memory: 1 GiB model ${line(small)}; 4.5 GiB model ${line(big)}\n`);
    // Flat in model size: 4.5× the bytes may not cost more than run-to-run noise.
    expect(big.peak.renderer).toBeLessThan(small.peak.renderer * 1.25 + 64 * 1024);
    expect(big.peak.total).toBeLessThan(small.peak.total * 1.25 + 128 * 1024);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
