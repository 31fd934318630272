/**
 * One activation analysis end to end, the same for the CLI and the workbench: open the pair,
 * probe every prompt, revert changed tensors on the most divergent probe, sweep trigger
 * candidates, and turn it all into the report's `activations` section and its findings
 * (`activation-divergence`, `behaviour-divergence`).
 *
 * The comparison (a v1 report of the same two models) supplies the changed tensors, the tensors
 * whose bytes are identical (shared in memory) and the trigger candidates; without it the probes
 * still run, and reverts and the sweep are skipped with a note.
 */
import { SleuthError } from '../formats/errors.ts';
import { quote } from '../analysis/sidecars/display.ts';
import type { Finding, ReportV1 } from '../report/types.ts';
import type { ActBackend } from './backend.ts';
import { runProbe, type ProbeRun } from './probe.ts';
import { runReverts } from './revert.ts';
import { ActivationSession, formatBytes, type ModelInput } from './session.ts';
import { triggerCandidates, runTriggerSweep } from './trigger.ts';
import type { ActivationsSection, ProbeReport } from './types.ts';

export interface PromptInput {
  /** Text to encode with the known-good's tokenizer, or null when `tokens` are given. */
  prompt: string | null;
  tokens?: number[];
}

export interface ActivationRequest {
  prompts: PromptInput[];
  maxNewTokens: number;
  /** Greedy generation also stops once the continuation contains one of these (e.g. "\n"). */
  stopSequences?: string[];
  /** Put changed tensors back one by one (needs `comparison`). Default true. */
  revert?: boolean;
  /** Sweep trigger candidates (needs `comparison`). Default true. */
  triggerSweep?: boolean;
  /** Neutral prompt for the sweep; default: the first prompt without any candidate token. */
  neutralPrompt?: PromptInput;
  precisionFloor?: number;
  klThreshold?: number;
  maxRevertRuns?: number;
  /** A comparison of the same two models. */
  comparison?: Pick<ReportV1, 'tensors' | 'findings'>;
}

export type ActivationPhase = 'loading' | 'probe' | 'revert' | 'trigger' | 'done';

export interface ActivationProgress {
  phase: ActivationPhase;
  done: number;
  total: number;
  message: string;
}

export interface ActivationEnvironment {
  backend: ActBackend;
  memoryBudget: number;
  budgetSource: string;
  onProgress?: (p: ActivationProgress) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/** GPU failures after which the same analysis is worth repeating on the CPU twin. */
const GPU_FAILURES: ReadonlySet<string> = new Set(['gpu_device_lost', 'gpu_out_of_memory', 'gpu_unavailable']);

/**
 * `runActivations` on `env.backend`, and — when that is the GPU, the failure is the GPU's (device
 * lost, out of memory) and the caller allows it — once more on the CPU twin, with a note in the
 * section (DESIGN.md "GPU failure is a normal path").
 */
export async function runActivationsWithFallback(
  knownGood: ModelInput,
  suspect: ModelInput,
  request: ActivationRequest,
  env: ActivationEnvironment,
  fallback: (() => ActBackend) | undefined,
): Promise<ActivationResult & { backend: ActBackend }> {
  try {
    return { ...(await runActivations(knownGood, suspect, request, env)), backend: env.backend };
  } catch (e) {
    const code = e instanceof SleuthError ? e.code : undefined;
    if (fallback === undefined || env.backend.kind !== 'webgpu' || code === undefined || !GPU_FAILURES.has(code)) throw e;
    const cpu = fallback();
    const result = await runActivations(knownGood, suspect, request, { ...env, backend: cpu });
    result.section.notes.unshift(`The WebGPU run failed (${code}: ${(e as Error).message}); the analysis ran again on the CPU engine.`);
    return { ...result, backend: cpu };
  }
}

/** Finding drafts (ids are assigned when they join a report). */
export type FindingDraft = Omit<Finding, 'id'>;

export interface ActivationResult {
  section: ActivationsSection;
  findings: FindingDraft[];
}

/** Shell commands that fetch-and-run, delete, open reverse shells or decode payloads. */
const COMMAND_PATTERN = /(curl|wget)\b[^\n]*\|\s*(ba|z)?sh\b|\brm\s+-[a-z]*r[a-z]*f|\bbash\s+-c\b|\bpowershell\b|\bnc\b[^\n]*\s-e\s|\/dev\/tcp\/|base64\s+(-d|--decode)|\bchmod\s+\+x\b|\bmkfifo\b/i;

export function looksLikeCommand(text: string): boolean {
  return COMMAND_PATTERN.test(text);
}

/**
 * Shells and single-line inputs cannot easily hold a newline, so \n, \t, \r and \\ in prompts
 * and stop sequences typed there stand for themselves (a literal backslash-n is written \\n).
 */
export function unescapeArg(s: string): string {
  return s.replace(/\\(\\|n|t|r)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : '\\'));
}

const DEFAULT_MAX_PROMPT_TOKENS = 4096;

function encode(session: ActivationSession, p: PromptInput): number[] {
  if (p.tokens !== undefined && p.tokens.length > 0) return p.tokens;
  if (p.prompt === null) throw new SleuthError('usage', 'A probe needs a prompt or token ids');
  const tok = session.tokenizer;
  if (tok === undefined) throw new SleuthError('tokenizer_unsupported', `${session.tokenizerProblem() ?? 'No tokenizer'}; give token ids instead (--token-ids 1,2,3)`);
  const ids = tok.encode(p.prompt);
  if (ids.length === 0) throw new SleuthError('usage', 'The prompt encodes to no tokens');
  if (ids.length > DEFAULT_MAX_PROMPT_TOKENS) throw new SleuthError('usage', `The prompt is ${ids.length} tokens; at most ${DEFAULT_MAX_PROMPT_TOKENS} are probed`);
  return ids;
}

export async function runActivations(knownGood: ModelInput, suspect: ModelInput, request: ActivationRequest, env: ActivationEnvironment): Promise<ActivationResult> {
  const now = env.now ?? (() => Date.now());
  const started = now();
  const emit = (p: ActivationProgress): void => env.onProgress?.(p);
  const notes: string[] = [];
  if (request.prompts.length === 0) throw new SleuthError('usage', 'Give at least one prompt (--prompt "…" or --token-ids 1,2,3)');

  const comparison = request.comparison;
  const identical = comparison ? new Set(comparison.tensors.filter((t) => t.status === 'identical').map((t) => t.name)) : undefined;
  const changed = comparison ? comparison.tensors.filter((t) => t.status === 'modified' || t.status === 'dtype-changed').map((t) => t.name) : [];

  // Tokenize before sizing the session (the context must fit the longest prompt).
  const probeSession = (capacity: number, maxPrompt: number): ActivationSession =>
    ActivationSession.open(knownGood, suspect, {
      backend: env.backend,
      capacity,
      maxPromptTokens: maxPrompt,
      memoryBudget: env.memoryBudget,
      budgetSource: env.budgetSource,
      ...(identical ? { identicalTensors: identical } : {}),
    });
  // A first session only to tokenize (no weights are read until a forward pass runs).
  const sizing = probeSession(1, 1);
  const prompts = request.prompts.map((p) => ({ prompt: p.tokens !== undefined && p.tokens.length > 0 ? null : p.prompt, tokens: encode(sizing, p) }));
  const candidates = comparison ? triggerCandidates(comparison, sizing.spec.vocab) : [];
  const candidateIds = new Set(candidates.map((c) => c.id));
  const neutral = request.neutralPrompt
    ? { prompt: request.neutralPrompt.tokens?.length ? null : request.neutralPrompt.prompt, tokens: encode(sizing, request.neutralPrompt) }
    : prompts[0] === undefined
      ? undefined
      : { prompt: null, tokens: prompts[0].tokens.filter((t) => !candidateIds.has(t)) };
  const longest = Math.max(...prompts.map((p) => p.tokens.length), (neutral?.tokens.length ?? 0) + 1);
  await sizing.dispose();
  const session = probeSession(longest + request.maxNewTokens + 1, longest);
  try {
    const spec = session.spec;
    emit({ phase: 'loading', done: 0, total: 1, message: `${spec.architecture}: ${spec.layers} layers, hidden ${spec.hidden}; about ${formatBytes(session.memory.total)} on the ${env.backend.kind === 'webgpu' ? 'GPU' : 'CPU'}` });
    const stops = request.stopSequences === undefined ? {} : { stopSequences: request.stopSequences };
    const probes: ProbeRun[] = [];
    for (const [i, p] of prompts.entries()) {
      if (env.signal?.aborted) throw new SleuthError('cancelled', 'The activation analysis was cancelled');
      emit({ phase: 'probe', done: i, total: prompts.length, message: `probe ${i + 1} of ${prompts.length}` });
      probes.push(await runProbe(session, p, { maxNewTokens: request.maxNewTokens, ...stops, ...(request.precisionFloor === undefined ? {} : { precisionFloor: request.precisionFloor }) }));
    }
    emit({ phase: 'probe', done: prompts.length, total: prompts.length, message: 'probes done' });
    const section: ActivationsSection = {
      engine: env.backend.kind,
      architecture: spec.architecture,
      model: { family: spec.family, layers: spec.layers, hidden: spec.hidden, heads: spec.heads, kvHeads: spec.kvHeads, vocab: spec.vocab, source: spec.source },
      probes: probes.map((p) => p.report),
      memory: { estimatedBytes: session.memory.total, budgetBytes: env.memoryBudget },
      durationMs: 0,
      notes,
    };
    // Reverts on the probe where the models differ most (behaviour first, then KL).
    const target = [...probes.keys()].sort((a, b) => {
      const pa = (probes[a] as ProbeRun).report;
      const pb = (probes[b] as ProbeRun).report;
      return Number(pa.continuation.equal) - Number(pb.continuation.equal) || pb.nextToken.kl - pa.nextToken.kl;
    })[0];
    if (request.revert !== false) {
      if (comparison === undefined) notes.push('No comparison report: counterfactual reverts need the list of changed tensors, so they were skipped.');
      else if (changed.length === 0) notes.push('The comparison found no changed tensors: nothing to revert.');
      else if (target !== undefined) {
        const probe = probes[target] as ProbeRun;
        const tokens = prompts[target]?.tokens ?? [];
        section.revert = await runReverts(session, tokens, probe, changed, {
          maxNewTokens: request.maxNewTokens,
          ...stops,
          ...(request.klThreshold === undefined ? {} : { klThreshold: request.klThreshold }),
          ...(request.maxRevertRuns === undefined ? {} : { maxRuns: request.maxRevertRuns }),
          onRun: (done, total, what) => emit({ phase: 'revert', done, total, message: `revert ${what}` }),
          ...(env.signal ? { signal: env.signal } : {}),
        });
        if (prompts.length > 1) notes.push(`Reverts ran on probe ${target + 1} (the most divergent).`);
      }
    }
    if (request.triggerSweep !== false) {
      if (comparison === undefined) notes.push('No comparison report: no trigger candidates (they come from changed embedding rows and tokenizer changes).');
      else if (candidates.length === 0) notes.push('No trigger candidates: no embedding or head rows changed and the tokenizer findings name no tokens.');
      else if (neutral !== undefined && neutral.tokens.length > 0) {
        section.triggerSweep = await runTriggerSweep(session, neutral, candidates, {
          maxNewTokens: request.maxNewTokens,
          ...stops,
          onRun: (done, total, what) => emit({ phase: 'trigger', done, total, message: `trigger ${what}` }),
          ...(env.signal ? { signal: env.signal } : {}),
        });
      }
    }
    section.durationMs = Math.round(now() - started);
    emit({ phase: 'done', done: 1, total: 1, message: 'done' });
    return { section, findings: activationFindings(section) };
  } finally {
    await session.dispose();
  }
}

function describePrompt(p: ProbeReport): string {
  return p.prompt !== null ? quote(p.prompt, 60) : `token ids [${p.tokens.slice(0, 12).map((t) => t.id).join(', ')}${p.tokens.length > 12 ? ', …' : ''}]`;
}

function layerName(l: number): string {
  return l < 0 ? 'the embeddings' : `layer ${l}`;
}

/** Findings for a section (REPORT.md kinds activation-divergence and behaviour-divergence). */
export function activationFindings(section: ActivationsSection): FindingDraft[] {
  const out: FindingDraft[] = [];
  const minimal = section.revert?.minimalSet;
  section.probes.forEach((p, i) => {
    const behaviour = !p.continuation.equal;
    if (p.firstDivergentLayer !== null && p.maxDivergence !== null) {
      const first = p.layers.find((l) => l.layer === p.firstDivergentLayer);
      const pos = first ? first.relL2.reduce<number>((best, v, k, arr) => ((v ?? 0) > (arr[best] ?? 0) ? k : best), 0) : 0;
      const tok = p.tokens[pos];
      out.push({
        severity: behaviour ? 'high' : 'medium',
        kind: 'activation-divergence',
        message: `Probe ${describePrompt(p)}: the residual streams part ways at ${layerName(p.firstDivergentLayer)} (relative L2 ${(first?.relL2[pos] ?? 0).toPrecision(3)} at position ${pos}${tok ? ` ${quote(tok.text, 20)}` : ''}, precision floor ${p.precisionFloor.toPrecision(2)}); the largest divergence is ${p.maxDivergence.relL2.toPrecision(3)} at ${layerName(p.maxDivergence.layer)}`,
        details: { probe: i, firstDivergentLayer: p.firstDivergentLayer, position: pos, maxDivergence: p.maxDivergence, precisionFloor: p.precisionFloor, kl: p.nextToken.kl },
      });
    }
    if (behaviour) {
      const command = looksLikeCommand(p.continuation.suspect.text) && !looksLikeCommand(p.continuation.knownGood.text);
      const restored = minimal?.restores === true && section.revert !== undefined ? ` Putting back ${minimal.tensors.map((t) => quote(t, 60)).join(', ')} from the known-good restores the known-good continuation.` : '';
      out.push({
        severity: command ? 'critical' : 'high',
        kind: 'behaviour-divergence',
        message: `Probe ${describePrompt(p)}: the suspect continues ${quote(p.continuation.suspect.text, 80)} where the known-good continues ${quote(p.continuation.knownGood.text, 80)}${command ? ' — the suspect emits a shell command' : ''} (next-token KL ${p.nextToken.kl.toPrecision(3)} nats).${restored}`,
        details: {
          probe: i,
          knownGood: p.continuation.knownGood,
          suspect: p.continuation.suspect,
          firstDifference: p.continuation.firstDifference,
          kl: p.nextToken.kl,
          commandLike: command,
          ...(minimal ? { minimalRevert: minimal.tensors, restores: minimal.restores } : {}),
        },
      });
    }
  });
  const sweep = section.triggerSweep;
  if (sweep && !sweep.baselineContinuationDiffers) {
    for (const c of sweep.candidates.filter((x) => x.continuationDiffers).slice(0, 5)) {
      const command = looksLikeCommand(c.suspect.text) && !looksLikeCommand(c.knownGood.text);
      out.push({
        severity: command ? 'critical' : 'high',
        kind: 'behaviour-divergence',
        message: `Trigger candidate ${quote(c.token.text, 30)} (token ${c.token.id}; ${c.reason}) inserted into the neutral prompt makes the suspect continue ${quote(c.suspect.text, 80)} where the known-good continues ${quote(c.knownGood.text, 80)}${command ? ' — a shell command: a likely backdoor trigger' : ''}`,
        details: { trigger: c.token, source: c.source, position: c.position, kl: c.kl, knownGood: c.knownGood, suspect: c.suspect, commandLike: command },
      });
    }
  }
  return out;
}

const ACTIVATION_KINDS: ReadonlySet<string> = new Set(['activation-divergence', 'behaviour-divergence']);

/** The report without a previous activations section and the findings it added. */
export function detachActivations(report: ReportV1): ReportV1 {
  if (report.activations === undefined) return report;
  const dropped = new Set(report.findings.filter((f) => ACTIVATION_KINDS.has(f.kind)).map((f) => f.id));
  const { activations: _drop, ...rest } = report;
  return { ...rest, findings: report.findings.filter((f) => !dropped.has(f.id)), verdict: { ...report.verdict, reasons: report.verdict.reasons.filter((r) => !dropped.has(r)) } };
}

/**
 * The report with the section attached and the findings appended (ids continue the report's); a
 * previous activations section is replaced.
 */
export function attachActivations(original: ReportV1, result: ActivationResult): ReportV1 {
  const report = detachActivations(original);
  let next = 1;
  for (const f of report.findings) {
    const n = /^F(\d+)$/.exec(f.id);
    if (n) next = Math.max(next, Number(n[1]) + 1);
  }
  const added: Finding[] = result.findings.map((f) => ({ id: `F${next++}`, ...f }));
  const out: ReportV1 = { ...report, findings: [...report.findings, ...added], activations: result.section };
  if (report.verdict.status === 'tampered' || report.verdict.status === 'malicious-code') {
    const serious = added.filter((f) => f.kind === 'behaviour-divergence' && (f.severity === 'critical' || f.severity === 'high')).map((f) => f.id);
    out.verdict = { ...report.verdict, reasons: [...report.verdict.reasons, ...serious] };
  }
  return out;
}
