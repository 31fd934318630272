/**
 * model-sleuth command line (REPORT.md "CLI"). The same core as the browser, on worker_threads.
 * Exit codes: 0 = clean or benign-precision; 1 = anything else (tampered, malicious-code,
 * inconclusive); 2 = usage error or unreadable input (stable code and message on stderr).
 * Progress goes to stderr; `--json -` writes the report to stdout.
 */
import { stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compareModels, type CompareProgress } from '../lib/analysis/compare.ts';
import { describeError, SleuthError, toErrorInfo, type ErrorInfo } from '../lib/formats/errors.ts';
import { describeFileChange, fileChangedError, openPath } from '../lib/io/node-source.ts';
import type { ReportV1, ScanReportV1 } from '../lib/report/types.ts';
import { scanModel } from '../lib/analysis/scan.ts';
import type { EngineRequest, SourceRef } from '../workers/worker-api.ts';
import type { Side } from '../lib/analysis/job.ts';
import { createNodePool } from './node-pool.ts';
import { createNodeSha256 } from '../lib/evidence/sha256-node.ts';
import { TOOL_VERSION } from '../lib/version.ts';
import { writeReportOutputs } from './outputs.ts';
// ── case file (issue 6): hash and verify commands ──
import { runHashCommand } from './hash.ts';
import { runVerifyCommand } from './verify.ts';
// ── end case file ──

export const USAGE = `model-sleuth ${TOOL_VERSION} — AI model forensics

Usage:
  model-sleuth compare <known-good> <suspect> [--adapter P] [--json F] [--html F] [--md F] [--sarif F] [--engine cpu|webgpu|auto] [--workers N]
  model-sleuth scan <path> [--json F] [--engine cpu|webgpu|auto] [--workers N]
  model-sleuth hash <path> [--workers N]
  model-sleuth activations <known-good> <suspect> --prompt "…" [--max-new-tokens N] [--json F] [--engine cpu|webgpu|auto]  (activations --help)
  model-sleuth verify <path> --manifest F [--key PEM | --cert PEM] [--json F] [--sarif F]
  model-sleuth --help | --version

A path is a model file or a folder (every model-related file inside: *.safetensors + index,
config.json, tokenizer files, …). F may be "-" for standard output.
verify checks a folder against a sha256sum file or an OpenSSF Model Signing bundle (the signature
is checked offline with --key or --cert; certificate chains and transparency logs are not).
Exit codes: 0 clean or benign-precision · 1 tampered, malicious-code or inconclusive · 2 usage error or unreadable input.`;

interface Parsed {
  command: string | undefined;
  positional: string[];
  flags: Map<string, string>;
  switches: Set<string>;
}

const VALUE_FLAGS = new Set(['--json', '--html', '--md', '--sarif', '--engine', '--workers', '--adapter', '--chunk-mb', '--label-known-good', '--label-suspect', /* case file: */ '--manifest', '--key', '--cert']);
const SWITCHES = new Set(['--help', '-h', '--version', '--quiet', '-q', '--no-rank']);

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('--') && arg.includes('=')) {
      const [k, v] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
      if (!VALUE_FLAGS.has(k)) throw new SleuthError('usage', `Unknown option ${k}`);
      flags.set(k, v);
    } else if (VALUE_FLAGS.has(arg)) {
      const v = argv[++i];
      if (v === undefined) throw new SleuthError('usage', `${arg} needs a value`);
      flags.set(arg, v);
    } else if (SWITCHES.has(arg)) switches.add(arg);
    else if (arg.startsWith('-') && arg !== '-') throw new SleuthError('usage', `Unknown option ${arg}`);
    else positional.push(arg);
  }
  return { command: positional.shift(), positional, flags, switches };
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  // activations has its own options (repeatable --prompt …): src/cli/activations.ts.
  if (argv[0] === 'activations') return (await import('./activations.ts')).runActivationsCli(argv.slice(1), io);
  let args: Parsed;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.stderr(`error: ${describeError(toErrorInfo(e))}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.switches.has('--version')) {
    io.stdout(`${TOOL_VERSION}\n`);
    return 0;
  }
  if (args.switches.has('--help') || args.switches.has('-h') || args.command === undefined) {
    io.stdout(`${USAGE}\n`);
    return args.command === undefined && !args.switches.has('--help') && !args.switches.has('-h') ? 2 : 0;
  }
  try {
    switch (args.command) {
      case 'compare':
        return await runCompare(args, io);
      case 'scan':
        return await runScan(args, io);
      case 'hash':
        return await runHashCommand(args, io); // case file (issue 6): src/cli/hash.ts
      case 'verify':
        return await runVerifyCommand(args, io); // case file (issue 6): src/cli/verify.ts
      default:
        throw new SleuthError('usage', `Unknown command "${args.command}"`);
    }
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr(`error: ${describeError(info)}\n`);
    if (info.code === 'usage') io.stderr(`\n${USAGE}\n`);
    return info.kind === 'internal' ? 70 : 2;
  }
}

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;
/** After this long without the workers acknowledging a cancel, they are terminated. */
const CANCEL_GRACE_MS = 1500;

/** --adapter (adapter audit): a folder, or one weight file plus the adapter_config.json beside it when there is one. */
async function adapterRefsFor(path: string): Promise<SourceRef[]> {
  const refs = await refsFor(path);
  const config = join(dirname(resolve(path)), 'adapter_config.json');
  const isFile = (await stat(resolve(path))).isFile();
  if (isFile && refs.length === 1 && !refs[0]?.path.endsWith('adapter_config.json') && (await stat(config).catch(() => undefined))?.isFile()) refs.push(...(await refsFor(config)));
  return refs;
}

async function refsFor(path: string): Promise<SourceRef[]> {
  const sources = await openPath(resolve(path));
  if (sources.length === 0) throw new SleuthError('read_failed', `No model files found at ${path}`, { file: path });
  return sources.map((s) => ({ path: s.path, size: s.size, absolutePath: s.absolutePath, ...(s.lastModified === undefined ? {} : { lastModified: s.lastModified }) }));
}

function engineOf(args: Parsed): EngineRequest {
  const e = args.flags.get('--engine') ?? 'auto';
  if (e !== 'cpu' && e !== 'webgpu' && e !== 'auto') throw new SleuthError('usage', `--engine must be cpu, webgpu or auto (got "${e}")`);
  return e;
}

async function runCompare(args: Parsed, io: CliIo): Promise<number> {
  const [kgPath, suPath, ...extra] = args.positional;
  if (kgPath === undefined || suPath === undefined || extra.length > 0) throw new SleuthError('usage', 'compare takes exactly two paths: <known-good> <suspect>');
  const engine = engineOf(args);
  const workersFlag = args.flags.get('--workers');
  const workers = workersFlag === undefined ? Math.max(1, availableParallelism()) : Number(workersFlag);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new SleuthError('usage', `--workers must be an integer 1…256 (got "${workersFlag}")`);
  const chunkMb = args.flags.get('--chunk-mb');
  const chunkBytes = chunkMb === undefined ? undefined : Math.round(Number(chunkMb) * 1024 * 1024);
  if (chunkBytes !== undefined && (!Number.isFinite(chunkBytes) || chunkBytes < 4096)) throw new SleuthError('usage', '--chunk-mb must be a number ≥ 0.004');

  const adapterPath = args.flags.get('--adapter');
  const sources = { knownGood: await refsFor(kgPath), suspect: await refsFor(suPath), ...(adapterPath === undefined ? {} : { adapter: await adapterRefsFor(adapterPath) }) };
  const resolved = await resolveEngine(engine);
  const pool = createNodePool(sources, { engine: resolved.engine, workers, ...(chunkBytes === undefined ? {} : { chunkBytes }) });
  const quiet = args.switches.has('--quiet') || args.switches.has('-q');
  const progress = quiet ? undefined : progressPrinter(io);
  // Ctrl-C: cancel the comparison (the workers stop at their next chunk), terminate any worker
  // that has not stopped within CANCEL_GRACE_MS, write no report, exit 130. A second Ctrl-C exits at once.
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) {
      io.stderr('cancelled: interrupted again, exiting now\n');
      process.exit(EXIT_INTERRUPTED);
    }
    io.stderr(`${io.isTTY ? '\r\x1b[K' : ''}interrupted: stopping the workers…\n`);
    abort.abort();
    setTimeout(() => pool.dispose(), CANCEL_GRACE_MS).unref();
  };
  process.on('SIGINT', onSigint);
  let report: ReportV1 | undefined;
  try {
    report = await compareModels(pool, {
      toolVersion: TOOL_VERSION,
      labels: { knownGood: args.flags.get('--label-known-good') ?? kgPath, suspect: args.flags.get('--label-suspect') ?? suPath },
      ...(adapterPath === undefined ? {} : { adapter: { label: adapterPath } }),
      signal: abort.signal,
      ...(progress ? { onProgress: progress } : {}),
      ...(args.switches.has('--no-rank') ? { rankSketch: false } : {}),
      recheckInputs: () => recheckFiles(sources),
    });
  } catch (e) {
    // Once cancelled, whatever a stopped worker answered (cancelled, worker_failed) means "interrupted".
    if (!abort.signal.aborted) throw e;
  } finally {
    process.off('SIGINT', onSigint);
    pool.dispose();
  }
  if (abort.signal.aborted || report === undefined) {
    io.stderr('cancelled: the comparison was interrupted (SIGINT); no report was written\n');
    return EXIT_INTERRUPTED;
  }
  if (progress) io.stderr(io.isTTY ? '\r\x1b[K' : '');
  if (resolved.note) report.notes = [resolved.note, ...(report.notes ?? [])];
  await writeReportOutputs(report, args.flags, io);
  io.stderr(`${report.verdict.status.toUpperCase()}: ${report.verdict.summary}\n`);
  const problems: ErrorInfo[] = [...(report.inputs.knownGood.problems ?? []), ...(report.inputs.suspect.problems ?? [])];
  for (const p of report.inputs.knownGood.problems ?? []) io.stderr(`error: ${describeError(p)} [known-good]\n`);
  for (const p of report.inputs.suspect.problems ?? []) io.stderr(`error: ${describeError(p)} [suspect]\n`);
  return exitCodeFor(report.verdict.status, problems.length > 0);
}

/**
 * Decides the engine once, on the main thread, before any worker starts: 'auto' runs the short
 * calibration of engine-select.ts (a software adapter such as SwiftShader usually loses to the
 * CPU twin); 'webgpu' prepares the process environment Dawn's Vulkan loader reads (worker threads
 * cannot set it themselves).
 */
async function resolveEngine(request: EngineRequest): Promise<{ engine: 'cpu' | 'webgpu'; note?: string }> {
  if (request === 'cpu') return { engine: 'cpu' };
  const { prepareNodeGpuEnvironment, createNodeWebGpuEngine } = await import('./node-webgpu.ts');
  prepareNodeGpuEnvironment();
  if (request === 'webgpu') return { engine: 'webgpu' };
  try {
    const { engine, note } = await createNodeWebGpuEngine('auto');
    const kind = engine.kind;
    engine.dispose();
    return { engine: kind, ...(note === undefined ? {} : { note }) };
  } catch (e) {
    return { engine: 'cpu', note: `WebGPU unavailable (${(e as Error).message}); used the CPU engine` };
  }
}

function workersOf(args: Parsed): number {
  const flag = args.flags.get('--workers');
  const workers = flag === undefined ? Math.max(1, availableParallelism()) : Number(flag);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new SleuthError('usage', `--workers must be an integer 1…256 (got "${flag}")`);
  return workers;
}

async function runScan(args: Parsed, io: CliIo): Promise<number> {
  const [path, ...extra] = args.positional;
  if (path === undefined || extra.length > 0) throw new SleuthError('usage', 'scan takes exactly one path');
  const resolved = await resolveEngine(engineOf(args));
  const pool = createNodePool({ knownGood: [], suspect: await refsFor(path) }, { engine: resolved.engine, workers: workersOf(args) });
  const quiet = args.switches.has('--quiet') || args.switches.has('-q');
  const progress = quiet ? undefined : progressPrinter(io);
  let report: ScanReportV1;
  try {
    report = await scanModel(pool, { toolVersion: TOOL_VERSION, label: path, ...(progress ? { onProgress: progress } : {}) });
  } finally {
    pool.dispose();
  }
  if (progress) io.stderr(io.isTTY ? '\r\x1b[K' : '');
  const json = args.flags.get('--json');
  if (json !== undefined) await writeText(json, `${JSON.stringify(report, null, 2)}\n`, io);
  io.stderr(`${report.verdict.status.toUpperCase()}: ${report.verdict.summary}\n`);
  for (const p of report.input.problems ?? []) io.stderr(`error: ${describeError(p)}\n`);
  return exitCodeFor(report.verdict.status, (report.input.problems ?? []).length > 0);
}

/** REPORT.md exit codes; unreadable input is 2 unless tampering or code was found regardless. */
export function exitCodeFor(status: ReportV1['verdict']['status'], unreadableInput: boolean): number {
  if (status === 'malicious-code' || status === 'tampered') return 1;
  if (unreadableInput) return 2;
  return status === 'clean' || status === 'benign-precision' ? 0 : 1;
}

/** After the stream: every input file must still be the one that was opened (size, mtime). */
async function recheckFiles(sources: { knownGood: SourceRef[]; suspect: SourceRef[] }): Promise<(ErrorInfo & { side: Side })[]> {
  const out: (ErrorInfo & { side: Side })[] = [];
  for (const side of ['knownGood', 'suspect'] as const) {
    for (const ref of sources[side]) {
      if (ref.absolutePath === undefined) continue;
      const why = await stat(ref.absolutePath).then(
        (st) => describeFileChange(st, ref.size, ref.lastModified),
        () => 'was removed',
      );
      if (why) out.push({ ...fileChangedError(ref.path, why, 'by the end of the analysis').toInfo(), side });
    }
  }
  return out;
}

function progressPrinter(io: CliIo): (p: CompareProgress) => void {
  let last = 0;
  let lastPhase = '';
  return (p) => {
    const now = Date.now();
    if (p.phase === 'report' || p.phase === 'done') return;
    // The first line of a phase is printed at once (the total to stream); then every 2 s (200 ms on a terminal).
    if (p.phase === lastPhase && p.phase === 'streaming' && now - last < (io.isTTY ? 200 : 2000) && p.bytesDone < p.bytesTotal) return;
    last = now;
    lastPhase = p.phase;
    const pct = p.bytesTotal > 0 ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '0.0';
    const line =
      p.phase === 'headers'
        ? 'reading headers…'
        : p.phase === 'streaming'
          ? `${pct}%  ${mib(p.bytesDone)} / ${mib(p.bytesTotal)}  ${mib(p.rate)}/s${p.etaSeconds === undefined ? '' : `  ETA ${Math.ceil(p.etaSeconds)} s`}  jobs ${p.jobsDone}/${p.jobsTotal}`
          : p.phase;
    io.stderr(io.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export { createNodeSha256 };

export async function writeText(path: string, text: string, io: CliIo): Promise<void> {
  if (path === '-') io.stdout(text);
  else await writeFile(path, text);
}
