/**
 * Assembles the v1 report from the two manifests and the job results: tensor statuses, deltas and
 * their classification, findings in words, and the verdict with REPORT.md's precedence
 * (malicious-code > tampered > inconclusive > benign-precision > clean). Pure: no I/O.
 */
import { DTYPES } from '../formats/dtype.ts';
import { describeError, type ErrorInfo } from '../formats/errors.ts';
import { MAX_CHANGED_ROWS_LISTED, TOP_ROWS } from '../formats/limits.ts';
import type { ModelFile, ModelManifest, TensorEntry } from '../formats/manifest.ts';
import { unravel } from '../engine/diff.ts';
import {
  jsonNumber,
  REPORT_SCHEMA_ID,
  type DeltaReport,
  type Finding,
  type FindingKind,
  type ReportFile,
  type ReportTensor,
  type ReportV1,
  type Severity,
  type TensorStatus,
  type VerdictStatus,
} from '../report/types.ts';
import { bitField, classifyEdit } from './classify-edit.ts';
import { roleOf } from '../formats/model-loader.ts';
import { diffSidecars } from './sidecars/index.ts';
import { architectureFindings } from './architecture.ts';
import { isTokenRowTensor, tokenNamer } from './tokens.ts';
import { describePatterns } from './patterns.ts';
import type { FileHashResult, JobResult, PairTask, Side, TensorResult } from './job.ts';
import { auditAdapter, type AdapterPlan } from './adapter-audit.ts';

export interface AssembleInput {
  knownGood: ModelManifest;
  suspect: ModelManifest;
  pairs: readonly PairTask[];
  results: readonly JobResult[];
  /** Errors of whole jobs (a worker died) and files a job could not read to the end (with their side). */
  runErrors: readonly (ErrorInfo & { side?: Side })[];
  engine: 'cpu' | 'webgpu';
  toolVersion: string;
  startedAt: number;
  finishedAt: number;
  bytesRead: number;
  notes?: readonly string[];
  /** Adapter audit plan (adapter-audit.ts), when an adapter was given. */
  adapter?: AdapterPlan;
}

type Effect = 'malicious' | 'tampered' | 'inconclusive' | 'precision' | 'none';
interface DraftFinding extends Omit<Finding, 'id'> {
  effect: Effect;
}

const EFFECT_RANK: Record<Effect, number> = { malicious: 4, tampered: 3, inconclusive: 2, precision: 1, none: 0 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function buildCompareReport(input: AssembleInput): ReportV1 {
  const { knownGood, suspect } = input;
  const fileHashes = new Map<string, FileHashResult>();
  const tensorResults = new Map<string, TensorResult>();
  const notes = [...(input.notes ?? [])];
  for (const r of input.results) {
    for (const f of r.files) fileHashes.set(`${f.side}\u0000${f.path}`, f);
    for (const t of r.tensors) tensorResults.set(t.name, t);
    notes.push(...r.notes);
  }

  const drafts: DraftFinding[] = [];
  const problem = (side: Side, p: ErrorInfo): void => {
    drafts.push({
      severity: 'high',
      kind: 'parse-error',
      message: `${side === 'knownGood' ? 'Known-good' : 'Suspect'} file ${p.file ?? '?'} could not be read: ${p.message}`,
      ...(p.file === undefined ? {} : { file: p.file }),
      details: { side, code: p.code, ...(p.offset === undefined ? {} : { offset: p.offset }) },
      effect: 'inconclusive',
    });
  };
  for (const p of knownGood.problems) problem('knownGood', p);
  for (const p of suspect.problems) problem('suspect', p);
  // Files that could not be read to the end count as unreadable input of their side.
  const lateProblems: Record<Side, ErrorInfo[]> = { knownGood: [], suspect: [] };
  for (const e of input.runErrors) {
    const { side, ...info } = e;
    if (side) lateProblems[side].push(info);
    const who = side === 'knownGood' ? 'Known-good file' : side === 'suspect' ? 'Suspect file' : 'Analysis';
    const what = side ? `${who} ${e.file ?? '?'} could not be read to the end` : 'Analysis could not finish';
    drafts.push({ severity: 'high', kind: 'parse-error', message: `${what}: ${describeError(info)}`, ...(e.file === undefined ? {} : { file: e.file }), details: { code: e.code, ...(side ? { side } : {}) }, effect: 'inconclusive' });
  }

  drafts.push(...noticeFindings(knownGood, suspect));
  const semantic = diffSidecars(knownGood, suspect);
  for (const f of architectureFindings(knownGood, suspect)) {
    // "Not validated" remarks are notes, not findings: they say nothing about the suspect.
    if (f.effect === 'none' && f.severity === 'info') notes.push(f.message);
    else semantic.push(f);
  }
  drafts.push(...semantic);
  const semanticFiles = new Set(semantic.map((f) => f.file).filter((f): f is string => f !== undefined));
  const namers = { knownGood: tokenNamer(knownGood, knownGood.tokens), suspect: tokenNamer(suspect, suspect.tokens) };

  // ── tensors ────────────────────────────────────────────────────────────
  const tensors: ReportTensor[] = [];
  const counts: Record<TensorStatus, number> = { identical: 0, modified: 0, added: 0, removed: 0, 'shape-changed': 0, 'dtype-changed': 0, unverified: 0 };
  let tensorLevelChange = false;
  // A tensor "missing" from a side whose weight files could not all be read may just be unread.
  const unreadable = { knownGood: hasUnreadableWeights(knownGood), suspect: hasUnreadableWeights(suspect) };
  for (const pair of input.pairs) {
    const res = tensorResults.get(pair.name);
    const t = reportTensor(pair, res);
    if (t.delta && isTokenRowTensor(t.name)) {
      const namer = namers.suspect ?? namers.knownGood;
      if (namer) for (const row of t.delta.topRows) {
        const token = namer(row.index);
        if (token !== undefined) row.token = token;
      }
    }
    tensors.push(t);
    counts[t.status]++;
    if (t.status !== 'identical') tensorLevelChange = true;
    for (const f of tensorFindings(t, pair, res)) {
      if ((t.status === 'removed' && unreadable.suspect) || (t.status === 'added' && unreadable.knownGood)) {
        f.effect = 'inconclusive';
        f.severity = 'medium';
        f.message += ` — but ${t.status === 'removed' ? 'the suspect' : 'the known-good'} has weight files that could not be read, so it may simply be unread`;
      }
      drafts.push(f);
    }
  }

  // ── files ──────────────────────────────────────────────────────────────
  const reportFiles = (side: Side, m: ModelManifest): ReportFile[] =>
    m.files.map((f) => ({ path: f.path, size: f.size, sha256: fileHashes.get(`${side}\u0000${f.path}`)?.sha256 ?? null, format: f.format, role: f.role }));
  const kgFiles = reportFiles('knownGood', knownGood);
  const suFiles = reportFiles('suspect', suspect);
  // A file without a hash and without a recorded reason still may not pass silently.
  for (const [side, files] of [['knownGood', kgFiles], ['suspect', suFiles]] as const) {
    for (const f of files) {
      if (f.sha256 !== null) continue;
      const explained = input.runErrors.some((e) => e.file === f.path) || (side === 'knownGood' ? knownGood : suspect).problems.some((p) => p.file === f.path);
      if (!explained) {
        drafts.push({ severity: 'high', kind: 'parse-error', file: f.path, message: `${side === 'knownGood' ? 'Known-good' : 'Suspect'} file ${f.path} was not hashed (its job did not finish)`, details: { side }, effect: 'inconclusive' });
      }
    }
  }
  // Sidecars the semantic diff explained need no generic "file differs" finding.
  drafts.push(...fileFindings(knownGood.files, kgFiles, suspect.files, suFiles, tensorLevelChange).filter((f) => !(f.file !== undefined && semanticFiles.has(f.file) && SIDECAR_KINDS.has(f.kind))));

  // ── adapter audit (adapter-audit.ts): explained changes are marked, the verdict stays ──
  const adapterAudit = input.adapter ? auditAdapter(input.adapter, tensors, tensorResults) : undefined;
  if (adapterAudit) {
    drafts.push(...adapterAudit.drafts);
    adapterAudit.mark(drafts);
  }

  // ── verdict ────────────────────────────────────────────────────────────
  drafts.sort((x, y) => EFFECT_RANK[y.effect] - EFFECT_RANK[x.effect] || SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity]);
  const findings: Finding[] = drafts.map(({ effect: _e, ...f }, i) => ({ id: `F${i + 1}`, ...f }));
  const effects = drafts.map((d) => d.effect);
  const worst = effects.reduce<Effect>((w, e) => (EFFECT_RANK[e] > EFFECT_RANK[w] ? e : w), 'none');
  const status: VerdictStatus =
    worst === 'malicious' ? 'malicious-code' : worst === 'tampered' ? 'tampered' : worst === 'inconclusive' ? 'inconclusive' : worst === 'precision' ? 'benign-precision' : 'clean';
  const reasons = findings.filter((_, i) => drafts[i]?.effect === worst && worst !== 'none').map((f) => f.id);
  const verdict = { status, summary: verdictSummary(status, findings.filter((f) => reasons.includes(f.id)), counts, tensors.length), reasons };

  const report: ReportV1 = {
    schema: REPORT_SCHEMA_ID,
    generatedAt: new Date(input.finishedAt).toISOString(),
    tool: { name: 'model-sleuth', version: input.toolVersion, engine: input.engine },
    inputs: {
      knownGood: { label: knownGood.label, files: kgFiles, ...(knownGood.problems.length + lateProblems.knownGood.length ? { problems: [...knownGood.problems, ...lateProblems.knownGood] } : {}) },
      suspect: { label: suspect.label, files: suFiles, ...(suspect.problems.length + lateProblems.suspect.length ? { problems: [...suspect.problems, ...lateProblems.suspect] } : {}) },
    },
    tensors,
    findings,
    verdict,
    summary: { tensors: counts, filesCompared: kgFiles.length + suFiles.length, bytesRead: input.bytesRead, durationMs: input.finishedAt - input.startedAt },
  };
  const patterns = describePatterns(tensors);
  const kinds = new Set(findings.map((f) => f.kind));
  if (kinds.has('tokenizer-changed') || kinds.has('chat-template-changed')) {
    const parts = [kinds.has('tokenizer-changed') ? 'the tokenizer' : '', kinds.has('chat-template-changed') ? 'the chat template' : ''].filter(Boolean).join(' and ');
    patterns.push(`${parts[0]?.toUpperCase() ?? ''}${parts.slice(1)} changed${tensorLevelChange ? '' : ' while every weight is identical'}: tampering of the files shipped beside the weights.`);
  }
  if (adapterAudit) {
    report.adapter = adapterAudit.section;
    verdict.summary = adapterAudit.summary(status, verdict.summary);
    if (adapterAudit.pattern !== undefined) patterns.push(adapterAudit.pattern);
  }
  if (patterns.length) report.patterns = patterns;
  if (notes.length) report.notes = [...new Set(notes)];
  return report;
}

/**
 * Reader notices → findings. The verdict concerns the suspect: a critical pickle global there is
 * malicious code; a lesser non-allowlisted global or a high-severity structural anomaly leaves the
 * verdict inconclusive; an anomaly the known-good does not share (by key) is tampering. Notices of
 * the known-good are reported for the record without deciding the verdict.
 */
function noticeFindings(kg: ModelManifest, su: ModelManifest): DraftFinding[] {
  const out: DraftFinding[] = [];
  const kgKeys = new Set(kg.notices.map((n) => `${n.kind}\u0000${n.key}`));
  const suKeys = new Set(su.notices.map((n) => `${n.kind}\u0000${n.key}`));
  for (const n of su.notices) {
    const onlySuspect = !kgKeys.has(`${n.kind}\u0000${n.key}`);
    let effect: Effect = 'none';
    if (n.kind === 'unsafe-pickle-global') effect = n.severity === 'critical' ? 'malicious' : n.severity === 'high' ? 'inconclusive' : 'none';
    // Python that starts processes or opens connections runs on load (trust_remote_code), whatever
    // the known-good ships; custom code the known-good does not have is a change to the model.
    else if (n.kind === 'remote-code') effect = n.severity === 'critical' ? 'malicious' : onlySuspect ? 'tampered' : 'none';
    else if (n.kind === 'pickle-anomaly' || n.kind === 'zip-anomaly') effect = n.severity === 'critical' || n.severity === 'high' ? (onlySuspect ? 'tampered' : 'inconclusive') : 'none';
    else if (n.kind === 'weight-anomaly') effect = onlySuspect && n.severity !== 'info' && n.severity !== 'low' ? 'tampered' : 'none';
    out.push({
      severity: n.severity,
      kind: n.kind,
      message: `Suspect ${n.file}: ${n.message}${onlySuspect ? '' : ' (the known-good has the same)'}`,
      file: n.file,
      details: { side: 'suspect', key: n.key, onlyInSuspect: onlySuspect, ...(n.offset === undefined ? {} : { offset: n.offset }), ...(n.details ?? {}) },
      effect,
    });
  }
  for (const n of kg.notices) {
    if (suKeys.has(`${n.kind}\u0000${n.key}`)) continue;
    out.push({
      severity: n.severity === 'critical' ? 'high' : n.severity,
      kind: n.kind,
      message: `Known-good only, ${n.file}: ${n.message}`,
      file: n.file,
      details: { side: 'knownGood', key: n.key, ...(n.offset === undefined ? {} : { offset: n.offset }), ...(n.details ?? {}) },
      effect: 'none',
    });
  }
  return out;
}

function hasUnreadableWeights(m: ModelManifest): boolean {
  return m.problems.some((p) => p.file === undefined || ['weights', 'adapter-weights', 'index'].includes(roleOf(p.file)));
}

function sameShape(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

function reportTensor(pair: PairTask, res: TensorResult | undefined): ReportTensor {
  const { a, b } = pair;
  let status: TensorStatus;
  if (a && !b) status = 'removed';
  else if (!a && b) status = 'added';
  else if (a && b && !sameShape(a.shape, b.shape)) status = 'shape-changed';
  else if (a && b && a.dtype !== b.dtype) status = 'dtype-changed';
  else if (!res || res.error) status = 'unverified';
  else status = res.identical === true ? 'identical' : 'modified';

  const t: ReportTensor = {
    name: pair.name,
    status,
    dtype: { knownGood: a?.dtype ?? null, suspect: b?.dtype ?? null },
    shape: { knownGood: a ? [...a.shape] : null, suspect: b ? [...b.shape] : null },
    sha256: { knownGood: res?.a?.sha256 ?? null, suspect: res?.b?.sha256 ?? null },
    file: { knownGood: a?.file ?? null, suspect: b?.file ?? null },
  };
  if (res?.a?.stats || res?.b?.stats) t.stats = { knownGood: res.a?.stats ?? null, suspect: res.b?.stats ?? null };
  if (res?.error) t.notCompared = describeError(res.error);
  else if (res?.notCompared) t.notCompared = res.notCompared;
  if (a && b && res?.diff) t.delta = deltaReport(res, a, b);
  return t;
}

function deltaReport(res: TensorResult, a: TensorEntry, b: TensorEntry): DeltaReport {
  const diff = res.diff as NonNullable<TensorResult['diff']>;
  const s = diff.summary;
  const bucket = diff.rowBucket;
  const changedRows = diff.rows.slice(0, MAX_CHANGED_ROWS_LISTED).map((r) => r.index * bucket);
  const topRows = [...diff.rows]
    .sort((x, y) => y.l2 - x.l2 || x.index - y.index)
    .slice(0, TOP_ROWS)
    .map((r) => ({ index: r.index * bucket, l2: r.l2, changed: r.changed }));
  const sameDtype = a.dtype === b.dtype;
  const topElements = diff.top.map((e) => {
    const out: DeltaReport['topElements'][number] = { index: unravel(e.index, a.shape), knownGood: jsonNumber(e.a), suspect: jsonNumber(e.b) };
    if (sameDtype && e.aBits !== undefined && e.bBits !== undefined) {
      const bits: number[] = [];
      let x = e.aBits ^ e.bBits;
      let bit = 0;
      while (x > 0n) {
        if (x & 1n) bits.push(bit);
        x >>= 1n;
        bit++;
      }
      out.flippedBits = bits;
    }
    return out;
  });
  const delta: DeltaReport = {
    l2: finite(s.l2, Number.MAX_VALUE),
    relL2: finite(s.relL2, Number.MAX_VALUE),
    maxAbs: finite(s.maxAbs, Number.MAX_VALUE),
    cosine: finite(s.cosine, 0),
    changedCount: s.changedCount,
    changedFraction: s.changedFraction,
    changedRows,
    changedRowsTruncated: diff.rows.length > MAX_CHANGED_ROWS_LISTED,
    topRows,
    topElements,
    edit: classifyEdit({ diff, shape: a.shape, dtypeA: a.dtype, dtypeB: b.dtype }),
    nonFiniteChanged: s.nonFiniteChanged,
    deltaHistogram: diff.deltaHist,
  };
  if (!sameDtype) delta.precisionViolations = s.precisionViolations;
  if (bucket > 1) delta.rowBucket = bucket;
  if (diff.rank) {
    const { singularValues, energy, rowsSampled, colsSampled } = diff.rank;
    delta.spectrum = { singularValues: singularValues.map((x) => finite(x, 0)), energy, rowsSampled, colsSampled };
  }
  return delta;
}

function tensorFindings(t: ReportTensor, pair: PairTask, res: TensorResult | undefined): DraftFinding[] {
  const out: DraftFinding[] = [];
  const file = pair.b?.file ?? pair.a?.file;
  const base = { tensor: t.name, ...(file === undefined ? {} : { file }) };
  if (res?.error) {
    out.push({ ...base, severity: 'high', kind: 'parse-error', message: `Tensor ${t.name} could not be read: ${res.error.message}`, details: { code: res.error.code }, effect: 'inconclusive' });
    return out;
  }
  if (!res) {
    out.push({ ...base, severity: 'high', kind: 'tensor-not-compared', message: `Tensor ${t.name} was not analysed (its job did not finish)`, effect: 'inconclusive' });
    return out;
  }
  switch (t.status) {
    case 'identical':
      return out;
    case 'added':
      out.push({ ...base, severity: 'high', kind: 'tensor-added', message: `Tensor ${t.name} (${t.dtype.suspect} [${(t.shape.suspect ?? []).join(', ')}]) exists only in the suspect`, effect: 'tampered' });
      return out;
    case 'removed':
      out.push({ ...base, severity: 'high', kind: 'tensor-removed', message: `Tensor ${t.name} (${t.dtype.knownGood} [${(t.shape.knownGood ?? []).join(', ')}]) is missing from the suspect`, effect: 'tampered' });
      return out;
    case 'shape-changed':
      out.push({
        ...base,
        severity: 'high',
        kind: 'shape-changed',
        message: `Tensor ${t.name} changed shape from [${(t.shape.knownGood ?? []).join(', ')}] to [${(t.shape.suspect ?? []).join(', ')}]`,
        effect: 'tampered',
      });
      return out;
    default:
      break;
  }
  const d = t.delta;
  if (!d) {
    // Same dtype, bytes differ, values not decodable: tampering is certain, the kind is not.
    if (t.status === 'modified') {
      out.push({ ...base, severity: 'high', kind: 'tensor-modified', message: `Tensor ${t.name} (${t.dtype.suspect}) has different bytes; ${t.notCompared ?? 'values not compared'}`, effect: 'tampered' });
    } else {
      out.push({ ...base, severity: 'medium', kind: 'tensor-not-compared', message: `Tensor ${t.name} changed dtype ${t.dtype.knownGood} → ${t.dtype.suspect}; ${t.notCompared ?? 'values not compared'}`, effect: 'inconclusive' });
    }
    return out;
  }
  const details = { edit: d.edit.kind, changedCount: d.changedCount, changedFraction: d.changedFraction, relL2: d.relL2, maxAbs: d.maxAbs };
  if (t.status === 'dtype-changed') {
    if (d.edit.kind === 'identical') {
      // A widening cast (BF16 → F32, F16 → F32, …): every value is exactly the same.
      out.push({ ...base, severity: 'info', kind: 'dtype-changed', message: `Tensor ${t.name} was stored as ${t.dtype.suspect} instead of ${t.dtype.knownGood}; every value is exactly equal (a lossless cast)`, details, effect: 'precision' });
    } else if (d.edit.kind === 'precision') {
      out.push({ ...base, severity: 'info', kind: 'dtype-changed', message: `Tensor ${t.name} was cast ${t.dtype.knownGood} → ${t.dtype.suspect}; ${d.edit.explanation ?? 'within rounding'}`, details, effect: 'precision' });
    } else {
      out.push({
        ...base,
        severity: 'high',
        kind: 'dtype-changed',
        message: `Tensor ${t.name} was cast ${t.dtype.knownGood} → ${t.dtype.suspect} and changed beyond rounding: ${editWords(t, d)}`,
        details,
        effect: 'tampered',
      });
    }
    return out;
  }
  out.push({ ...base, severity: 'high', kind: 'tensor-modified', message: editWords(t, d), details, effect: 'tampered' });
  return out;
}

/** One sentence about a modified tensor, words first. */
export function editWords(t: ReportTensor, d: DeltaReport): string {
  const dtype = (t.dtype.suspect ?? t.dtype.knownGood ?? 'F32') as keyof typeof DTYPES;
  switch (d.edit.kind) {
    case 'sparse': {
      const bits = new Map<number, number>();
      for (const e of d.topElements) for (const b of e.flippedBits ?? []) bits.set(b, (bits.get(b) ?? 0) + 1);
      const bitWords = [...bits.keys()]
        .sort((x, y) => y - x)
        .map((b) => `${bitField(dtype, b)} bit ${b}`)
        .join(', ');
      const n = d.changedCount;
      return bitWords
        ? `${n} element${n === 1 ? '' : 's'} of ${t.name} had ${bitWords} flipped`
        : `${n} element${n === 1 ? '' : 's'} of ${t.name} changed (max |Δ| ${fmt(d.maxAbs)})`;
    }
    case 'rows': {
      const rows = d.changedRows;
      const tokens = new Map(d.topRows.filter((r) => r.token !== undefined).map((r) => [r.index, r.token as string] as const));
      // Token names come display-safe from the namer (control and invisible characters escaped).
      const named = (r: number): string => (tokens.has(r) ? `${r} '${tokens.get(r) ?? ''}'` : String(r));
      const list = rows.slice(0, 6).map(named).join(', ') + (rows.length > 6 ? ', …' : '');
      return `${rows.length} row${rows.length === 1 ? '' : 's'} of ${t.name} changed (row${rows.length === 1 ? '' : 's'} ${list})`;
    }
    case 'rank-1':
      return `${t.name} received a rank-1 update (relative L2 ${fmt(d.relL2)})`;
    case 'low-rank':
      return `${t.name} received a low-rank update (rank ≈ ${d.edit.rank ?? '?'}, relative L2 ${fmt(d.relL2)})`;
    case 'precision':
      return `${t.name} differs only by rounding`;
    default:
      return d.changedFraction >= 0.5
        ? `${t.name} changed throughout: ${(d.changedFraction * 100).toFixed(1)}% of elements, relative L2 ${fmt(d.relL2)}`
        : `${(d.changedFraction * 100).toFixed(1)}% of the elements of ${t.name} changed (${d.changedCount.toLocaleString('en-US')}), relative L2 ${fmt(d.relL2)}`;
  }
}

/** JSON has no Inf/NaN: sums that overflow f64 (values near 1e308) are written as the largest double. */
function finite(x: number, fallback: number): number {
  if (Number.isNaN(x)) return fallback;
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3);
}

const SIDECAR_KINDS: ReadonlySet<FindingKind> = new Set(['config-changed', 'tokenizer-changed', 'chat-template-changed']);

const SIDECAR_KIND: Partial<Record<ModelFile['role'], FindingKind>> = {
  config: 'config-changed',
  'generation-config': 'config-changed',
  tokenizer: 'tokenizer-changed',
  'tokenizer-config': 'tokenizer-changed',
  'special-tokens': 'tokenizer-changed',
  'chat-template': 'chat-template-changed',
  code: 'code-changed',
  'adapter-config': 'config-changed',
};

function fileFindings(kg: ModelFile[], kgR: ReportFile[], su: ModelFile[], suR: ReportFile[], tensorLevelChange: boolean): DraftFinding[] {
  const out: DraftFinding[] = [];
  const kgByPath = new Map(kg.map((f, i) => [f.path, { file: f, report: kgR[i] as ReportFile }] as const));
  const suByPath = new Map(su.map((f, i) => [f.path, { file: f, report: suR[i] as ReportFile }] as const));
  let weightBytesDiffer = false;
  const differingWeights: string[] = [];

  for (const [path, { file, report }] of suByPath) {
    const other = kgByPath.get(path);
    const sidecarKind = SIDECAR_KIND[file.role];
    if (!other) {
      if (sidecarKind) {
        out.push({ severity: file.role === 'code' ? 'high' : 'medium', kind: sidecarKind, file: path, message: `${path} exists only in the suspect`, details: { change: 'added', sha256: report.sha256 }, effect: 'tampered' });
      } else if (file.role === 'weights' || file.role === 'index') {
        weightBytesDiffer = true;
        differingWeights.push(path);
      } else if (file.role === 'adapter-weights') {
        out.push({ severity: 'medium', kind: 'file-added', file: path, message: `Adapter weights ${path} exist only in the suspect`, details: { sha256: report.sha256 }, effect: 'tampered' });
      } else {
        // Any other file of the model folder: the suspect ships something the known-good does not.
        out.push({ severity: 'medium', kind: 'file-added', file: path, message: `${path} exists only in the suspect`, details: { sha256: report.sha256, role: file.role }, effect: 'tampered' });
      }
      continue;
    }
    if (report.sha256 === null || other.report.sha256 === null || report.sha256 === other.report.sha256) continue;
    if (sidecarKind) {
      out.push({
        severity: file.role === 'config' || file.role === 'generation-config' ? 'medium' : 'high',
        kind: sidecarKind,
        file: path,
        message: `${path} differs between known-good and suspect`,
        details: { change: 'modified', knownGood: other.report.sha256, suspect: report.sha256 },
        effect: 'tampered',
      });
    } else if (file.role === 'weights' || file.role === 'index' || file.role === 'adapter-weights') {
      weightBytesDiffer = true;
      differingWeights.push(path);
      out.push({
        severity: 'info',
        kind: 'file-hash-mismatch',
        file: path,
        message: `${path}: SHA-256 differs (${other.report.sha256.slice(0, 12)}… → ${report.sha256.slice(0, 12)}…)`,
        details: { knownGood: other.report.sha256, suspect: report.sha256 },
        effect: file.role === 'adapter-weights' ? 'tampered' : 'none',
      });
    } else {
      // A file this version reads no further than its bytes: a different hash is a change.
      out.push({
        severity: 'medium',
        kind: 'file-hash-mismatch',
        file: path,
        message: `${path} differs between known-good and suspect (SHA-256 ${other.report.sha256.slice(0, 12)}… → ${report.sha256.slice(0, 12)}…)`,
        details: { knownGood: other.report.sha256, suspect: report.sha256, role: file.role },
        effect: 'tampered',
      });
    }
  }
  for (const [path, { file, report }] of kgByPath) {
    if (suByPath.has(path)) continue;
    const sidecarKind = SIDECAR_KIND[file.role];
    if (sidecarKind) {
      out.push({ severity: 'medium', kind: sidecarKind, file: path, message: `${path} is missing from the suspect`, details: { change: 'removed', sha256: report.sha256 }, effect: 'tampered' });
    } else if (file.role === 'weights' || file.role === 'index') {
      weightBytesDiffer = true;
      differingWeights.push(path);
    } else {
      // Missing from the suspect adds nothing a loader could run: recorded, not decisive.
      out.push({ severity: 'low', kind: 'file-removed', file: path, message: `${path} is missing from the suspect`, details: { sha256: report.sha256, role: file.role }, effect: 'none' });
    }
  }
  if (weightBytesDiffer && !tensorLevelChange) {
    out.push({
      severity: 'info',
      kind: 'reserialized',
      message: `Weight files differ (${differingWeights.slice(0, 4).join(', ')}${differingWeights.length > 4 ? ', …' : ''}) but every tensor is bit-identical: a re-serialization (other order, sharding or metadata), not a change to the weights`,
      details: { files: differingWeights },
      effect: 'none',
    });
  }
  return out;
}

function verdictSummary(status: VerdictStatus, reasons: Finding[], counts: Record<TensorStatus, number>, total: number): string {
  const first = reasons.slice(0, 3).map((f) => f.message);
  const more = reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : '';
  switch (status) {
    case 'clean':
      return `All ${total} tensors are bit-identical${total === 0 ? ' (no tensors found)' : ''}; no file beside the weights differs.`;
    case 'benign-precision':
      return `Only precision changes: ${counts['dtype-changed']} tensor${counts['dtype-changed'] === 1 ? ' was' : 's were'} cast to another dtype, every difference within rounding.`;
    case 'tampered':
      return `${first.join('; ')}${more}.`;
    case 'malicious-code':
      return `${first.join('; ')}${more}.`;
    default:
      return `Not everything could be verified: ${first.join('; ')}${more}.`;
  }
}
