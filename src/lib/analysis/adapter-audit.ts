/**
 * Adapter audit: does "known-good + the given adapter, merged" explain the suspect?
 *
 * For every tensor W an adapter's factor pair modifies, with W0 the known-good and W1 the suspect,
 * the job that compares W0 and W1 also streams the residual of Δ = W1 − W0 against the adapter's
 * update s·L·R (L·R = B·A for PEFT; see formats/adapters/types.ts for every layout):
 *
 *     ‖Δ‖²,  ‖Δ − s·L·R‖²,  ‖L·R‖²,  ⟨Δ, L·R⟩,  and per element |Δ − s·L·R| against a tolerance
 *
 * chunk by chunk in the same read as the diff, never holding Δ or L·R beyond the current chunk; the
 * factors (r × n each) are read whole, up to MAX_ADAPTER_FACTOR_BYTES. One element of L·R costs r
 * multiply-adds on the CPU (the audit has no GPU kernel; the diff beside it may run on the GPU).
 *
 * When is a change explained? The residual ratio ρ = ‖Δ − s·B·A‖ / ‖Δ‖ is the headline number and
 * ADAPTER_RESIDUAL_MAX = 0.05 the documented threshold, but a norm alone can hide a concentrated edit
 * (one element pushed far off inside an otherwise perfect merge) and cannot tell rounding from a
 * real difference when the update is smaller than the storage grain. So each element also gets a
 * tolerance for how a merge computes and stores W0 + s·B·A:
 *
 *     tol = ulp of the suspect's dtype at W1 (one quantization step for block-quantized types)
 *         + 2⁻⁶ · |s| · Σₖ |Lᵢₖ·Rₖⱼ|     (B·A computed in bf16/f16/TF32 before the add)
 *
 * and a tensor is **explained** when no value is non-finite and either every element is within its
 * tolerance, or ρ ≤ 0.05 and no element beyond tolerance stands out of the residual (more than
 * RESIDUAL_OUTLIER_SIGMAS times the residual's RMS). Otherwise it is a **mismatch**. A merge in
 * F32, BF16 or F16 (rounded once after the add) is within tolerance everywhere; a different
 * adapter (ρ ≈ √2), a different scale, or an extra edit on top of the merge is not. When no scale
 * is declared (a bare LoRA file) the least-squares scale is used and only ρ decides.
 *
 * Verdict semantics: the verdict answers "does the suspect differ from the known-good?" — a merged
 * adapter changed the weights, so the tensor findings (and a "tampered" verdict) stay; each is marked
 * as explained by the adapter, `adapter.allChangesExplained` says when nothing else changed, and the
 * verdict summary then says the suspect is the known-good with this adapter merged. A pipeline that
 * accepts a declared merge checks that flag, not the status word.
 */
import { DTYPES, type DType } from '../formats/dtype.ts';
import { SleuthError, toErrorInfo, type ErrorInfo } from '../formats/errors.ts';
import { numel, type TensorEntry } from '../formats/manifest.ts';
import type { AdapterManifest, AdapterPair, FactorRef } from '../formats/adapters/types.ts';
import { layerOf } from '../formats/adapters/adapter-config.ts';
import { productShape } from '../formats/adapters/adapter-names.ts';
import { loadAdapter } from '../formats/adapters/load-adapter.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { canDecode, decodeChunk } from '../engine/cpu/decode.ts';
import { ulpAt, unravel } from '../engine/diff.ts';
import type { Sha256Factory } from '../evidence/sha256.ts';
import type { AdapterReport, AdapterTargetReport, AdapterTargetStatus, Finding, FindingKind, ReportFile, ReportTensor, Severity, VerdictStatus } from '../report/types.ts';
import type { PairTask, TensorResult } from './job.ts';
import type { AnalysisRunner } from './runner.ts';

/** Residual ratio ‖Δ − s·B·A‖ / ‖Δ‖ at or below which a change counts as explained (with no outlier element). */
export const ADAPTER_RESIDUAL_MAX = 0.05;
/**
 * Per-element slack for how the merge computed s·B·A, relative to s·Σₖ|LᵢₖRₖⱼ|: a bf16 product has a
 * unit roundoff of 2⁻⁸ per operand and per result, TF32 2⁻¹¹; 2⁻⁶ covers a bf16 B·A with f32
 * accumulation (≤ 3·2⁻⁸) with room to spare while staying a few percent of the update itself.
 */
export const MERGE_PRODUCT_RELATIVE_TOLERANCE = 2 ** -6;
/** A residual element beyond tolerance and this many RMS above the residual's RMS is a concentrated edit. */
export const RESIDUAL_OUTLIER_SIGMAS = 10;
/** Largest residuals kept per tensor (their count also bounds the outliers counted). */
export const RESIDUAL_TOP = 8;
/**
 * Largest factor (A or B) read whole, in bytes. Blocks a forged header that declares a huge factor
 * (CWE-770); the largest real factor expected, an embedding LoRA of a 256k vocabulary at r = 256 in
 * F32, is 256 MiB.
 */
export const MAX_ADAPTER_FACTOR_BYTES = 256 * 1024 * 1024;
/** Read size for factor bytes. */
const FACTOR_READ_CHUNK = 16 * 1024 * 1024;

// ── loading (runs where the sources are: a worker or in-process) ─────────────

export interface LoadedAdapter extends AdapterManifest {
  /** SHA-256 of every file given, in `files` order (null when it could not be read). */
  hashes: { path: string; sha256: string | null }[];
}

/** Reads the adapter's headers and config and hashes every file (adapters are small beside models). */
export async function loadAndHashAdapter(label: string, sources: readonly ByteSource[], sha256: Sha256Factory): Promise<LoadedAdapter> {
  const manifest = await loadAdapter(label, sources);
  const hashes: LoadedAdapter['hashes'] = [];
  for (const f of manifest.files) {
    const source = sources.find((s) => s.path === f.path);
    let digest: string | null = null;
    if (source) {
      try {
        const h = await sha256();
        for (let off = 0; off < source.size; off += FACTOR_READ_CHUNK) h.update(await source.read(off, Math.min(FACTOR_READ_CHUNK, source.size - off)));
        digest = h.digestHex();
      } catch (e) {
        manifest.problems.push(toErrorInfo(e, f.path));
      }
    }
    hashes.push({ path: f.path, sha256: digest });
  }
  return { ...manifest, hashes };
}

/** The runner's adapter; one that cannot be loaded at all becomes an adapter with a problem (never fatal). */
export async function loadGivenAdapter(runner: Pick<AnalysisRunner, 'loadAdapter'>, label: string): Promise<LoadedAdapter> {
  const out = runner.loadAdapter ? await runner.loadAdapter(label) : undefined;
  if (out?.ok) return out.value;
  const error = out ? out.error : new SleuthError('internal_error', 'This runner cannot read adapters').toInfo();
  if (error.code === 'cancelled') throw new SleuthError('cancelled', error.message);
  return { label, files: [], format: 'unknown', type: 'unknown', supported: false, pairs: [], notes: [], problems: [error], notices: [], hashes: [] };
}

// ── planning: which compared tensor pairs carry an audit ─────────────────────

/** What rides on a PairTask to the job that compares the tensor (plain data). */
export interface AdapterTask {
  module: string;
  left: FactorRef;
  right: FactorRef;
  rank: number;
  /** The tensor viewed as a matrix [rows, cols]. */
  rows: number;
  cols: number;
  /** Undefined: fitted (or alpha / rank once `alphaTensor` is read). */
  scale?: number;
  alphaTensor?: TensorEntry;
}

export interface AdapterPlanTarget {
  pair: AdapterPair;
  tensor: string | null;
  /** Set when the residual test will not run for this pair. */
  status?: 'missing' | 'not-audited';
  reason?: string;
}

export interface AdapterPlan {
  adapter: LoadedAdapter;
  targets: AdapterPlanTarget[];
  notes: string[];
}

/**
 * Names the base tensor of every factor pair and attaches an AdapterTask to its PairTask (mutates
 * `pairs`). A pair whose product does not have the tensor's shape but whose transpose does (a
 * fan_in_fan_out flag that was wrong, an MLX embedding) is audited transposed, with a note.
 */
export function planAdapterAudit(adapter: LoadedAdapter, pairs: readonly PairTask[]): AdapterPlan {
  const byName = new Map(pairs.map((p) => [p.name, p] as const));
  const normalised = new Map<string, string>();
  for (const name of byName.keys()) if (name.endsWith('.weight')) normalised.set(name.slice(0, -'.weight'.length).replace(/\./g, '_'), name);
  const notes: string[] = [];
  const targets: AdapterPlanTarget[] = [];
  const taken = new Set<string>();
  for (const pair of adapter.pairs) {
    const tensor = resolveTarget(pair, byName, normalised);
    const target: AdapterPlanTarget = { pair, tensor };
    targets.push(target);
    if (!adapter.supported) {
      target.status = 'not-audited';
      target.reason = 'the adapter type is not a plain LoRA';
      continue;
    }
    if (tensor === null) {
      target.status = 'missing';
      target.reason = pair.targets.length ? `neither model has a tensor named ${pair.targets[0] ?? ''}` : 'the adapter does not name the module it modifies';
      continue;
    }
    const task = byName.get(tensor);
    if (!task?.a || !task.b) {
      target.status = 'not-audited';
      target.reason = `${tensor} exists only in the ${task?.a ? 'known-good' : 'suspect'}`;
      continue;
    }
    if (taken.has(tensor)) {
      target.status = 'not-audited';
      target.reason = `another factor pair already modifies ${tensor}; summed adapters are not audited`;
      continue;
    }
    const shape = task.a.shape;
    const rows = shape.length === 0 ? 1 : (shape[0] as number);
    const cols = rows === 0 ? 0 : numel(shape) / rows;
    let left = pair.left;
    let right = pair.right;
    const product = productShape(pair);
    if (product.rows !== rows || product.cols !== cols) {
      if (product.rows === cols && product.cols === rows && shape.length === 2) {
        // Δᵀ = s·Rᵀ·Lᵀ: the transposed factors swap places.
        left = { entry: pair.right.entry, transposed: !pair.right.transposed };
        right = { entry: pair.left.entry, transposed: !pair.left.transposed };
        notes.push(`${pair.module}: the factor product is [${product.rows}, ${product.cols}] but ${tensor} is [${shape.join(', ')}]; audited as the transposed product (a fan_in_fan_out or layout mismatch)`);
      } else {
        target.status = 'not-audited';
        target.reason = `the factors multiply to [${product.rows}, ${product.cols}] but ${tensor} is [${shape.join(', ')}]`;
        continue;
      }
    }
    taken.add(tensor);
    const t: AdapterTask = { module: pair.module, left, right, rank: pair.rank, rows, cols };
    if (pair.scale !== undefined) t.scale = pair.scale;
    if (pair.alphaTensor) t.alphaTensor = pair.alphaTensor;
    task.adapter = t;
  }
  return { adapter, targets, notes };
}

function resolveTarget(pair: AdapterPair, byName: ReadonlyMap<string, PairTask>, normalised: ReadonlyMap<string, string>): string | null {
  for (const t of pair.targets) if (byName.has(t)) return t;
  if (pair.naming === 'indexed') return null;
  // The same module one wrapper level up or down (a LoRA trained on LlamaModel applied to LlamaForCausalLM).
  const m = pair.module;
  for (const alt of m.startsWith('model.') ? [m.slice('model.'.length)] : [`model.${m}`]) if (byName.has(`${alt}.weight`)) return `${alt}.weight`;
  // kohya-ss flattens module paths with "_" and prefixes the network: lora_unet_…, lora_te_…, lora_te1_….
  const flat = m.replace(/^lora_(?:unet|te\d?|text_encoder\d?|transformer)_/, '').replace(/\./g, '_');
  return normalised.get(flat) ?? null;
}

// ── streaming (runs inside the job that compares the tensor) ─────────────────

/** The factors in the layout the inner loop wants: L row-major [rows × r], R transposed [cols × r]. */
export interface AdapterFactors {
  L: Float32Array | Float64Array;
  Rt: Float32Array | Float64Array;
  rank: number;
  rows: number;
  cols: number;
  scale: number | undefined;
}

/** Reads both factors (and a kohya alpha) whole, bounded by MAX_ADAPTER_FACTOR_BYTES each. */
export async function readAdapterFactors(task: AdapterTask, open: (path: string) => Promise<ByteSource>): Promise<AdapterFactors> {
  const r = task.rank;
  const left = await readValues(task.left.entry, open);
  const right = await readValues(task.right.entry, open);
  const L = arrange(left, task.left.transposed, task.rows, r);
  const Rt = arrange(right, !task.right.transposed, task.cols, r);
  let scale = task.scale;
  if (task.alphaTensor) {
    const alpha = (await readValues(task.alphaTensor, open))[0];
    if (alpha !== undefined && Number.isFinite(alpha)) scale = alpha / r;
  }
  return { L, Rt, rank: r, rows: task.rows, cols: task.cols, scale };
}

/**
 * Values stored as [dim, r] (transposed = false) or [r, dim] (transposed = true) → [dim × r] row-major.
 * For R the caller passes `!transposed`: R [r, cols] is wanted as Rt [cols, r].
 */
function arrange(values: Float32Array | Float64Array, transposed: boolean, dim: number, r: number): Float32Array | Float64Array {
  if (values.length !== dim * r) throw new SleuthError('internal_error', `adapter factor holds ${values.length} values, expected ${dim} × ${r}`);
  if (!transposed) return values;
  const out = values instanceof Float64Array ? new Float64Array(dim * r) : new Float32Array(dim * r);
  for (let k = 0; k < r; k++) for (let i = 0; i < dim; i++) out[i * r + k] = values[k * dim + i] as number;
  return out;
}

async function readValues(t: TensorEntry, open: (path: string) => Promise<ByteSource>): Promise<Float32Array | Float64Array> {
  const info = DTYPES[t.dtype];
  if (info.blockElements !== 1 || !canDecode(t.dtype) || info.family !== 'float') {
    throw new SleuthError('unsupported_dtype', `Adapter factor ${t.name} is ${t.dtype}; only float factors are audited`, { file: t.file });
  }
  const n = numel(t.shape);
  const bytes = n * info.blockBytes;
  if (bytes > MAX_ADAPTER_FACTOR_BYTES || t.byteLength > MAX_ADAPTER_FACTOR_BYTES) {
    throw new SleuthError('unsupported_format', `Adapter factor ${t.name} is ${Math.max(bytes, t.byteLength)} bytes, over the ${MAX_ADAPTER_FACTOR_BYTES}-byte limit for a factor read whole`, { file: t.file });
  }
  const source = await open(t.file);
  const span = new Uint8Array(t.byteLength);
  for (let off = 0; off < t.byteLength; off += FACTOR_READ_CHUNK) span.set(await source.read(t.byteOffset + off, Math.min(FACTOR_READ_CHUNK, t.byteLength - off)), off);
  let raw = span;
  if (t.layout.kind === 'strided') {
    // A PyTorch view: gather its elements in row-major order (as run-job's tensorBytes does).
    const size = info.blockBytes;
    const strides = t.layout.strides;
    raw = new Uint8Array(bytes);
    const index = new Array<number>(t.shape.length).fill(0);
    for (let e = 0; e < n; e++) {
      let src = 0;
      for (let d = 0; d < t.shape.length; d++) src += (index[d] as number) * (strides[d] as number);
      if ((src + 1) * size > span.byteLength) throw new SleuthError('torch_storage_too_small', `Adapter factor ${t.name} reaches past its storage`, { file: t.file });
      raw.set(span.subarray(src * size, src * size + size), e * size);
      for (let d = t.shape.length - 1; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (t.shape[d] as number)) break;
        index[d] = 0;
      }
    }
  } else if (t.byteLength !== bytes) {
    throw new SleuthError('internal_error', `Adapter factor ${t.name}: ${t.byteLength} bytes for ${n} × ${t.dtype}`, { file: t.file });
  }
  return decodeChunk(raw, t.dtype, n).values;
}

/** Plain-data result of one tensor's residual pass (rides on TensorResult). */
export interface AdapterPairResult {
  /** Scale used for the per-element test; null when none was declared (only the fitted scale applies). */
  scale: number | null;
  elements: number;
  /**
   * ‖Δ‖², ‖Δ − s·L·R‖², ‖L·R‖² and ⟨Δ − s·L·R, L·R⟩ over finite pairs (s = 0 when no scale is
   * declared). The fitted scale is s + ⟨Δ − sM, M⟩ / ‖M‖², and its residual ‖Δ − sM‖² − ⟨Δ − sM, M⟩² / ‖M‖²
   * — taken from the residual, not from ‖Δ‖², so a near-perfect fit does not drown in cancellation.
   */
  deltaSq: number;
  residualSq: number;
  productSq: number;
  residualDot: number;
  /** Elements where either side is NaN/±Inf and they differ. */
  nonFinite: number;
  beyondTolerance: number;
  /** Largest residuals beyond tolerance, largest first (flat element index). */
  top: { index: number; residual: number; tolerance: number }[];
  error?: ErrorInfo;
}

/**
 * Reads the factors and returns the accumulator for one tensor's pass. A factor that cannot be read
 * does not stop the comparison: the accumulator then only carries the error.
 */
export async function startAdapterAudit(task: AdapterTask, suspectDtype: DType, open: ((path: string) => Promise<ByteSource>) | undefined): Promise<AdapterAccumulator> {
  try {
    if (!open) throw new SleuthError('internal_error', 'The job has no access to the adapter files');
    return new AdapterAccumulator(await readAdapterFactors(task, open), suspectDtype);
  } catch (e) {
    if (e instanceof SleuthError && e.code === 'cancelled') throw e;
    return new AdapterAccumulator(toErrorInfo(e, task.left.entry.file), suspectDtype);
  }
}

/** Accumulates one tensor's residual chunk by chunk (chunks in element order, any size). */
export class AdapterAccumulator {
  private readonly r: AdapterPairResult;
  private readonly f: AdapterFactors | undefined;
  private readonly scale: number | undefined;
  constructor(
    factors: AdapterFactors | ErrorInfo,
    private readonly suspectDtype: DType,
  ) {
    this.f = 'L' in factors ? factors : undefined;
    this.scale = this.f?.scale;
    this.r = { scale: this.scale ?? null, elements: 0, deltaSq: 0, residualSq: 0, productSq: 0, residualDot: 0, nonFinite: 0, beyondTolerance: 0, top: [] };
    if (!('L' in factors)) this.r.error = factors;
  }

  /** Elements [firstElement, firstElement + count) of both sides, raw bytes in row-major order. */
  add(firstElement: number, bytesA: Uint8Array, dtypeA: DType, bytesB: Uint8Array, count: number): void {
    if (!this.f) return;
    const va = decodeChunk(bytesA, dtypeA, count).values;
    const decodedB = decodeChunk(bytesB, this.suspectDtype, count);
    const vb = decodedB.values;
    const steps = decodedB.steps;
    const info = DTYPES[this.suspectDtype];
    const isFloat = info.family === 'float';
    const mant = info.mantissaBits ?? 0;
    const minExp = info.minExponent ?? 0;
    // Floats of ≤ 32 bits are exact in binary32: their ulp comes from the exponent bits (Math.log2 per
    // element was 90% of the pass); F64 takes the general path.
    const fastUlp = isFloat && info.blockBytes <= 4;
    const { L, Rt, rank, cols } = this.f;
    const s = this.scale;
    const s0 = s ?? 0;
    const slack = s === undefined ? 0 : MERGE_PRODUCT_RELATIVE_TOLERANCE * Math.abs(s);
    const res = this.r;
    let deltaSq = 0;
    let residualSq = 0;
    let productSq = 0;
    let residualDot = 0;
    let i = cols > 0 ? Math.floor(firstElement / cols) : 0;
    let j = firstElement - i * cols;
    for (let e = 0; e < count; e++, j++) {
      if (j === cols) {
        j = 0;
        i++;
      }
      const x = va[e] as number;
      const y = vb[e] as number;
      if (!(x - x === 0 && y - y === 0)) {
        // NaN ↔ NaN is no change; anything else non-finite is one the adapter cannot explain.
        if (!(x !== x && y !== y) && x !== y) res.nonFinite++;
        continue;
      }
      const li = i * rank;
      const rj = j * rank;
      let m = 0;
      for (let k = 0; k < rank; k++) m += (L[li + k] as number) * (Rt[rj + k] as number);
      const d = y - x;
      const rd = d - s0 * m;
      deltaSq += d * d;
      productSq += m * m;
      residualSq += rd * rd;
      residualDot += rd * m;
      if (s === undefined) continue;
      const a = Math.abs(rd);
      const grain = steps ? (steps[e] as number) : fastUlp ? ulp32(y, mant, minExp) : isFloat ? ulpAt(y, mant, minExp) : 0;
      if (a <= grain) continue;
      let mabs = 0;
      for (let k = 0; k < rank; k++) mabs += Math.abs((L[li + k] as number) * (Rt[rj + k] as number));
      const tol = grain + slack * mabs;
      if (a <= tol) continue;
      res.beyondTolerance++;
      this.offer(firstElement + e, rd, tol);
    }
    res.elements += count;
    res.deltaSq += deltaSq;
    res.residualSq += residualSq;
    res.productSq += productSq;
    res.residualDot += residualDot;
  }

  private offer(index: number, residual: number, tolerance: number): void {
    const top = this.r.top;
    const a = Math.abs(residual);
    if (top.length >= RESIDUAL_TOP && a <= Math.abs((top[top.length - 1] as { residual: number }).residual)) return;
    let at = top.length;
    while (at > 0 && Math.abs((top[at - 1] as { residual: number }).residual) < a) at--;
    top.splice(at, 0, { index, residual, tolerance });
    if (top.length > RESIDUAL_TOP) top.pop();
  }

  finish(): AdapterPairResult {
    return this.r;
  }
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
/** 2^n for n in [-300, 300]. */
const POW2 = Float64Array.from({ length: 601 }, (_, i) => 2 ** (i - 300));

/** ulpAt (engine/diff.ts) for a value exact in binary32, from its exponent bits. */
function ulp32(x: number, mantissaBits: number, minExponent: number): number {
  scratchF32[0] = x;
  const biased = ((scratchU32[0] as number) >>> 23) & 0xff;
  let e = biased === 0 ? -126 : biased - 127;
  if (e < minExponent) e = minExponent;
  return POW2[e - mantissaBits + 300] as number;
}

// ── judging one tensor ───────────────────────────────────────────────────────

export interface AdapterJudgement {
  status: 'explained' | 'mismatch' | 'unchanged';
  residualRatio: number;
  deltaNorm: number;
  updateNorm: number;
  fittedScale?: number;
  fittedResidualRatio?: number;
  /** Residual elements beyond tolerance that also stand RESIDUAL_OUTLIER_SIGMAS above the residual RMS (≤ RESIDUAL_TOP counted). */
  outliers: number;
}

export function judgeAdapterResult(r: AdapterPairResult): AdapterJudgement {
  const deltaNorm = Math.sqrt(r.deltaSq);
  const productNorm = Math.sqrt(r.productSq);
  const out: AdapterJudgement = { status: 'mismatch', residualRatio: 0, deltaNorm, updateNorm: r.scale === null ? 0 : Math.abs(r.scale) * productNorm, outliers: 0 };
  if (r.productSq > 0) {
    const c = (r.scale ?? 0) + r.residualDot / r.productSq;
    out.fittedScale = c;
    const fitted = Math.max(0, r.residualSq - (r.residualDot * r.residualDot) / r.productSq);
    out.fittedResidualRatio = deltaNorm > 0 ? Math.sqrt(fitted) / deltaNorm : 0;
    if (r.scale === null) out.updateNorm = Math.abs(c) * productNorm;
  }
  if (r.deltaSq === 0 && r.nonFinite === 0) {
    out.status = 'unchanged';
    return out;
  }
  if (r.scale === null) {
    out.residualRatio = out.fittedResidualRatio ?? 1;
    out.status = r.nonFinite === 0 && (out.fittedScale ?? 0) > 0 && out.residualRatio <= ADAPTER_RESIDUAL_MAX ? 'explained' : 'mismatch';
    return out;
  }
  out.residualRatio = deltaNorm > 0 ? Math.sqrt(r.residualSq) / deltaNorm : Number.MAX_VALUE;
  const rms = r.elements > 0 ? Math.sqrt(r.residualSq / r.elements) : 0;
  out.outliers = r.top.filter((t) => Math.abs(t.residual) > RESIDUAL_OUTLIER_SIGMAS * rms).length;
  const explained = r.nonFinite === 0 && (r.beyondTolerance === 0 || (out.residualRatio <= ADAPTER_RESIDUAL_MAX && out.outliers === 0));
  out.status = explained ? 'explained' : 'mismatch';
  return out;
}

// ── the report section and findings ──────────────────────────────────────────

type AdapterEffect = 'tampered' | 'none';
export interface AdapterDraft extends Omit<Finding, 'id'> {
  effect: AdapterEffect;
}

/** The shape of build-report's draft findings that the audit marks (structural: no import cycle). */
export interface MarkableDraft {
  kind: FindingKind;
  severity: Severity;
  message: string;
  tensor?: string;
  details?: Record<string, unknown>;
  effect: string;
}

export interface AdapterAuditOutcome {
  section: AdapterReport;
  /** New findings (adapter-explains-delta, adapter-mismatch, adapter file problems). */
  drafts: AdapterDraft[];
  /** A model-level pattern line for report.patterns. */
  pattern?: string;
  /** Marks the tensor findings of explained / unexplained tensors, and sets section.allChangesExplained. */
  mark(drafts: MarkableDraft[]): void;
  /** The verdict summary, given the status and the default summary. */
  summary(status: VerdictStatus, fallback: string): string;
}

const TENSOR_FINDING_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['tensor-modified', 'dtype-changed', 'tensor-added', 'tensor-removed', 'shape-changed']);

export function auditAdapter(plan: AdapterPlan, tensors: readonly ReportTensor[], results: ReadonlyMap<string, TensorResult>): AdapterAuditOutcome {
  const adapter = plan.adapter;
  const byName = new Map(tensors.map((t) => [t.name, t] as const));
  const targets: AdapterTargetReport[] = [];
  const drafts: AdapterDraft[] = [];
  const explained = new Map<string, AdapterTargetReport>();
  const mismatched = new Map<string, AdapterTargetReport>();
  const notMerged: string[] = [];
  const missing: AdapterTargetReport[] = [];

  for (const pt of plan.targets) {
    const p = pt.pair;
    const target: AdapterTargetReport = { tensor: pt.tensor, module: p.module, rank: p.rank, scale: p.scale ?? null, scaleRule: p.scaleRule, status: pt.status ?? 'not-audited' };
    if (p.alpha !== undefined) target.alpha = p.alpha;
    targets.push(target);
    if (pt.status) {
      if (pt.reason !== undefined) target.reason = pt.reason;
      if (pt.status === 'missing') missing.push(target);
      continue;
    }
    const name = pt.tensor ?? '';
    const t = byName.get(name);
    const res = results.get(name);
    const audit = res?.adapter;
    if (t?.status === 'identical') {
      target.status = 'unchanged';
      target.reason = 'identical in the suspect: the adapter was not merged into this tensor';
      notMerged.push(name);
      if (audit && !audit.error) fillNumbers(target, audit, judgeAdapterResult(audit), t);
      continue;
    }
    if (!audit || audit.error) {
      target.status = 'not-audited';
      target.reason = audit?.error ? `the adapter's factors could not be read: ${audit.error.message}` : (t?.notCompared ?? res?.error?.message ?? 'the tensor values were not compared');
      continue;
    }
    // The scale the pass used (a kohya alpha tensor is only read by the job).
    if (audit.scale !== null) target.scale = audit.scale;
    const j = judgeAdapterResult(audit);
    fillNumbers(target, audit, j, t);
    if (audit.scale === null && target.fittedScale !== undefined) target.scaleRule = `${p.scaleRule} (fitted: ${fmt(target.fittedScale)})`;
    const roundingOnly = t?.delta?.edit.kind === 'precision';
    if (j.status === 'unchanged' || (roundingOnly && j.status === 'mismatch')) {
      target.status = 'unchanged';
      target.reason = roundingOnly ? 'only rounding differences: the adapter was not merged into this tensor' : 'no element changed';
      notMerged.push(name);
    } else if (j.status === 'explained') {
      target.status = 'explained';
      explained.set(name, target);
    } else {
      target.status = 'mismatch';
      mismatched.set(name, target);
    }
  }

  // ── findings ──
  const kindWords = adapterWords(adapter);
  for (const [name, tg] of explained) {
    drafts.push({
      severity: 'info',
      kind: 'adapter-explains-delta',
      tensor: name,
      message: `The change to ${name} is fully explained by the given adapter: Δ = ${scaleWords(tg)}·B·A (${kindWords}, rank ${tg.rank}), residual ${pct(tg.residualRatio)} of ‖Δ‖${tg.elementsBeyondRounding ? '' : ', every element within the merge’s rounding'}`,
      details: targetDetails(tg),
      effect: 'none',
    });
  }
  for (const [name, tg] of mismatched) {
    drafts.push({ severity: 'high', kind: 'adapter-mismatch', tensor: name, message: mismatchWords(name, tg, byName.get(name), plan), details: targetDetails(tg), effect: 'tampered' });
  }
  if (notMerged.length > 0 && (explained.size > 0 || mismatched.size > 0 || notMerged.length < plan.targets.length)) {
    drafts.push({
      severity: 'low',
      kind: 'adapter-mismatch',
      message: `The given adapter modifies ${notMerged.length} tensor${notMerged.length === 1 ? ' that is' : 's that are'} unchanged in the suspect (not merged there): ${names(notMerged)}`,
      details: { notMerged },
      effect: 'none',
    });
  } else if (notMerged.length > 0) {
    drafts.push({ severity: 'low', kind: 'adapter-mismatch', message: `The given adapter was not merged: none of the ${notMerged.length} tensors it modifies changed in the suspect`, details: { notMerged }, effect: 'none' });
  }
  if (missing.length > 0) {
    drafts.push({
      severity: 'medium',
      kind: 'adapter-mismatch',
      message: `${missing.length} of the adapter's ${plan.targets.length} factor pairs modify tensors neither model has (${names(missing.map((m) => m.module))}): the adapter may belong to another model`,
      details: { modules: missing.map((m) => m.module) },
      effect: 'none',
    });
  }
  for (const p of adapter.problems) {
    drafts.push({ severity: 'medium', kind: 'parse-error', message: `Adapter file ${p.file ?? '?'} could not be read: ${p.message}`, ...(p.file === undefined ? {} : { file: p.file }), details: { side: 'adapter', code: p.code }, effect: 'none' });
  }
  for (const n of adapter.notices) {
    drafts.push({ severity: n.severity, kind: n.kind, message: `Adapter file: ${n.message}`, file: n.file, details: { side: 'adapter', key: n.key, ...(n.details ?? {}) }, effect: 'none' });
  }

  // ── changed tensors nothing explains ──
  const isChange = (t: ReportTensor): boolean => t.status !== 'identical' && t.delta?.edit.kind !== 'precision';
  const unexplained = tensors.filter((t) => isChange(t) && !explained.has(t.name)).map((t) => t.name);

  // ── the section ──
  const hashes = new Map(adapter.hashes.map((h) => [h.path, h.sha256] as const));
  const files: ReportFile[] = adapter.files.map((f) => ({ path: f.path, size: f.size, sha256: hashes.get(f.path) ?? null, format: f.format, role: f.role }));
  const c = adapter.config;
  const section: AdapterReport = {
    label: adapter.label,
    files,
    format: adapter.format,
    type: adapter.type,
    supported: adapter.supported,
    residualThreshold: ADAPTER_RESIDUAL_MAX,
    targets,
    unexplained,
    notMerged,
    allChangesExplained: false,
    notes: [...adapter.notes, ...plan.notes],
  };
  if (c?.baseModel !== undefined) section.baseModel = c.baseModel;
  const ranks = new Set(adapter.pairs.map((p) => p.rank));
  const rank = c?.rank ?? (ranks.size === 1 ? [...ranks][0] : undefined);
  if (rank !== undefined) section.rank = rank;
  const alpha = c?.alpha ?? adapter.pairs.find((p) => p.alpha !== undefined)?.alpha;
  if (alpha !== undefined) section.alpha = alpha;
  const scales = new Set(targets.map((t) => t.scale));
  const scale = scales.size === 1 ? [...scales][0] : undefined;
  if (scale !== undefined && scale !== null) section.scale = scale;
  const rules = new Set(adapter.pairs.map((p) => p.scaleRule));
  if (rules.size === 1) section.scaleRule = [...rules][0] as string;
  if (c) {
    section.useRslora = c.useRslora;
    section.fanInFanOut = c.fanInFanOut;
    if (c.targetModules) section.targetModules = c.targetModules;
    if (c.targetModulesRegex !== undefined) section.targetModulesRegex = c.targetModulesRegex;
  }
  if (!section.targetModules) {
    const suffixes = [...new Set(adapter.pairs.filter((p) => p.naming !== 'indexed').map((p) => p.module.split('.').pop() ?? p.module))];
    if (suffixes.length) section.targetModules = suffixes;
  }
  const layers = [...new Set(adapter.pairs.map((p) => layerOf(p.module)).filter((l): l is number => l !== undefined))].sort((x, y) => x - y);
  if (layers.length) section.layers = layers;
  else if (c?.layersToTransform?.length) section.layers = [...c.layersToTransform];
  if (adapter.problems.length) section.problems = adapter.problems;

  let pattern: string | undefined;
  if (explained.size > 0) {
    pattern = `The given adapter (${kindWords}${section.rank === undefined ? '' : `, r ${section.rank}`}${section.scale === undefined ? '' : `, scale ${fmt(section.scale)}`}) explains the changes to ${explained.size} tensor${explained.size === 1 ? '' : 's'}${unexplained.length ? `; ${unexplained.length} changed tensor${unexplained.length === 1 ? ' is' : 's are'} not explained by it` : ''}.`;
  } else if (mismatched.size > 0) {
    pattern = `The given adapter (${kindWords}) does not explain the changes to the tensors it modifies.`;
  }

  let explainedFindings = 0;
  return {
    section,
    drafts,
    ...(pattern === undefined ? {} : { pattern }),
    mark(all) {
      for (const d of all) {
        if (d.tensor === undefined || !TENSOR_FINDING_KINDS.has(d.kind)) continue;
        const tg = explained.get(d.tensor);
        if (tg) {
          d.message += ` — fully explained by the given adapter (Δ = ${scaleWords(tg)}·B·A, residual ${pct(tg.residualRatio)})`;
          d.severity = 'info';
          d.details = { ...(d.details ?? {}), explainedByAdapter: true };
          explainedFindings++;
        } else if (d.effect === 'tampered') {
          const mm = mismatched.get(d.tensor);
          d.message += mm ? ` — not explained by the given adapter (residual ${pct(mm.residualRatio)})` : ' — no factor of the given adapter modifies this tensor';
          d.details = { ...(d.details ?? {}), explainedByAdapter: false };
        }
      }
      const otherTampering = all.some((d) => d.effect === 'tampered' && !(d.tensor !== undefined && explained.has(d.tensor) && TENSOR_FINDING_KINDS.has(d.kind)));
      section.allChangesExplained = explainedFindings > 0 && !otherTampering;
    },
    summary(status, fallback) {
      if (status === 'tampered' && section.allChangesExplained) {
        const worst = Math.max(...[...explained.values()].map((t) => t.residualRatio ?? 0));
        return `The suspect differs from the known-good only by the merge of the given adapter (${kindWords}${section.rank === undefined ? '' : `, r ${section.rank}`}${section.scale === undefined ? '' : `, scale ${fmt(section.scale)}`}): the changes to ${explained.size} tensor${explained.size === 1 ? ' are' : 's are'} fully explained by scale·B·A (largest residual ${pct(worst)} of ‖Δ‖); nothing else differs.`;
      }
      if (explained.size > 0) return `${fallback} (${explained.size} other changed tensor${explained.size === 1 ? ' is' : 's are'} fully explained by the given adapter.)`;
      if (!adapter.supported) return `${fallback} (The given adapter could not be audited: ${adapter.type} is not a plain LoRA.)`;
      return fallback;
    },
  };
}

function fillNumbers(target: AdapterTargetReport, audit: AdapterPairResult, j: AdapterJudgement, t: ReportTensor | undefined): void {
  target.residualRatio = finite(j.residualRatio);
  target.deltaNorm = finite(j.deltaNorm);
  target.updateNorm = finite(j.updateNorm);
  if (j.fittedScale !== undefined) target.fittedScale = finite(j.fittedScale);
  if (j.fittedResidualRatio !== undefined) target.fittedResidualRatio = finite(j.fittedResidualRatio);
  if (audit.scale !== null) target.elementsBeyondRounding = audit.beyondTolerance;
  const top = audit.top[0];
  const shape = t?.shape.knownGood ?? t?.shape.suspect;
  if (top && shape) target.largestResidual = { index: unravel(top.index, shape), residual: finite(top.residual), tolerance: finite(top.tolerance) };
}

function targetDetails(t: AdapterTargetReport): Record<string, unknown> {
  const d: Record<string, unknown> = { module: t.module, rank: t.rank, scale: t.scale, residualRatio: t.residualRatio, threshold: ADAPTER_RESIDUAL_MAX };
  if (t.fittedScale !== undefined) d['fittedScale'] = t.fittedScale;
  if (t.elementsBeyondRounding !== undefined) d['elementsBeyondRounding'] = t.elementsBeyondRounding;
  if (t.largestResidual) d['largestResidual'] = t.largestResidual;
  return d;
}

function mismatchWords(name: string, tg: AdapterTargetReport, t: ReportTensor | undefined, plan: AdapterPlan): string {
  const ratio = tg.residualRatio ?? 1;
  const parts = [`${name} changed, but not as the given adapter would change it: ‖Δ − ${scaleWords(tg)}·B·A‖ / ‖Δ‖ = ${pct(ratio)} (explained means ≤ ${pct(ADAPTER_RESIDUAL_MAX)})`];
  const fitted = tg.fittedResidualRatio;
  const pair = plan.targets.find((x) => x.tensor === name)?.pair;
  const otherScale = tg.fittedScale !== undefined && tg.scale !== null && Math.abs(tg.fittedScale - tg.scale) > 0.01 * Math.abs(tg.scale);
  if (ratio <= ADAPTER_RESIDUAL_MAX && tg.largestResidual) {
    parts.push(`the bulk matches, but ${tg.elementsBeyondRounding ?? 0} element${tg.elementsBeyondRounding === 1 ? '' : 's'} differ beyond rounding (largest at [${tg.largestResidual.index.join(', ')}]: ${fmt(tg.largestResidual.residual)}): an edit on top of the merge`);
  } else if (otherScale && tg.fittedScale !== undefined && tg.scale !== null && fitted !== undefined && fitted <= ADAPTER_RESIDUAL_MAX && tg.fittedScale > 0) {
    const alt = pair?.alternatives?.find((a) => Math.abs(a.scale - (tg.fittedScale ?? 0)) <= 0.02 * Math.abs(a.scale));
    parts.push(`the change is this adapter at scale ${fmt(tg.fittedScale)} instead of the declared ${fmt(tg.scale)}${alt ? ` — the ${alt.rule} convention` : ''} (residual there ${pct(fitted)})`);
  } else if (tg.fittedResidualRatio !== undefined && tg.fittedResidualRatio > 0.9) {
    parts.push('the change is unrelated to this adapter’s update (a different adapter or another edit)');
  }
  if (t?.delta?.edit.kind) parts.push(`the change itself is ${t.delta.edit.kind}${t.delta.edit.rank === undefined ? '' : ` (rank ≈ ${t.delta.edit.rank})`}`);
  return parts.join('; ');
}

function adapterWords(a: LoadedAdapter): string {
  const fmtName: Record<string, string> = { peft: 'PEFT', mlx: 'mlx-lm', kohya: 'kohya-ss', diffusers: 'diffusers', cloneofsimo: 'cloneofsimo', unknown: 'unknown format' };
  const type = a.type === 'LORA' || a.type === 'lora' ? 'LoRA' : a.type;
  return `${fmtName[a.format] ?? a.format} ${type}`;
}

function scaleWords(t: AdapterTargetReport): string {
  if (t.scale !== null) return fmt(t.scale);
  return t.fittedScale === undefined ? 's' : `${fmt(t.fittedScale)} (fitted)`;
}

function names(list: readonly string[]): string {
  return list.slice(0, 6).join(', ') + (list.length > 6 ? `, … (${list.length} in all)` : '');
}

function pct(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '?';
  const p = x * 100;
  if (p === 0) return '0%';
  if (p >= 1000) return `${p.toExponential(1)}%`;
  return `${p < 0.01 ? p.toExponential(1) : p < 10 ? p.toPrecision(2) : p.toFixed(0)}%`;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

/** JSON has no Inf/NaN. */
function finite(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}
