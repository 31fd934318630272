/**
 * The case file's state in the workbench: the case store, the open case (a snapshot of everything
 * recorded), the panel shown, and every action on the case. Watches the comparison workbench: a
 * comparison finished while a case is open is recorded (its report and the files' evidence items,
 * in one transaction); files dropped again are re-verified against the recorded hashes.
 *
 * Storage failures are a normal path: a quota error leaves everything recorded before in
 * IndexedDB; the change that failed is kept in memory (applied to the snapshot with its custody
 * events, computed the same way) and the banner offers an export of the whole case, so nothing the
 * user did is lost.
 */
import { untrack } from 'svelte';
import { CaseStore, requestPersistentStorage, type CaseSnapshotData, type CaseSummary, type NewEvidence } from '../../lib/evidence/case-store.ts';
import { sequenceId, type AnalysisRecord, type CaseRecord, type CaseRole, type ChecklistItemState, type ChecklistState, type EvidenceItem, type EvidenceSide } from '../../lib/evidence/case-model.ts';
import { autoChecklist, mergeAutoChecklist } from '../../lib/evidence/checklists.ts';
import { headOf, nextCustodyEvent, verifyCustodyChain, type ChainVerification, type CustodyEventInput } from '../../lib/evidence/custody-log.ts';
import { EvidenceError } from '../../lib/evidence/errors.ts';
import { formatChecksums } from '../../lib/evidence/manifests/sha256sum.ts';
import { readVerificationKey, type VerificationKey } from '../../lib/evidence/manifests/signature.ts';
import { attachTensors, verifyModelAgainstManifest, type ManifestVerification } from '../../lib/evidence/manifests/verify-model.ts';
import { assessProvenance, emptyProvenanceChain, type CompromiseAssessment, type ProvenanceStep } from '../../lib/evidence/provenance.ts';
import { sha256Hex } from '../../lib/evidence/sha256-sync.ts';
import { isModelRelatedPath, loadModel } from '../../lib/formats/model-loader.ts';
import { BlobSource } from '../../lib/io/byte-source.ts';
import { caseToSarif } from '../../lib/report/sarif.ts';
import type { ImportedDocument } from '../../lib/report/import-verdict.ts';
import { sealDocument, type ReportSigner } from '../../lib/report/case-integrity.ts';
import { renderCaseHtml } from '../../lib/report/case-render-html.ts';
import { renderCaseMarkdown } from '../../lib/report/case-render-markdown.ts';
import { buildCaseReport, buildCustodyExport, serialiseDocument } from '../../lib/report/case-report.ts';
import type { CaseReportV1 } from '../../lib/report/case-types.ts';
import { renderHtmlReport } from '../../lib/report/render-html.ts';
import type { ReportV1 } from '../../lib/report/types.ts';
import { TOOL_VERSION } from '../../lib/version.ts';
import { hashBlob } from '../case/browser-hash.ts';
import { evidenceRoleOf, type LocalPick } from '../case/evidence-files.ts';
import { downloadText } from '../util/download.ts';
import type { PickedFile } from '../input/collect-files.ts';
import type { Workbench } from './workbench.svelte.ts';

export type CaseTab = 'compare' | 'cases' | 'overview' | 'evidence' | 'custody' | 'checklists' | 'provenance' | 'manifests' | 'reports' | 'import';

export interface ReverifyResult {
  evidenceId: string;
  name: string;
  side: EvidenceSide;
  result: 'match' | 'mismatch' | 'error';
  recorded: string;
  computed?: string;
  message?: string;
}

export interface FileMatch {
  name: string;
  result: 'match' | 'mismatch' | 'unknown';
  expected?: string;
  computed: string;
}

const ANALYST_KEY = 'model-sleuth.analyst';
const SIGN_KEY = 'model-sleuth.sign-exports';

function storedText(key: string, fallback: string): string {
  try {
    return localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

function storeText(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private modes may refuse; the value then lives for this session only.
  }
}

export class CaseState {
  tab = $state<CaseTab>('compare');
  cases = $state.raw<CaseSummary[]>([]);
  /** The open case: everything recorded (plus unsaved changes after a storage failure). */
  snap = $state.raw<CaseSnapshotData | undefined>(undefined);
  analyst = $state(storedText(ANALYST_KEY, ''));
  signExports = $state(storedText(SIGN_KEY, 'false') === 'true');
  keyFingerprint = $state<string | undefined>(undefined);
  persistence = $state<'persisted' | 'denied' | 'unsupported' | 'unknown'>('unknown');
  storeProblem = $state<string | undefined>(undefined);
  /** A quota (or other storage) failure and what was not saved. */
  unsaved = $state.raw<string[]>([]);
  failure = $state<string | undefined>(undefined);
  notice = $state<string | undefined>(undefined);
  busy = $state<string | undefined>(undefined);
  reverified = $state.raw<ReverifyResult[]>([]);
  chain = $state.raw<ChainVerification | undefined>(undefined);
  /** The comparison shown in the workbench that is not (yet) part of the open case. */
  pendingReport = $state.raw<ReportV1 | undefined>(undefined);
  lastManifest = $state.raw<ManifestVerification | undefined>(undefined);
  manifestProgress = $state<{ done: number; total: number } | undefined>(undefined);
  imported = $state.raw<ImportedDocument | undefined>(undefined);
  importFileMatches = $state.raw<FileMatch[]>([]);

  readonly open = $derived(this.snap !== undefined);
  readonly record = $derived(this.snap?.record);
  readonly assessment = $derived.by((): CompromiseAssessment | undefined => (this.snap ? assessProvenance(this.snap.provenance ?? emptyProvenanceChain()) : undefined));

  private store: CaseStore | undefined;
  private readonly ready: Promise<void>;
  /** Reports already handled (recorded, loaded from the case, or imported): never recorded again. */
  private readonly seenReports = new WeakSet<ReportV1>();
  private seenFiles = new WeakSet<readonly PickedFile[]>();

  constructor(private readonly wb: Workbench) {
    this.ready = this.init();
    // A comparison that finishes while a case is open becomes part of it.
    $effect(() => {
      const report = wb.report;
      const done = wb.phase === 'done';
      if (report && done) untrack(() => void this.onReport(report));
    });
    // Files given again to a side are re-verified against the evidence recorded for that side.
    $effect(() => {
      const kg = wb.knownGood.files;
      const su = wb.suspect.files;
      untrack(() => {
        void this.onFiles('known-good', kg);
        void this.onFiles('suspect', su);
      });
    });
  }

  private async init(): Promise<void> {
    try {
      this.store = await CaseStore.open();
      this.cases = await this.store.listCases();
      const key = await this.store.getAnalystKey();
      if (key) this.keyFingerprint = key.fingerprint;
      if (typeof navigator !== 'undefined' && navigator.storage?.persisted) this.persistence = (await navigator.storage.persisted()) ? 'persisted' : 'unknown';
    } catch (e) {
      this.storeProblem = e instanceof Error ? e.message : String(e);
    }
  }

  private async requireStore(): Promise<CaseStore> {
    await this.ready;
    if (!this.store) throw new EvidenceError('store_unavailable', this.storeProblem ?? 'The case store is not available');
    return this.store;
  }

  get actor(): string {
    return this.analyst.trim() || 'analyst';
  }

  setAnalyst(name: string): void {
    this.analyst = name;
    storeText(ANALYST_KEY, name.trim());
  }

  setSignExports(on: boolean): void {
    this.signExports = on;
    storeText(SIGN_KEY, String(on));
  }

  show(tab: CaseTab): void {
    this.tab = tab;
    this.failure = undefined;
  }

  /**
   * After a storage failure the page holds changes the store does not: until the case is exported
   * and the page reloaded, the store is not written again (its custody chain and the page's would
   * part ways); exports still work, from the page's copy.
   */
  get rescueMode(): boolean {
    return this.unsaved.length > 0;
  }

  /** Runs an action; storage failures become the banner, and the change is kept by `keep` (in memory). */
  private async act<T>(what: string, fn: () => Promise<T>, keep?: () => void, options: { inRescue?: boolean } = {}): Promise<T | undefined> {
    this.failure = undefined;
    if (this.rescueMode && !options.inRescue) {
      this.failure = `Not recorded: ${what}. Storing failed earlier, so this page is in rescue mode — export the case (it includes everything on this page), then reload to continue from what is stored.`;
      return undefined;
    }
    this.busy = what;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof EvidenceError && (e.code === 'store_quota' || e.code === 'store_failed')) {
        keep?.();
        this.unsaved = [...this.unsaved, what];
      }
      this.failure = e instanceof Error ? e.message : String(e);
      return undefined;
    } finally {
      this.busy = undefined;
    }
  }

  async refreshList(): Promise<void> {
    const store = await this.requireStore().catch(() => undefined);
    if (store) this.cases = await store.listCases();
  }

  private async reload(): Promise<void> {
    const store = await this.requireStore();
    if (!this.snap || this.rescueMode) return;
    this.snap = await store.loadCase(this.snap.record.id);
    this.cases = await store.listCases();
  }

  // ── cases ─────────────────────────────────────────────────────────────────

  async createCase(title: string, roles: Partial<Record<CaseRole, string>>, summary: string): Promise<void> {
    await this.act('the new case', async () => {
      const store = await this.requireStore();
      void requestPersistentStorage().then((p) => (this.persistence = p));
      const rec = await store.createCase({ title, roles, ...(summary.trim() ? { summary: summary.trim() } : {}) }, this.actor);
      await this.openCase(rec.id);
      // The comparison on screen, made before the case existed, can join it from the Overview tab.
      this.tab = 'overview';
    });
  }

  async openCase(id: string): Promise<void> {
    await this.act('opening the case', async () => {
      const store = await this.requireStore();
      this.snap = await store.loadCase(id);
      this.unsaved = [];
      this.reverified = [];
      this.chain = undefined;
      this.lastManifest = undefined;
      this.cases = await store.listCases();
      const latest = this.snap.analyses[this.snap.analyses.length - 1];
      if (latest) this.showReport(latest.report);
      else if (this.wb.report && !this.seenReports.has(this.wb.report)) this.pendingReport = this.wb.report;
      this.tab = 'overview';
      try {
        const url = new URL(location.href);
        url.searchParams.set('case', id);
        history.replaceState(null, '', url);
      } catch {
        // Not essential: the case list reopens it too.
      }
    });
  }

  closeCase(): void {
    this.snap = undefined;
    this.unsaved = [];
    this.reverified = [];
    this.chain = undefined;
    this.tab = 'compare';
    try {
      const url = new URL(location.href);
      url.searchParams.delete('case');
      history.replaceState(null, '', url);
    } catch {
      // ignore
    }
  }

  /** Reopens the case named in the URL (?case=AI-IR-…) after a reload. */
  async restoreFromUrl(): Promise<void> {
    await this.ready;
    const id = new URLSearchParams(location.search).get('case');
    if (id && this.store) await this.openCase(id);
  }

  async updateCase(patch: { title?: string; roles?: Partial<Record<CaseRole, string>>; summary?: string; status?: CaseRecord['status'] }): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    await this.act('the case details', async () => {
      await (await this.requireStore()).updateCase(snap.record.id, patch, this.actor);
      await this.reload();
    });
  }

  /** Shows a stored or imported comparison report in the comparison view, without recording it. */
  showReport(report: ReportV1): void {
    this.seenReports.add(report);
    this.wb.report = report;
    this.wb.phase = 'done';
    this.wb.stale = false;
    const first = report.tensors.find((t) => t.status !== 'identical')?.name;
    this.wb.select(first);
  }

  // ── evidence ──────────────────────────────────────────────────────────────

  private evidenceFromReport(report: ReportV1): NewEvidence[] {
    const out: NewEvidence[] = [];
    for (const [side, sideKey, input] of [
      ['known-good', 'knownGood', this.wb.knownGood],
      ['suspect', 'suspect', this.wb.suspect],
    ] as const) {
      for (const f of report.inputs[sideKey].files) {
        if (f.sha256 === null) continue;
        const picked = input.files.find((p) => p.path === f.path);
        out.push({ name: f.path, size: f.size, sha256: f.sha256, role: evidenceRoleOf(f.path, f.role), side, provenance: {}, ...(picked ? { lastModified: picked.file.lastModified } : {}) });
      }
    }
    return out;
  }

  private async onReport(report: ReportV1): Promise<void> {
    if (this.seenReports.has(report)) return;
    this.seenReports.add(report);
    if (!this.snap) {
      this.pendingReport = report;
      return;
    }
    await this.recordAnalysis(report);
  }

  /** Adds the comparison on screen (made before the case was opened) to the case. */
  async addPendingReport(): Promise<void> {
    const r = this.pendingReport;
    if (!r || !this.snap) return;
    this.pendingReport = undefined;
    await this.recordAnalysis(r);
  }

  private async recordAnalysis(report: ReportV1): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const evidence = this.evidenceFromReport(report);
    await this.act(
      `the comparison ${report.inputs.knownGood.label} vs ${report.inputs.suspect.label}`,
      async () => {
        await (await this.requireStore()).recordAnalysis(snap.record.id, report, evidence, this.actor);
        await this.reload();
        this.notice = `Comparison recorded in ${snap.record.id}: ${report.verdict.status}.`;
        await this.autoFillChecklist();
      },
      () => this.keepAnalysisInMemory(report, evidence),
    );
  }

  /** After a storage failure: the analysis, its evidence and its custody events, applied to the snapshot only. */
  private keepAnalysisInMemory(report: ReportV1, evidence: readonly NewEvidence[]): void {
    const snap = this.snap;
    if (!snap) return;
    const at = new Date().toISOString();
    const items = [...snap.evidence];
    const added: EvidenceItem[] = [];
    for (const e of evidence) {
      if (items.some((x) => x.side === e.side && x.name === e.name && x.sha256 === e.sha256)) continue;
      const item: EvidenceItem = { ...e, caseId: snap.record.id, id: sequenceId('E', items.length + 1), addedAt: at, verifications: [] };
      items.push(item);
      added.push(item);
    }
    const analysis: AnalysisRecord = { caseId: snap.record.id, id: sequenceId('A', snap.analyses.length + 1), createdAt: at, kind: 'compare', report, verdict: report.verdict.status, summary: report.verdict.summary };
    const inputs: CustodyEventInput[] = [
      ...added.map((e) => ({ type: 'evidence-added' as const, summary: `${e.id} ${e.name} (${e.side}, ${e.role}) SHA-256 ${e.sha256.slice(0, 16)}… [not saved: storage full]`, actor: this.actor, at, data: { evidence: e.id, sha256: e.sha256 } })),
      { type: 'analysis-run', summary: `${analysis.id}: ${report.verdict.status.toUpperCase()} [not saved: storage full]`, actor: this.actor, at, data: { analysis: analysis.id, verdict: report.verdict.status } },
    ];
    this.snap = { ...this.appendInMemory(snap, inputs), evidence: items, analyses: [...snap.analyses, analysis] };
  }

  private appendInMemory(snap: CaseSnapshotData, inputs: readonly CustodyEventInput[]): CaseSnapshotData {
    const custody = [...snap.custody];
    for (const input of inputs) custody.push(nextCustodyEvent(snap.record.id, headOf(custody), input));
    return { ...snap, custody, record: { ...snap.record, custodyHead: headOf(custody), updatedAt: custody[custody.length - 1]?.at ?? snap.record.updatedAt } };
  }

  async addEvidenceFiles(picks: readonly LocalPick[], side: EvidenceSide, provenance: EvidenceItem['provenance']): Promise<void> {
    const snap = this.snap;
    if (!snap || picks.length === 0) return;
    await this.act(`${picks.length} evidence file${picks.length === 1 ? '' : 's'}`, async () => {
      const items: NewEvidence[] = [];
      let done = 0;
      for (const p of picks) {
        this.busy = `hashing ${p.path} (${++done} of ${picks.length})`;
        items.push({ name: p.path, size: p.file.size, lastModified: p.file.lastModified, sha256: await hashBlob(p.file), role: evidenceRoleOf(p.path), side, provenance });
      }
      await (await this.requireStore()).addEvidence(snap.record.id, items, this.actor);
      await this.reload();
      await this.autoFillChecklist();
    });
  }

  async updateEvidence(id: string, patch: Partial<Pick<EvidenceItem, 'role' | 'side' | 'provenance'>>): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    await this.act(`the details of ${id}`, async () => {
      await (await this.requireStore()).updateEvidence(snap.record.id, id, patch, this.actor);
      await this.reload();
    });
  }

  private async onFiles(side: 'known-good' | 'suspect', files: readonly PickedFile[]): Promise<void> {
    if (this.seenFiles.has(files)) return;
    this.seenFiles.add(files);
    await this.ready;
    const snap = this.snap;
    if (!snap || files.length === 0) return;
    const recorded = files.map((f) => ({ f, ev: [...snap.evidence].reverse().find((e) => e.side === side && e.name === f.path) })).filter((x): x is { f: PickedFile; ev: EvidenceItem } => x.ev !== undefined);
    if (recorded.length === 0) return;
    await this.reverify(recorded.map(({ f, ev }) => ({ file: f.file, evidence: ev })));
  }

  /** Re-verifies files against recorded evidence items (hash now, compare, record the result). */
  async reverify(pairs: readonly { file: File; evidence: EvidenceItem }[]): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const results: ReverifyResult[] = [];
    await this.act('the re-verification', async () => {
      const store = await this.requireStore();
      for (const [i, { file, evidence }] of pairs.entries()) {
        this.busy = `re-verifying ${evidence.name} (${i + 1} of ${pairs.length})`;
        try {
          const computed = await hashBlob(file);
          await store.recordReverification(snap.record.id, evidence.id, computed, this.actor);
          results.push({ evidenceId: evidence.id, name: evidence.name, side: evidence.side, result: computed === evidence.sha256 ? 'match' : 'mismatch', recorded: evidence.sha256, computed });
        } catch (e) {
          results.push({ evidenceId: evidence.id, name: evidence.name, side: evidence.side, result: 'error', recorded: evidence.sha256, message: e instanceof Error ? e.message : String(e) });
        }
      }
      this.reverified = results;
      await this.reload();
    });
  }

  // ── custody ───────────────────────────────────────────────────────────────

  verifyChain(): void {
    const snap = this.snap;
    if (!snap) return;
    this.chain = verifyCustodyChain(snap.custody, { caseId: snap.record.id, expectedHead: snap.record.custodyHead });
  }

  async addNote(text: string): Promise<void> {
    const snap = this.snap;
    if (!snap || !text.trim()) return;
    const input: CustodyEventInput = { type: 'note', summary: text.trim(), actor: this.actor };
    await this.act(
      'the note',
      async () => {
        await (await this.requireStore()).logEvent(snap.record.id, input);
        await this.reload();
      },
      () => (this.snap = this.appendInMemory(snap, [{ ...input, summary: `${input.summary} [not saved: storage full]` }])),
    );
  }

  // ── checklists ────────────────────────────────────────────────────────────

  async setChecklistItem(id: string, state: ChecklistState, note?: string): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const cur = snap.checklist[id];
    const item: ChecklistItemState = { state, source: 'manual', updatedAt: new Date().toISOString(), updatedBy: this.actor, ...(note !== undefined ? (note ? { note } : {}) : cur?.note ? { note: cur.note } : {}), ...(cur?.reason && cur.source === 'auto' && state === cur.state ? { reason: cur.reason } : {}) };
    const items = { ...snap.checklist, [id]: item };
    const changes = cur?.state === state ? [] : [{ id, from: cur?.state ?? 'open', to: state, source: 'manual' as const }];
    const noteChanged = note !== undefined && note !== (cur?.note ?? '');
    await this.act(
      'the checklist',
      async () => {
        const store = await this.requireStore();
        await store.setChecklist(snap.record.id, items, noteChanged && changes.length === 0 ? [{ id, from: 'note', to: 'note changed', source: 'manual' }] : changes, this.actor);
        await this.reload();
      },
      () => (this.snap = { ...snap, checklist: items }),
    );
  }

  async autoFillChecklist(): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const latest = snap.analyses[snap.analyses.length - 1]?.report;
    const steps = snap.provenance;
    const auto = autoChecklist({
      ...(latest ? { report: latest } : {}),
      manifestChecks: snap.manifestChecks.map((m) => m.result),
      ...(steps ? { assessment: assessProvenance(steps) } : {}),
      custody: verifyCustodyChain(snap.custody, { caseId: snap.record.id, expectedHead: snap.record.custodyHead }),
      evidenceCount: snap.evidence.length,
    });
    const { items, changed } = mergeAutoChecklist(snap.checklist, auto, new Date().toISOString());
    const same = JSON.stringify(items) === JSON.stringify(snap.checklist);
    if (same) return;
    const changes = changed.map((id) => ({ id, from: snap.checklist[id]?.state ?? 'open', to: items[id]?.state ?? 'open', source: 'auto' as const }));
    await this.act(
      'the checklist',
      async () => {
        await (await this.requireStore()).setChecklist(snap.record.id, items, changes, this.actor);
        await this.reload();
      },
      () => (this.snap = { ...snap, checklist: items }),
    );
  }

  // ── provenance ────────────────────────────────────────────────────────────

  async saveProvenance(steps: ProvenanceStep[]): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const a = assessProvenance(steps);
    await this.act(
      'the provenance chain',
      async () => {
        await (await this.requireStore()).setProvenance(snap.record.id, steps, `Provenance chain saved: ${a.headline}`, this.actor);
        await this.reload();
        await this.autoFillChecklist();
      },
      () => (this.snap = { ...snap, provenance: steps }),
    );
  }

  // ── manifests ─────────────────────────────────────────────────────────────

  async verifyManifest(manifest: File, keyFile: File | undefined, picks: readonly LocalPick[]): Promise<void> {
    this.lastManifest = undefined;
    await this.act(`the verification against ${manifest.name}`, async () => {
      let key: VerificationKey | undefined;
      if (keyFile) key = readVerificationKey(new Uint8Array(await keyFile.arrayBuffer()));
      const byPath = new Map(picks.map((p) => [p.path, p.file]));
      this.busy = `verifying against ${manifest.name}`;
      const result = await verifyModelAgainstManifest({
        manifestName: manifest.name,
        manifestText: await manifest.text(),
        files: picks.map((p) => ({ path: p.path, size: p.file.size })),
        ...(key ? { key } : {}),
        ignore: [manifest.name, ...(keyFile ? [keyFile.name] : [])],
        concurrency: 4,
        hash: (path, range) => {
          const f = byPath.get(path);
          if (!f) return Promise.reject(new Error('not among the files given'));
          return hashBlob(f, range);
        },
        onProgress: (done, total) => (this.manifestProgress = { done, total }),
      });
      this.manifestProgress = undefined;
      if (result.items.some((i) => i.status === 'failed')) {
        this.busy = 'reading the model’s headers for the drill-down to tensors';
        const modelPicks = picks.filter((p) => isModelRelatedPath(p.path));
        try {
          const model = await loadModel(manifest.name, modelPicks.map((p) => new BlobSource(p.path, p.file)));
          // With a comparison in the case, its known-good tensor hashes single out the changed tensors.
          const latest = this.snap?.analyses[this.snap.analyses.length - 1]?.report;
          const refs = latest ? new Map(latest.tensors.filter((t) => t.sha256.knownGood !== null).map((t) => [t.name, t.sha256.knownGood ?? ''])) : undefined;
          await attachTensors(result, model, new Map(picks.map((p) => [p.path, p.file.size])), {
            ...(refs && refs.size > 0 ? { referenceTensorHashes: refs } : {}),
            hashTensor: (t) => {
              const f = byPath.get(t.file);
              return f ? hashBlob(f, [t.byteOffset, t.byteOffset + t.byteLength]) : Promise.reject(new Error('no file'));
            },
          });
        } catch (e) {
          result.warnings.push(`The model's headers could not be read for the drill-down to tensors: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      this.lastManifest = result;
      const snap = this.snap;
      if (snap) {
        await this.act(
          `the result of ${manifest.name}`,
          async () => {
            await (await this.requireStore()).recordManifestCheck(snap.record.id, result, this.actor);
            await this.reload();
            await this.autoFillChecklist();
          },
          () => (this.snap = { ...this.appendInMemory(snap, [{ type: 'manifest-verified', summary: `${manifest.name}: ${result.verdict} [not saved: storage full]`, actor: this.actor }]), manifestChecks: [...snap.manifestChecks, { caseId: snap.record.id, id: sequenceId('M', snap.manifestChecks.length + 1), createdAt: result.checkedAt, result }] }),
        );
      }
    });
    this.manifestProgress = undefined;
  }

  // ── reports ───────────────────────────────────────────────────────────────

  private async signer(): Promise<ReportSigner | undefined> {
    if (!this.signExports) return undefined;
    const store = await this.requireStore();
    const key = (await store.getAnalystKey()) ?? (await store.createAnalystKey(async (k) => sha256Hex(new Uint8Array(await crypto.subtle.exportKey('spki', k)))));
    this.keyFingerprint = key.fingerprint;
    return { privateKey: key.privateKey, publicKey: key.publicKey, ...(this.analyst.trim() ? { name: this.analyst.trim() } : {}) };
  }

  async createKey(): Promise<void> {
    await this.act('the signing key', async () => {
      const store = await this.requireStore();
      const key = (await store.getAnalystKey()) ?? (await store.createAnalystKey(async (k) => sha256Hex(new Uint8Array(await crypto.subtle.exportKey('spki', k)))));
      this.keyFingerprint = key.fingerprint;
    });
  }

  /** Logs the export in the custody log first, so the exported log includes it. */
  private async logExport(what: string, file: string): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const input: CustodyEventInput = { type: 'report-exported', summary: `Exported ${what} as ${file}`, actor: this.actor, data: { file, format: what } };
    if (this.rescueMode) {
      this.snap = this.appendInMemory(snap, [{ ...input, summary: `${input.summary} [not saved: storage full]` }]);
      return;
    }
    try {
      await (await this.requireStore()).logEvent(snap.record.id, input);
      await this.reload();
    } catch {
      // A full store must not block the export that rescues the case.
      this.snap = this.appendInMemory(snap, [input]);
    }
  }

  async caseReport(): Promise<CaseReportV1 | undefined> {
    const snap = this.snap;
    if (!snap) return undefined;
    const doc = buildCaseReport(snap, { toolVersion: TOOL_VERSION });
    const signer = await this.signer();
    return sealDocument(doc, { ...(signer ? { signer } : {}) });
  }

  async exportCase(format: 'json' | 'html' | 'md' | 'sarif'): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const file = `${snap.record.id}-report.${format}`;
    await this.act(
      'the export',
      async () => {
        await this.logExport(format === 'sarif' ? 'SARIF 2.1.0' : `the case report (${format.toUpperCase()})`, file);
        const doc = await this.caseReport();
        if (!doc) return;
        if (format === 'json') downloadText(file, serialiseDocument(doc), 'application/json');
        else if (format === 'html') downloadText(file, renderCaseHtml(doc), 'text/html');
        else if (format === 'md') downloadText(file, renderCaseMarkdown(doc), 'text/markdown');
        else downloadText(file, `${JSON.stringify(caseToSarif(doc), null, 2)}\n`, 'application/sarif+json');
        this.notice = `Exported ${file}${doc.integrity?.signature ? ' (signed)' : ''}.`;
      },
      undefined,
      { inRescue: true },
    );
  }

  async exportCustodyLog(): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    const file = `${snap.record.id}-custody-log.json`;
    await this.act(
      'the export',
      async () => {
        await this.logExport('the custody log', file);
        const s = this.snap;
        if (!s) return;
        const signer = await this.signer();
        const doc = await sealDocument(buildCustodyExport(s.record, s.custody, { toolVersion: TOOL_VERSION }), { ...(signer ? { signer } : {}) });
        downloadText(file, serialiseDocument(doc), 'application/json');
        this.notice = `Exported ${file}.`;
      },
      undefined,
      { inRescue: true },
    );
  }

  async exportChecksums(side: EvidenceSide): Promise<void> {
    const snap = this.snap;
    if (!snap) return;
    // The newest record of each path: a file re-added after a change must not be listed twice.
    const latest = new Map<string, EvidenceItem>();
    for (const e of snap.evidence) if (e.side === side) latest.set(e.name, e);
    const file = 'checksums.sha256';
    await this.act(
      'the export',
      async () => {
        await this.logExport(`the ${side} checksums (sha256sum)`, file);
        const header = `# ${snap.record.id} ${side} evidence, SHA-256; verify with: sha256sum -c ${file}\n`;
        downloadText(file, header + formatChecksums([...latest.values()].map((e) => ({ path: e.name, sha256: e.sha256 }))), 'text/plain');
        this.notice = `Exported ${file} (${latest.size} ${side} files).`;
      },
      undefined,
      { inRescue: true },
    );
  }

  async exportComparisonHtml(report: ReportV1): Promise<void> {
    downloadText(`model-sleuth-${report.verdict.status}.html`, renderHtmlReport(report, { embedJson: true }), 'text/html');
    if (this.snap) await this.logExport('a comparison report (HTML)', `model-sleuth-${report.verdict.status}.html`);
  }

  // ── import ────────────────────────────────────────────────────────────────

  async importFile(file: File): Promise<void> {
    this.imported = undefined;
    this.importFileMatches = [];
    await this.act(
      `importing ${file.name}`,
      async () => {
        // The importer (and its schema validators) loads on first use.
        const { importReport } = await import('../../lib/report/case-import.ts');
        const imp = await importReport(await file.text(), file.name);
        this.imported = imp;
        const snap = this.snap;
        if (snap && !this.rescueMode) {
          const input: CustodyEventInput = {
            type: 'report-imported',
            summary: `Imported ${file.name} (${imp.kind}) for review: digest ${imp.integrity.digest}, signature ${imp.integrity.signature}`,
            actor: this.actor,
            data: { file: file.name, kind: imp.kind, digest: imp.integrity.digest, signature: imp.integrity.signature, computed: imp.integrity.computed },
          };
          await (await this.requireStore()).logEvent(snap.record.id, input);
          await this.reload();
        }
      },
      undefined,
      { inRescue: true },
    );
  }

  /** Hashes files and compares them with the imported report's hashes (by name). */
  async checkFilesAgainstImport(picks: readonly LocalPick[]): Promise<void> {
    const imp = this.imported;
    if (!imp) return;
    const expected = new Map<string, Set<string>>();
    const add = (name: string, sha: string | null | undefined): void => {
      if (!sha) return;
      const set = expected.get(name) ?? new Set<string>();
      set.add(sha);
      expected.set(name, set);
    };
    if (imp.kind === 'case-report') for (const e of imp.doc.evidence) add(e.name, e.sha256);
    if (imp.kind === 'comparison') for (const f of [...imp.doc.inputs.knownGood.files, ...imp.doc.inputs.suspect.files]) add(f.path, f.sha256);
    await this.act(
      'the file check',
      async () => {
        const out: FileMatch[] = [];
        for (const [i, p] of picks.entries()) {
          this.busy = `hashing ${p.path} (${i + 1} of ${picks.length})`;
          const computed = await hashBlob(p.file);
          const exp = expected.get(p.path) ?? expected.get(p.path.split('/').pop() ?? p.path);
          out.push({ name: p.path, computed, result: exp === undefined ? 'unknown' : exp.has(computed) ? 'match' : 'mismatch', ...(exp ? { expected: [...exp].join(' or ') } : {}) });
        }
        this.importFileMatches = out;
      },
      undefined,
      { inRescue: true },
    );
  }

  /** The files a comparison side holds (for verifying them against a manifest). */
  sideFiles(side: 'known-good' | 'suspect'): LocalPick[] {
    return (side === 'known-good' ? this.wb.knownGood : this.wb.suspect).files.map((f) => ({ path: f.path, file: f.file }));
  }

  isOwnKey(fingerprint: string | undefined): boolean {
    return fingerprint !== undefined && fingerprint === this.keyFingerprint;
  }

  /** Whole-case JSON export for the quota banner: what is in memory, unsaved changes included. */
  async rescueExport(): Promise<void> {
    await this.exportCase('json');
  }
}
