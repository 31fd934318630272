/**
 * `model-sleuth activations <known-good> <suspect> --prompt "…"` (REPORT.md "CLI"): runs both
 * models on the probe prompts (src/lib/activations), compares them layer by layer, reverts changed
 * tensors, sweeps trigger candidates, and writes the comparison report extended with an
 * `activations` section and its findings.
 *
 * The comparison comes from `--report F` (a v1 report of the same files) or is run first, exactly
 * as `model-sleuth compare` does. Exit codes as `compare`: 0 clean or benign-precision; 1 tampered,
 * malicious-code, inconclusive; 2 usage error or unreadable input (`model_too_large`,
 * `unsupported_architecture`, `tokenizer_unsupported` included, with their stable codes).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { compareModels } from '../lib/analysis/compare.ts';
import { describeError, SleuthError, toErrorInfo } from '../lib/formats/errors.ts';
import { loadModel } from '../lib/formats/model-loader.ts';
import { openPath, type NodeFileSource } from '../lib/io/node-source.ts';
import type { ReportV1 } from '../lib/report/types.ts';
import { validateReport } from '../lib/report/validate.ts';
import { TOOL_VERSION } from '../lib/version.ts';
import type { ActBackend } from '../lib/activations/backend.ts';
import { CpuBackend } from '../lib/activations/cpu/cpu-backend.ts';
import { attachActivations, runActivationsWithFallback, unescapeArg, type ActivationProgress, type ActivationRequest, type PromptInput } from '../lib/activations/run.ts';
import { defaultMemoryBudget, formatBytes, type ModelInput } from '../lib/activations/session.ts';
import { parseTokenIds } from '../lib/activations/tokenizer.ts';
import type { ActivationsSection } from '../lib/activations/types.ts';
import { createNodePool } from './node-pool.ts';
import type { CliIo } from './main.ts';

export const ACTIVATIONS_USAGE = `model-sleuth activations <known-good> <suspect> --prompt "…" [options]

Runs both models on the prompt(s), compares their activations layer by layer, puts changed
tensors back one by one to find which cause the difference, and sweeps trigger candidates.

  --prompt "…"            a probe prompt (repeatable; \\n \\t stand for newline and tab)
  --token-ids 1,2,3       a probe as raw token ids (repeatable)
  --max-new-tokens N      greedy continuation length (default 16)
  --stop S                stop a continuation once it contains S (repeatable; "\\n" = end of line)
  --json F                write the report with its activations section ("-" = stdout)
  --html F / --md F       the report as HTML / Markdown
  --engine cpu|webgpu|auto  compute engine (default auto: WebGPU on a hardware GPU, else CPU)
  --report F              take the comparison from this report instead of comparing now
  --neutral-prompt "…"    the prompt trigger candidates are inserted into
  --no-revert             skip the counterfactual reverts
  --no-trigger-sweep      skip the trigger sweep
  --memory-budget-mb N    memory the engine may use (default: half of this machine's memory)
  --precision-floor X     relative L2 below which layers count as agreeing
  --kl-threshold X        KL (nats) under which a revert restores the known-good when continuations agree
  --max-revert-runs N     upper bound on revert runs (default 96)
  --workers N             comparison workers   · --quiet, -q  no progress`;

interface Args {
  positional: string[];
  prompts: PromptInput[];
  flags: Map<string, string>;
  switches: Set<string>;
  stops: string[];
}

const VALUE_FLAGS = new Set(['--json', '--html', '--md', '--engine', '--report', '--max-new-tokens', '--neutral-prompt', '--memory-budget-mb', '--precision-floor', '--kl-threshold', '--max-revert-runs', '--workers']);
const SWITCHES = new Set(['--no-revert', '--no-trigger-sweep', '--quiet', '-q', '--help', '-h']);

export function parseActivationArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const prompts: PromptInput[] = [];
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  const stops: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] as string;
    let value: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      value = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const take = (): string => {
      const v = value ?? argv[++i];
      if (v === undefined) throw new SleuthError('usage', `${arg} needs a value`);
      return v;
    };
    if (arg === '--prompt') prompts.push({ prompt: unescapeArg(take()) });
    else if (arg === '--stop') stops.push(unescapeArg(take()));
    else if (arg === '--token-ids') prompts.push({ prompt: null, tokens: parseTokenIds(take()) });
    else if (VALUE_FLAGS.has(arg)) flags.set(arg, take());
    else if (SWITCHES.has(arg)) switches.add(arg);
    else if (arg.startsWith('-') && arg !== '-') throw new SleuthError('usage', `Unknown option ${arg} for activations`);
    else positional.push(arg);
  }
  return { positional, prompts, flags, switches, stops };
}


function numberFlag(args: Args, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  const v = args.flags.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new SleuthError('usage', `${flag} must be ${what} (got "${v}")`);
  return n;
}

async function chooseBackend(request: string, io: CliIo): Promise<{ backend: ActBackend; note?: string }> {
  if (request === 'cpu') return { backend: new CpuBackend() };
  const { createNodeGpuBackend } = await import('./activations-gpu.ts');
  try {
    const gpu = await createNodeGpuBackend();
    if (request === 'webgpu' || !gpu.adapter.isSoftware) return { backend: gpu };
    // On a software adapter (SwiftShader) the CPU engine is faster (bench/activations-bench.ts).
    gpu.dispose();
    return { backend: new CpuBackend(), note: `WebGPU adapter ${gpu.adapter.description} is a software rasteriser; used the CPU engine (force it with --engine webgpu)` };
  } catch (e) {
    if (request === 'webgpu') throw e;
    io.stderr(`note: WebGPU unavailable (${(e as Error).message}); using the CPU engine\n`);
    return { backend: new CpuBackend(), note: `WebGPU unavailable (${(e as Error).message}); used the CPU engine` };
  }
}

async function readComparison(path: string, kg: NodeFileSource[], su: NodeFileSource[]): Promise<ReportV1> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(resolve(path), 'utf8'));
  } catch (e) {
    throw new SleuthError('read_failed', `Cannot read the report ${path}: ${(e as Error).message}`, { file: path });
  }
  const v = validateReport(value);
  if (!v.ok) throw new SleuthError('usage', `${path} is not a valid model-sleuth v1 report: ${v.errors.slice(0, 3).join('; ')}`);
  const report = value as ReportV1;
  const same = (files: ReportV1['inputs']['knownGood']['files'], sources: NodeFileSource[]): boolean => {
    const sizes = new Map(sources.map((s) => [s.path, s.size] as const));
    return files.every((f) => sizes.get(f.path) === f.size);
  };
  if (!same(report.inputs.knownGood.files, kg) || !same(report.inputs.suspect.files, su)) {
    throw new SleuthError('usage', `${path} was made for other files (paths or sizes differ from the models given)`);
  }
  return report;
}

function printProgress(io: CliIo): (p: ActivationProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase === 'done') return;
    if (p.phase !== 'loading' && now - last < (io.isTTY ? 150 : 2000) && p.done < p.total) return;
    last = now;
    const line = `${p.phase}${p.total > 1 ? ` ${p.done}/${p.total}` : ''}: ${p.message}`;
    io.stderr(io.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  };
}

/** Model text is already in visible form (control characters escaped): quote it without re-escaping. */
function q(text: string): string {
  return `"${text}"`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function summariseSection(s: ActivationsSection): string {
  const lines: string[] = [`activations: ${s.architecture}, ${s.model.layers} layers, hidden ${s.model.hidden} (${s.engine} engine, ${formatBytes(s.memory.estimatedBytes)}, ${(s.durationMs / 1000).toFixed(1)} s)`];
  s.probes.forEach((p, i) => {
    lines.push(`probe ${i + 1}: ${p.prompt !== null ? q(p.tokens.map((t) => t.text).join('')) : `[${p.tokens.map((t) => t.id).join(',')}]`} (${p.tokens.length} tokens)`);
    lines.push(`  known-good → ${q(p.continuation.knownGood.text)}`);
    lines.push(`  suspect    → ${q(p.continuation.suspect.text)}${p.continuation.equal ? '  (same)' : `  (differs from token ${p.continuation.firstDifference ?? 0})`}`);
    const first = p.firstDivergentLayer === null ? 'none beyond the precision floor' : p.firstDivergentLayer < 0 ? 'the embeddings' : `layer ${p.firstDivergentLayer}`;
    lines.push(`  next-token KL ${p.nextToken.kl.toPrecision(3)} nats; first divergent layer: ${first}${p.maxDivergence ? `; max relative L2 ${p.maxDivergence.relL2.toPrecision(3)} at ${p.maxDivergence.layer < 0 ? 'embeddings' : `layer ${p.maxDivergence.layer}`}` : ''}`);
  });
  if (s.revert) {
    lines.push(`revert ranking (${s.revert.runs} runs; restores = ${s.revert.criterion}):`);
    for (const [i, c] of s.revert.ranking.slice(0, 8).entries()) lines.push(`  ${i + 1}. ${c.target}: explains ${pct(c.explained)} of the KL, ${pct(c.explainedResidual)} of the final residual gap${c.restores ? ', restores the known-good' : ''}`);
    const m = s.revert.minimalSet;
    if (m) lines.push(m.restores ? `minimal set restoring the known-good: ${m.tensors.join(', ')}` : `no set of up to ${m.tensors.length} tensors restored the known-good within the run budget`);
  }
  if (s.triggerSweep) {
    const hits = s.triggerSweep.candidates.filter((c) => c.continuationDiffers);
    lines.push(`trigger sweep: ${s.triggerSweep.candidates.length} candidates, ${hits.length} change the continuation`);
    for (const c of hits.slice(0, 5)) lines.push(`  ${q(c.token.text)} (id ${c.token.id}, ${c.source}) → suspect ${q(c.suspect.text)} vs known-good ${q(c.knownGood.text)} (KL ${c.kl.toPrecision(3)})`);
  }
  for (const n of s.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export async function runActivationsCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: Args;
  try {
    args = parseActivationArgs(argv);
    if (args.switches.has('--help') || args.switches.has('-h')) {
      io.stdout(`${ACTIVATIONS_USAGE}\n`);
      return 0;
    }
    if (args.positional.length !== 2) throw new SleuthError('usage', 'activations takes exactly two paths: <known-good> <suspect>');
    if (args.prompts.length === 0) throw new SleuthError('usage', 'Give a probe: --prompt "…" or --token-ids 1,2,3');
  } catch (e) {
    io.stderr(`error: ${describeError(toErrorInfo(e))}\n\n${ACTIVATIONS_USAGE}\n`);
    return 2;
  }
  let backend: ActBackend | undefined;
  try {
    const [kgPath, suPath] = args.positional as [string, string];
    const maxNewTokens = numberFlag(args, '--max-new-tokens', (n) => Number.isInteger(n) && n >= 0 && n <= 4096, 'an integer 0…4096') ?? 16;
    const budgetMb = numberFlag(args, '--memory-budget-mb', (n) => n > 0, 'a positive number');
    const engine = args.flags.get('--engine') ?? 'auto';
    if (engine !== 'cpu' && engine !== 'webgpu' && engine !== 'auto') throw new SleuthError('usage', `--engine must be cpu, webgpu or auto (got "${engine}")`);
    const workers = numberFlag(args, '--workers', (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'an integer 1…256') ?? Math.max(1, availableParallelism());
    const quiet = args.switches.has('--quiet') || args.switches.has('-q');

    const kgSources = await openPath(resolve(kgPath));
    const suSources = await openPath(resolve(suPath));
    if (kgSources.length === 0) throw new SleuthError('read_failed', `No model files found at ${kgPath}`, { file: kgPath });
    if (suSources.length === 0) throw new SleuthError('read_failed', `No model files found at ${suPath}`, { file: suPath });

    let report: ReportV1;
    const reportPath = args.flags.get('--report');
    if (reportPath !== undefined) report = await readComparison(reportPath, kgSources, suSources);
    else {
      if (!quiet) io.stderr('comparing the two models…\n');
      if (engine === 'webgpu') (await import('./node-webgpu.ts')).prepareNodeGpuEnvironment();
      const refs = (s: NodeFileSource[]): { path: string; size: number; absolutePath: string; lastModified?: number }[] =>
        s.map((x) => ({ path: x.path, size: x.size, absolutePath: x.absolutePath, ...(x.lastModified === undefined ? {} : { lastModified: x.lastModified }) }));
      const pool = createNodePool({ knownGood: refs(kgSources), suspect: refs(suSources) }, { engine: engine === 'webgpu' ? 'webgpu' : 'cpu', workers });
      try {
        report = await compareModels(pool, { toolVersion: TOOL_VERSION, labels: { knownGood: kgPath, suspect: suPath } });
      } finally {
        pool.dispose();
      }
    }

    const knownGood: ModelInput = { manifest: await loadModel(kgPath, kgSources), sources: kgSources };
    const suspect: ModelInput = { manifest: await loadModel(suPath, suSources), sources: suSources };
    const chosen = await chooseBackend(engine, io);
    backend = chosen.backend;
    const total = totalmem();
    const memoryBudget = budgetMb !== undefined ? Math.floor(budgetMb * 2 ** 20) : defaultMemoryBudget(total);
    const neutral = args.flags.get('--neutral-prompt');
    const request: ActivationRequest = {
      prompts: args.prompts,
      maxNewTokens,
      comparison: report,
      revert: !args.switches.has('--no-revert'),
      triggerSweep: !args.switches.has('--no-trigger-sweep'),
      ...(neutral === undefined ? {} : { neutralPrompt: { prompt: unescapeArg(neutral) } }),
      ...(args.stops.length > 0 ? { stopSequences: args.stops } : {}),
    };
    const floor = numberFlag(args, '--precision-floor', (n) => n >= 0, 'a non-negative number');
    const kl = numberFlag(args, '--kl-threshold', (n) => n >= 0, 'a non-negative number');
    const runs = numberFlag(args, '--max-revert-runs', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
    if (floor !== undefined) request.precisionFloor = floor;
    if (kl !== undefined) request.klThreshold = kl;
    if (runs !== undefined) request.maxRevertRuns = runs;
    const result = await runActivationsWithFallback(knownGood, suspect, request, {
      backend,
      memoryBudget,
      budgetSource: budgetMb !== undefined ? '--memory-budget-mb' : `half of this machine's ${formatBytes(total)}`,
      ...(quiet ? {} : { onProgress: printProgress(io) }),
    }, engine === 'auto' ? () => new CpuBackend() : undefined);
    if (result.backend !== backend) {
      backend.dispose();
      backend = result.backend;
    }
    if (!quiet && io.isTTY) io.stderr('\r\x1b[K');
    if (chosen.note) result.section.notes.unshift(chosen.note);
    const out = attachActivations(report, result);
    for (const [flag, render] of [
      ['--json', () => `${JSON.stringify(out, null, 2)}\n`],
      ['--html', async () => (await import('../lib/report/render-html.ts')).renderHtmlReport(out)],
      ['--md', async () => (await import('../lib/report/render-markdown.ts')).renderMarkdownReport(out)],
    ] as const) {
      const path = args.flags.get(flag);
      if (path === undefined) continue;
      const text = await render();
      if (path === '-') io.stdout(text);
      else await writeFile(path, text);
    }
    io.stderr(summariseSection(result.section));
    io.stderr(`${out.verdict.status.toUpperCase()}: ${out.verdict.summary}\n`);
    const problems = [...(out.inputs.knownGood.problems ?? []), ...(out.inputs.suspect.problems ?? [])];
    const status = out.verdict.status;
    if (status === 'malicious-code' || status === 'tampered') return 1;
    if (problems.length > 0) return 2;
    return status === 'clean' || status === 'benign-precision' ? 0 : 1;
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr(`error: ${describeError(info)}\n`);
    if (info.code === 'usage') io.stderr(`\n${ACTIVATIONS_USAGE}\n`);
    return info.kind === 'internal' ? 70 : 2;
  } finally {
    backend?.dispose();
  }
}
