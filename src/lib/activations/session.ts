/**
 * A known-good and a suspect model, ready to run side by side on one backend: both specs resolved
 * and checked for compatibility, the memory each will need estimated against a budget (refused
 * with `model_too_large` saying how much is needed), weights shared where the stored bytes are
 * identical, one runner per model, and the tokenizer.
 *
 * Memory model (bytes): f32 weights of the known-good + f32 weights of every suspect tensor not
 * known to be identical + per runner (KV cache for the context + activation buffers). The default
 * budget is half of the machine's memory (os.totalmem() in Node, navigator.deviceMemory in a
 * browser, which Chrome caps at 8 GiB) — the other half is left to the OS, the page and the
 * comparison that usually runs beside; the user can raise it. On WebGPU every single buffer must
 * also fit the device's binding limit.
 */
import { SleuthError } from '../formats/errors.ts';
import type { ModelManifest } from '../formats/manifest.ts';
import type { ByteSource } from '../io/byte-source.ts';
import type { ActBackend } from './backend.ts';
import { activationBytes, kvCacheBytes, TransformerRunner } from './model.ts';
import { checkCompatible, computeWeights, resolveModelSpec, type ModelSpec } from './spec.ts';
import { BpeTokenizer, tokenizerFromJson } from './tokenizer.ts';
import { ModelWeights } from './weight-provider.ts';
import { f32Bytes, TensorReader } from './weights.ts';

export interface ModelInput {
  manifest: ModelManifest;
  sources: readonly ByteSource[];
}

export interface SessionOptions {
  backend: ActBackend;
  /** Largest context (prompt + generated tokens) a run will need. */
  capacity: number;
  /** Longest prompt run with capture (activation buffers are sized for it). */
  maxPromptTokens: number;
  /** Bytes the session may use; see defaultMemoryBudget. */
  memoryBudget: number;
  /** How the budget was chosen, for the refusal message. */
  budgetSource: string;
  /** Stored tensors a comparison found identical (their suspect copy is not loaded). */
  identicalTensors?: ReadonlySet<string>;
}

/** Half of the machine's memory (see the module comment). */
export function defaultMemoryBudget(totalMemoryBytes: number): number {
  return Math.floor(totalMemoryBytes / 2);
}

export interface MemoryEstimate {
  weightsKnownGood: number;
  weightsSuspect: number;
  kvCache: number;
  activations: number;
  total: number;
  largestBuffer: { label: string; bytes: number };
}

export function estimateMemory(kg: ModelSpec, su: ModelSpec, capacity: number, maxPromptTokens: number, identical: ReadonlySet<string> | undefined): MemoryEstimate {
  const weightsKnownGood = f32Bytes(computeWeights(kg));
  const suWeights = computeWeights(su).filter((w) => identical === undefined || !identical.has(w.tensor));
  const weightsSuspect = f32Bytes(suWeights);
  const kvCache = 2 * kvCacheBytes(kg, capacity);
  const activations = 2 * activationBytes(kg, maxPromptTokens, capacity, true);
  let largestBuffer = { label: '', bytes: 0 };
  for (const w of computeWeights(kg)) if (w.rows * w.cols * 4 > largestBuffer.bytes) largestBuffer = { label: w.key, bytes: w.rows * w.cols * 4 };
  const scores = kg.heads * maxPromptTokens * capacity * 4;
  if (scores > largestBuffer.bytes) largestBuffer = { label: 'attention scores', bytes: scores };
  return { weightsKnownGood, weightsSuspect, kvCache, activations, total: weightsKnownGood + weightsSuspect + kvCache + activations, largestBuffer };
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

/** The first tokenizer.json of a model (shallowest path), or undefined. */
export function tokenizerOf(manifest: ModelManifest): BpeTokenizer | undefined {
  const tj = manifest.sidecars.filter((s) => (s.path.split('/').pop() ?? '') === 'tokenizer.json').sort((a, b) => a.path.split('/').length - b.path.split('/').length)[0];
  return tj === undefined ? undefined : tokenizerFromJson(tj.text, tj.path);
}

export class ActivationSession {
  readonly knownGoodRunner: TransformerRunner;
  readonly suspectRunner: TransformerRunner;
  readonly knownGoodWeights: ModelWeights;
  readonly suspectWeights: ModelWeights;

  private constructor(
    readonly spec: ModelSpec,
    readonly suspectSpec: ModelSpec,
    readonly backend: ActBackend,
    readonly memory: MemoryEstimate,
    readonly tokenizer: BpeTokenizer | undefined,
    readonly suspectTokenizer: BpeTokenizer | undefined,
    readonly knownGood: ModelInput,
    readonly suspect: ModelInput,
    options: SessionOptions,
  ) {
    const kgReader = new TensorReader(knownGood.manifest, knownGood.sources);
    const suReader = new TensorReader(suspect.manifest, suspect.sources);
    this.knownGoodWeights = new ModelWeights(kgReader, backend, 'known-good');
    this.suspectWeights = new ModelWeights(suReader, backend, 'suspect', { partner: this.knownGoodWeights, ...(options.identicalTensors ? { identical: options.identicalTensors } : {}) });
    this.knownGoodRunner = new TransformerRunner(spec, backend, this.knownGoodWeights, options.capacity);
    this.suspectRunner = new TransformerRunner(suspectSpec, backend, this.suspectWeights, options.capacity);
  }

  /**
   * Resolves and checks both models and the memory they need; throws `unsupported_architecture`,
   * `models_incompatible` or `model_too_large` before reading a single weight.
   */
  static open(knownGood: ModelInput, suspect: ModelInput, options: SessionOptions): ActivationSession {
    const kg = resolveModelSpec(knownGood.manifest);
    const su = resolveModelSpec(suspect.manifest);
    checkCompatible(kg, su);
    if (kg.family === 'gpt2' && options.capacity > kg.maxPositions) {
      throw new SleuthError('usage', `GPT-2 has ${kg.maxPositions} positions; the prompt and the new tokens (${options.capacity}) do not fit`);
    }
    const memory = estimateMemory(kg, su, options.capacity, options.maxPromptTokens, options.identicalTensors);
    if (memory.total > options.memoryBudget) {
      throw new SleuthError(
        'model_too_large',
        `Running both models needs about ${formatBytes(memory.total)} (weights in f32: known-good ${formatBytes(memory.weightsKnownGood)}, suspect ${formatBytes(memory.weightsSuspect)}; KV caches for ${options.capacity} positions ${formatBytes(memory.kvCache)}; activations ${formatBytes(memory.activations)}), over the budget of ${formatBytes(options.memoryBudget)} (${options.budgetSource}). Raise the budget (--memory-budget-mb), shorten the prompt or lower --max-new-tokens.`,
      );
    }
    if (memory.largestBuffer.bytes > options.backend.maxBufferBytes) {
      throw new SleuthError(
        'model_too_large',
        `${memory.largestBuffer.label} needs a single ${options.backend.kind === 'webgpu' ? 'GPU ' : ''}buffer of ${formatBytes(memory.largestBuffer.bytes)}; the ${options.backend.kind === 'webgpu' ? 'GPU binds' : 'engine holds'} at most ${formatBytes(options.backend.maxBufferBytes)} per buffer${options.backend.kind === 'webgpu' ? ' (use the CPU engine)' : ''}`,
      );
    }
    const kgTok = tokenizerOfSafe(knownGood.manifest);
    const suTok = tokenizerOfSafe(suspect.manifest);
    return new ActivationSession(kg, su, options.backend, memory, kgTok.tokenizer, suTok.tokenizer, knownGood, suspect, options);
  }

  /** Why text cannot be encoded (no tokenizer.json, or an unsupported one), else undefined. */
  tokenizerProblem(): string | undefined {
    return tokenizerOfSafe(this.knownGood.manifest).problem;
  }

  async dispose(): Promise<void> {
    this.knownGoodRunner.dispose();
    this.suspectRunner.dispose();
    await this.suspectWeights.dispose();
    await this.knownGoodWeights.dispose();
  }
}

function tokenizerOfSafe(manifest: ModelManifest): { tokenizer?: BpeTokenizer; problem?: string } {
  try {
    const t = tokenizerOf(manifest);
    return t === undefined ? { problem: `${manifest.label} has no tokenizer.json` } : { tokenizer: t };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}
