/**
 * scan: one model, no known-good. Every file is hashed and validated, checkpoints' pickles go
 * through the policy, every tensor is hashed and measured, and what can be judged without a
 * baseline is judged: code in pickles (malicious-code), unreadable parts, chat-template hazards,
 * suspicious metadata strings, tensors the config does not imply, and sibling-layer outliers
 * (inconclusive: leads, not proof). Runs on the same runner/jobs as compare.
 */
import { SleuthError, describeError } from '../formats/errors.ts';
import type { ModelManifest, ReaderNotice } from '../formats/manifest.ts';
import { SCAN_SCHEMA_ID, type Finding, type ReportFile, type ScanReportV1, type ScanTensor, type Severity, type VerdictStatus } from '../report/types.ts';
import { validateArchitecture } from './architecture.ts';
import type { JobResult, PairTask } from './job.ts';
import { planJobs } from './plan.ts';
import type { AnalysisRunner } from './runner.ts';
import { modelTemplates, templateHazardFindings } from './sidecars/index.ts';
import { ANOMALY_Z, describeAnomaly, siblingAnomalies } from './weight-anomalies.ts';
import type { CompareProgress } from './compare.ts';

export interface ScanOptions {
  label?: string;
  toolVersion: string;
  onProgress?: (p: CompareProgress) => void;
  signal?: AbortSignal;
}

type Effect = 'malicious' | 'inconclusive' | 'none';
interface Draft extends Omit<Finding, 'id'> {
  effect: Effect;
}

const EMPTY: ModelManifest = { label: '', files: [], tensors: [], problems: [], metadata: {}, sidecars: [], notices: [] };

export async function scanModel(runner: AnalysisRunner, options: ScanOptions): Promise<ScanReportV1> {
  const startedAt = Date.now();
  const onAbort = (): void => runner.cancel();
  options.signal?.addEventListener('abort', onAbort);
  try {
    options.onProgress?.({ phase: 'headers', bytesDone: 0, bytesTotal: 0, rate: 0, jobsDone: 0, jobsTotal: 0 });
    const loaded = await runner.loadModel('suspect', options.label ?? 'model');
    if (!loaded.ok) throw new SleuthError(loaded.error.code, loaded.error.message, { ...(loaded.error.file === undefined ? {} : { file: loaded.error.file }) });
    const model = loaded.value;
    const pairs: PairTask[] = model.tensors.map((b) => ({ name: b.name, b }));
    const plan = planJobs(EMPTY, model, pairs, runner.concurrency);
    let bytesDone = 0;
    let jobsDone = 0;
    const t0 = Date.now();
    const results: JobResult[] = [];
    const runErrors: Draft[] = [];
    const queue = [...plan.jobs];
    const emit = (): void => {
      const elapsed = (Date.now() - t0) / 1000;
      const rate = elapsed > 0 ? bytesDone / elapsed : 0;
      options.onProgress?.({ phase: 'streaming', bytesDone, bytesTotal: plan.totalBytes, rate, jobsDone, jobsTotal: plan.jobs.length, ...(rate > 0 ? { etaSeconds: (plan.totalBytes - bytesDone) / rate } : {}) });
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(runner.concurrency, queue.length)) }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          if (options.signal?.aborted) throw new SleuthError('cancelled', 'The scan was cancelled');
          const out = await runner.runJob(job, (n) => {
            bytesDone += n;
            emit();
          });
          if (out.ok) results.push(out.value);
          else if (out.error.code === 'cancelled') throw new SleuthError('cancelled', 'The scan was cancelled');
          else runErrors.push({ severity: 'high', kind: 'parse-error', message: `Scan could not finish: ${describeError(out.error)}`, ...(out.error.file === undefined ? {} : { file: out.error.file }), effect: 'inconclusive' });
          jobsDone++;
          emit();
        }
      }),
    );
    return buildScanReport(model, results, runErrors, { engine: runner.engineKind(), toolVersion: options.toolVersion, startedAt, planMode: plan.mode });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Metadata strings that look like commands or remote resources (inert text, but a red flag). */
const SUSPICIOUS_TEXT = /\b(?:rm\s+-rf|chmod\s+[0-7]{3}|curl\s|wget\s|bash\s+-c|sh\s+-c|powershell|nc\s+-e|base64\s+-d|eval\(|exec\(|__import__|subprocess|os\.system)|https?:\/\//i;

function buildScanReport(model: ModelManifest, results: readonly JobResult[], runErrors: Draft[], meta: { engine: 'cpu' | 'webgpu'; toolVersion: string; startedAt: number; planMode: string }): ScanReportV1 {
  const fileHashes = new Map<string, string>();
  const tensorResults = new Map<string, JobResult['tensors'][number]>();
  const notes: string[] = [`Streaming plan: ${meta.planMode}`];
  for (const r of results) {
    for (const f of r.files) fileHashes.set(f.path, f.sha256);
    for (const t of r.tensors) tensorResults.set(t.name, t);
    notes.push(...r.notes);
  }
  const drafts: Draft[] = [...runErrors];
  for (const p of model.problems) {
    drafts.push({ severity: 'high', kind: 'parse-error', message: `${p.file ?? '?'} could not be read: ${p.message}`, ...(p.file === undefined ? {} : { file: p.file }), details: { code: p.code, ...(p.offset === undefined ? {} : { offset: p.offset }) }, effect: 'inconclusive' });
  }
  for (const n of model.notices) drafts.push(noticeDraft(n));

  // Chat templates: hazards only (fixed prompt text is normal when there is no baseline).
  for (const t of modelTemplates(model.sidecars)) {
    for (const f of templateHazardFindings(t.name, t.file, t.template, undefined)) {
      if ((f.details as { change?: string } | undefined)?.change === 'template-text') continue;
      drafts.push({ ...f, effect: f.severity === 'critical' || f.severity === 'high' ? 'inconclusive' : 'none' });
    }
  }
  // Format metadata with command-like or URL text (e.g. safetensors __metadata__).
  for (const [file, md] of Object.entries(model.metadata)) {
    for (const [key, value] of Object.entries(md)) {
      if (SUSPICIOUS_TEXT.test(value) || SUSPICIOUS_TEXT.test(key)) {
        drafts.push({ severity: 'medium', kind: 'weight-anomaly', file, message: `${file}: metadata "${key.slice(0, 80)}" holds command-like or remote text: ${JSON.stringify(value.slice(0, 160))}`, details: { key, value: value.slice(0, 2000) }, effect: 'inconclusive' });
      }
    }
  }
  const arch = validateArchitecture(model);
  if (arch.status === 'validated') {
    for (const a of arch.anomalies) {
      drafts.push({ severity: 'medium', kind: 'weight-anomaly', file: arch.configFile ?? '', message: `Architecture: ${a.words}`, details: { key: a.key, type: a.type, ...(a.tensor === undefined ? {} : { tensor: a.tensor }) }, effect: 'inconclusive', ...(a.tensor === undefined ? {} : { tensor: a.tensor }) });
    }
  }
  notes.push(arch.note);

  const tensors: ScanTensor[] = model.tensors.map((t) => {
    const r = tensorResults.get(t.name);
    const out: ScanTensor = { name: t.name, dtype: t.dtype, shape: [...t.shape], file: t.file, sha256: r?.b?.sha256 ?? null };
    if (r?.b?.stats) out.stats = r.b.stats;
    if (r?.error) out.notAnalysed = describeError(r.error);
    else if (!r) out.notAnalysed = 'not analysed (its job did not finish)';
    else if (!r.b?.stats) out.notAnalysed = `${t.dtype} values are not decoded by this version; hashed only`;
    return out;
  });
  const anomalies = siblingAnomalies(tensors.filter((t): t is ScanTensor & { stats: NonNullable<ScanTensor['stats']> } => t.stats !== undefined));
  const byName = new Map(tensors.map((t) => [t.name, t] as const));
  for (const a of anomalies) {
    const t = byName.get(a.name);
    if (t) t.anomaly = { score: Math.round(a.score * 10) / 10, metric: a.metric, group: a.group };
    if (a.score >= ANOMALY_Z) drafts.push({ severity: 'medium', kind: 'weight-anomaly', tensor: a.name, file: t?.file ?? '', message: describeAnomaly(a), details: { ...a }, effect: 'inconclusive' });
  }
  for (const t of tensors) {
    if (t.notAnalysed !== undefined && t.sha256 === null) drafts.push({ severity: 'high', kind: 'parse-error', tensor: t.name, file: t.file, message: `Tensor ${t.name}: ${t.notAnalysed}`, effect: 'inconclusive' });
  }

  const rank: Record<Effect, number> = { malicious: 2, inconclusive: 1, none: 0 };
  const sev: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  drafts.sort((x, y) => rank[y.effect] - rank[x.effect] || sev[y.severity] - sev[x.severity]);
  const findings: Finding[] = drafts.map(({ effect: _e, ...f }, i) => ({ id: `F${i + 1}`, ...f }));
  const worst = drafts.reduce<Effect>((w, d) => (rank[d.effect] > rank[w] ? d.effect : w), 'none');
  const status: VerdictStatus = worst === 'malicious' ? 'malicious-code' : worst === 'inconclusive' ? 'inconclusive' : 'clean';
  const reasons = findings.filter((_, i) => drafts[i]?.effect === worst && worst !== 'none');
  const summary =
    status === 'clean'
      ? `${tensors.length} tensors in ${model.files.length} files read and measured; no code in pickles, no unreadable part, nothing that stands out.`
      : `${reasons
          .slice(0, 3)
          .map((f) => f.message)
          .join('; ')}${reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : ''}.`;
  const files: ReportFile[] = model.files.map((f) => ({ path: f.path, size: f.size, sha256: fileHashes.get(f.path) ?? null, format: f.format, role: f.role }));
  const finishedAt = Date.now();
  return {
    schema: SCAN_SCHEMA_ID,
    generatedAt: new Date(finishedAt).toISOString(),
    tool: { name: 'model-sleuth', version: meta.toolVersion, engine: meta.engine },
    input: { label: model.label, files, ...(model.problems.length ? { problems: model.problems } : {}) },
    tensors,
    findings,
    verdict: { status, summary, reasons: reasons.map((f) => f.id) },
    summary: { tensors: tensors.length, bytesRead: results.reduce((s, r) => s + r.bytesRead, 0), durationMs: finishedAt - meta.startedAt },
    notes: [...new Set(notes)],
  };
}

function noticeDraft(n: ReaderNotice): Draft {
  let effect: Effect = 'none';
  if (n.kind === 'unsafe-pickle-global' || n.kind === 'remote-code') effect = n.severity === 'critical' ? 'malicious' : n.severity === 'high' ? 'inconclusive' : 'none';
  else if (n.severity === 'critical' || n.severity === 'high') effect = 'inconclusive';
  else if (n.kind === 'weight-anomaly' && n.severity === 'medium') effect = 'inconclusive';
  return { severity: n.severity, kind: n.kind, message: n.kind === 'remote-code' ? `${n.file}: ${n.message}` : n.message, file: n.file, details: { key: n.key, ...(n.offset === undefined ? {} : { offset: n.offset }), ...(n.details ?? {}) }, effect };
}
