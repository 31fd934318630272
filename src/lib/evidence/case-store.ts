/**
 * The case store: cases, evidence items, comparison reports, manifest checks, checklists, the
 * provenance chain, the custody log and the analyst's signing key, in IndexedDB (idb).
 *
 * Integrity rules:
 * - Every change that matters is one readwrite transaction with durability 'strict' (flushed to
 *   disk before it reports success) that also appends its custody event(s) and moves the case's
 *   custody head — the record and its log entry are written together or not at all. Event hashes
 *   are computed synchronously (sha256-sync.ts) so the transaction never idles and auto-commits
 *   between reading the head and appending.
 * - A QuotaExceededError aborts only the transaction that hit it: everything recorded before stays.
 *   It is reported as EvidenceError 'store_quota' so the UI can say so and offer an export of what
 *   is held in memory, the unsaved change included.
 * - Only hashes and results are stored — never model bytes.
 *
 * Schema versions and their migrations (MIGRATIONS[v] upgrades v → v+1, run in order inside the
 * versionchange transaction, so a database at any older version reaches the current one):
 * - v1: cases, counters (per-year case sequence), evidence (provenance as flat fields), custody.
 * - v2: analyses, manifest checks, checklists, provenance chains, analyst keys; evidence gets a
 *   `provenance` object, a `side` and re-verifications, and an index by SHA-256.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { ReportV1 } from '../report/types.ts';
import {
  formatCaseId,
  MAX_REVERIFICATIONS,
  sequenceId,
  type AnalysisRecord,
  type CaseRecord,
  type CaseRole,
  type ChecklistItemState,
  type ChecklistRecord,
  type EvidenceItem,
  type ManifestCheckRecord,
  type ProvenanceRecord,
} from './case-model.ts';
import { GENESIS_HASH, nextCustodyEvent, type CustodyData, type CustodyEvent, type CustodyEventInput } from './custody-log.ts';
import { EvidenceError } from './errors.ts';
import type { ManifestVerification } from './manifests/verify-model.ts';
import type { ProvenanceStep } from './provenance.ts';

export const CASE_DB_NAME = 'model-sleuth-cases';
export const CASE_DB_VERSION = 2;

export interface AnalystKeyRecord {
  id: 'analyst';
  /** Non-extractable: signs, can never be read out of the browser. */
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  createdAt: string;
  /** SHA-256 of the public key's SPKI. */
  fingerprint: string;
}

interface CaseDb extends DBSchema {
  cases: { key: string; value: CaseRecord; indexes: { 'by-updated': string } };
  counters: { key: number; value: { year: number; next: number } };
  evidence: { key: [string, string]; value: EvidenceItem; indexes: { 'by-case': string; 'by-sha256': string } };
  custody: { key: [string, number]; value: CustodyEvent; indexes: { 'by-case': string } };
  analyses: { key: [string, string]; value: AnalysisRecord; indexes: { 'by-case': string } };
  manifestChecks: { key: [string, string]; value: ManifestCheckRecord; indexes: { 'by-case': string } };
  checklists: { key: string; value: ChecklistRecord };
  provenance: { key: string; value: ProvenanceRecord };
  keys: { key: string; value: AnalystKeyRecord };
}

type UpgradeTx = IDBPTransaction<CaseDb, StoreNames<CaseDb>[], 'versionchange'>;

/** What a v1 evidence record looked like (migrated by MIGRATIONS[1]). */
export interface EvidenceItemV1 {
  caseId: string;
  id: string;
  name: string;
  size: number;
  lastModified?: number;
  sha256: string;
  role: EvidenceItem['role'];
  source?: string;
  obtainedAt?: string;
  obtainedBy?: string;
  addedAt: string;
}

/** MIGRATIONS[v] upgrades a database at version v to v + 1. */
export const MIGRATIONS: readonly ((db: IDBPDatabase<CaseDb>, tx: UpgradeTx) => Promise<void>)[] = [
  // 0 → 1: the first schema.
  async (db) => {
    const cases = db.createObjectStore('cases', { keyPath: 'id' });
    cases.createIndex('by-updated', 'updatedAt');
    db.createObjectStore('counters', { keyPath: 'year' });
    const evidence = db.createObjectStore('evidence', { keyPath: ['caseId', 'id'] });
    evidence.createIndex('by-case', 'caseId');
    const custody = db.createObjectStore('custody', { keyPath: ['caseId', 'seq'] });
    custody.createIndex('by-case', 'caseId');
    return Promise.resolve();
  },
  // 1 → 2: results, checklists, provenance and keys; evidence provenance nested, sides, re-verifications.
  async (db, tx) => {
    db.createObjectStore('analyses', { keyPath: ['caseId', 'id'] }).createIndex('by-case', 'caseId');
    db.createObjectStore('manifestChecks', { keyPath: ['caseId', 'id'] }).createIndex('by-case', 'caseId');
    db.createObjectStore('checklists', { keyPath: 'caseId' });
    db.createObjectStore('provenance', { keyPath: 'caseId' });
    db.createObjectStore('keys', { keyPath: 'id' });
    const evidence = tx.objectStore('evidence');
    evidence.createIndex('by-sha256', 'sha256');
    let cursor = await evidence.openCursor();
    while (cursor) {
      await cursor.update(migrateEvidenceV1(cursor.value as unknown as EvidenceItemV1 & Partial<EvidenceItem>));
      cursor = await cursor.continue();
    }
  },
];

export function migrateEvidenceV1(old: EvidenceItemV1 & Partial<EvidenceItem>): EvidenceItem {
  const { source, obtainedAt, obtainedBy, ...rest } = old;
  const provenance = { ...(source ? { source } : {}), ...(obtainedAt ? { obtainedAt } : {}), ...(obtainedBy ? { obtainedBy } : {}), ...(old.provenance ?? {}) };
  return { ...rest, provenance, side: old.side ?? 'other', verifications: old.verifications ?? [] };
}

/** Asks the browser to keep this origin's storage under storage pressure (it may say no). */
export async function requestPersistentStorage(): Promise<'persisted' | 'denied' | 'unsupported'> {
  if (typeof navigator === 'undefined' || !navigator.storage?.persist) return 'unsupported';
  try {
    if (await navigator.storage.persisted()) return 'persisted';
    return (await navigator.storage.persist()) ? 'persisted' : 'denied';
  } catch {
    return 'unsupported';
  }
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (e instanceof DOMException && e.code === 22);
}

function storeError(e: unknown, what: string): EvidenceError {
  if (e instanceof EvidenceError) return e;
  if (isQuotaError(e)) {
    return new EvidenceError('store_quota', `The browser refused to store ${what}: its storage quota for this site is used up. Nothing recorded before was lost; export the case now to keep this change.`, { cause: e });
  }
  return new EvidenceError('store_failed', `Could not store ${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
}

export interface CaseSummary {
  record: CaseRecord;
  evidence: number;
  analyses: number;
}

export interface CaseSnapshotData {
  record: CaseRecord;
  evidence: EvidenceItem[];
  analyses: AnalysisRecord[];
  manifestChecks: ManifestCheckRecord[];
  provenance: ProvenanceStep[] | undefined;
  checklist: Record<string, ChecklistItemState>;
  custody: CustodyEvent[];
}

export type NewEvidence = Omit<EvidenceItem, 'caseId' | 'id' | 'addedAt' | 'verifications'> & { verifications?: EvidenceItem['verifications'] };

export interface OpenOptions {
  name?: string;
  /** Tests open older versions to exercise migrations; the app always opens CASE_DB_VERSION. */
  version?: number;
  now?: () => string;
}

const WRITE = { durability: 'strict' } as const;

export class CaseStore {
  private constructor(
    private readonly db: IDBPDatabase<CaseDb>,
    private readonly now: () => string,
  ) {}

  static async open(options: OpenOptions = {}): Promise<CaseStore> {
    if (typeof indexedDB === 'undefined') throw new EvidenceError('store_unavailable', 'IndexedDB is not available (a private window or a locked-down profile may disable it)');
    const version = options.version ?? CASE_DB_VERSION;
    let db: IDBPDatabase<CaseDb>;
    try {
      db = await openDB<CaseDb>(options.name ?? CASE_DB_NAME, version, {
        upgrade(database, oldVersion, newVersion, tx) {
          // In order, each seeing the stores the previous one made. The versionchange transaction
          // stays open while requests are pending; a failed migration aborts it, so the database
          // stays at its old version with its data untouched.
          const target = newVersion ?? version;
          const run = async (): Promise<void> => {
            for (let v = oldVersion; v < target; v++) await MIGRATIONS[v]?.(database, tx);
          };
          run().catch(() => {
            try {
              tx.abort();
            } catch {
              // The transaction already ended; openDB reports the failure.
            }
          });
        },
        blocking() {
          // Another tab wants a newer schema: let it, this connection is stale.
          db.close();
        },
      });
    } catch (e) {
      throw storeError(e, 'the case database');
    }
    return new CaseStore(db, options.now ?? (() => new Date().toISOString()));
  }

  close(): void {
    this.db.close();
  }

  get version(): number {
    return this.db.version;
  }

  // ── cases ─────────────────────────────────────────────────────────────────

  async listCases(): Promise<CaseSummary[]> {
    const tx = this.db.transaction(['cases', 'evidence', 'analyses'], 'readonly');
    const records = await tx.objectStore('cases').getAll();
    const out: CaseSummary[] = [];
    for (const record of records) {
      out.push({ record, evidence: await tx.objectStore('evidence').index('by-case').count(record.id), analyses: await tx.objectStore('analyses').index('by-case').count(record.id) });
    }
    await tx.done;
    return out.sort((a, b) => (a.record.updatedAt < b.record.updatedAt ? 1 : a.record.updatedAt > b.record.updatedAt ? -1 : 0));
  }

  async createCase(input: { title: string; roles?: Partial<Record<CaseRole, string>>; summary?: string }, actor: string): Promise<CaseRecord> {
    const at = this.now();
    const year = new Date(at).getUTCFullYear();
    try {
      const tx = this.db.transaction(['counters', 'cases', 'custody'], 'readwrite', WRITE);
      const counter = (await tx.objectStore('counters').get(year)) ?? { year, next: 1 };
      let seq = counter.next;
      // A case imported or created elsewhere may already use the next number.
      while (await tx.objectStore('cases').get(formatCaseId(year, seq))) seq++;
      const id = formatCaseId(year, seq);
      await tx.objectStore('counters').put({ year, next: seq + 1 });
      const record: CaseRecord = { id, title: input.title.trim() || 'Untitled case', status: 'open', createdAt: at, updatedAt: at, roles: { ...(input.roles ?? {}) }, custodyHead: { seq: 0, hash: GENESIS_HASH }, ...(input.summary ? { summary: input.summary } : {}) };
      await tx.objectStore('cases').add(record);
      await this.append(tx, record, [{ type: 'case-created', summary: `Case ${id} opened: ${record.title}`, actor, at, data: { title: record.title, roles: { ...record.roles } } }]);
      await tx.done;
      return record;
    } catch (e) {
      throw storeError(e, 'the new case');
    }
  }

  async getCase(id: string): Promise<CaseRecord | undefined> {
    return this.db.get('cases', id);
  }

  async updateCase(id: string, patch: { title?: string; roles?: Partial<Record<CaseRole, string>>; summary?: string; status?: CaseRecord['status'] }, actor: string): Promise<CaseRecord> {
    return this.write(['cases', 'custody'], 'the case details', async (tx) => {
      const record = await this.requireCase(tx, id);
      const changed: CustodyData = {};
      if (patch.title !== undefined && patch.title.trim() !== record.title) {
        changed['title'] = { from: record.title, to: patch.title.trim() };
        record.title = patch.title.trim() || record.title;
      }
      if (patch.summary !== undefined && patch.summary !== (record.summary ?? '')) {
        changed['summary'] = { to: patch.summary };
        record.summary = patch.summary;
      }
      if (patch.status !== undefined && patch.status !== record.status) {
        changed['status'] = { from: record.status, to: patch.status };
        record.status = patch.status;
      }
      if (patch.roles !== undefined) {
        for (const [role, name] of Object.entries(patch.roles) as [CaseRole, string | undefined][]) {
          const cur = record.roles[role] ?? '';
          const next = (name ?? '').trim();
          if (cur === next) continue;
          changed[`role:${role}`] = { from: cur, to: next };
          if (next) record.roles[role] = next;
          else delete record.roles[role];
        }
      }
      if (Object.keys(changed).length === 0) return record;
      await this.append(tx, record, [{ type: 'case-updated', summary: `Changed ${Object.keys(changed).map((k) => k.replace('role:', '')).join(', ')}`, actor, data: changed }]);
      return record;
    });
  }

  async loadCase(id: string): Promise<CaseSnapshotData> {
    const tx = this.db.transaction(['cases', 'evidence', 'analyses', 'manifestChecks', 'checklists', 'provenance', 'custody'], 'readonly');
    const record = await tx.objectStore('cases').get(id);
    if (!record) throw new EvidenceError('case_not_found', `No case ${id} in this browser`);
    const range = IDBKeyRange.only(id);
    const [evidence, analyses, manifestChecks, checklist, provenance, custody] = await Promise.all([
      tx.objectStore('evidence').index('by-case').getAll(range),
      tx.objectStore('analyses').index('by-case').getAll(range),
      tx.objectStore('manifestChecks').index('by-case').getAll(range),
      tx.objectStore('checklists').get(id),
      tx.objectStore('provenance').get(id),
      tx.objectStore('custody').index('by-case').getAll(range),
    ]);
    await tx.done;
    const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return {
      record,
      evidence: evidence.sort(byId),
      analyses: analyses.sort(byId),
      manifestChecks: manifestChecks.sort(byId),
      checklist: checklist?.items ?? {},
      provenance: provenance?.steps,
      custody: custody.sort((a, b) => a.seq - b.seq),
    };
  }

  // ── evidence and results ─────────────────────────────────────────────────

  /** Adds evidence items (an item with the same side, name and SHA-256 is not added twice); returns all the case's items. */
  async addEvidence(caseId: string, items: readonly NewEvidence[], actor: string): Promise<EvidenceItem[]> {
    return this.write(['cases', 'evidence', 'custody'], 'the evidence', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const { added, all } = await this.putEvidence(tx, caseId, items);
      await this.append(tx, record, added.map((e) => evidenceEvent(e, actor)));
      return all;
    });
  }

  async updateEvidence(caseId: string, id: string, patch: Partial<Pick<EvidenceItem, 'role' | 'side' | 'provenance'>>, actor: string): Promise<EvidenceItem> {
    return this.write(['cases', 'evidence', 'custody'], 'the evidence details', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const item = await tx.objectStore('evidence').get([caseId, id]);
      if (!item) throw new EvidenceError('case_not_found', `No evidence ${id} in case ${caseId}`);
      const changed: CustodyData = {};
      if (patch.role !== undefined && patch.role !== item.role) changed['role'] = { from: item.role, to: patch.role };
      if (patch.side !== undefined && patch.side !== item.side) changed['side'] = { from: item.side, to: patch.side };
      if (patch.provenance !== undefined) {
        for (const k of ['source', 'obtainedAt', 'obtainedBy', 'notes'] as const) {
          const from = item.provenance[k] ?? '';
          const to = patch.provenance[k] ?? '';
          if (from !== to) changed[k] = { from, to };
        }
      }
      if (Object.keys(changed).length === 0) return item;
      const next: EvidenceItem = { ...item, ...(patch.role ? { role: patch.role } : {}), ...(patch.side ? { side: patch.side } : {}), provenance: patch.provenance ? cleanProvenance(patch.provenance) : item.provenance };
      await tx.objectStore('evidence').put(next);
      await this.append(tx, record, [{ type: 'evidence-updated', summary: `${id} ${item.name}: changed ${Object.keys(changed).join(', ')}`, actor, data: { evidence: id, sha256: item.sha256, changes: changed } }]);
      return next;
    });
  }

  /** Records a re-verification of an evidence item against a freshly computed digest. */
  async recordReverification(caseId: string, id: string, sha256: string, actor: string): Promise<EvidenceItem> {
    return this.write(['cases', 'evidence', 'custody'], 'the re-verification', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const item = await tx.objectStore('evidence').get([caseId, id]);
      if (!item) throw new EvidenceError('case_not_found', `No evidence ${id} in case ${caseId}`);
      const at = this.now();
      const result: 'match' | 'mismatch' = sha256 === item.sha256 ? 'match' : 'mismatch';
      const next: EvidenceItem = { ...item, verifications: [...item.verifications, { at, result, sha256 }].slice(-MAX_REVERIFICATIONS) };
      await tx.objectStore('evidence').put(next);
      await this.append(tx, record, [
        { type: 'evidence-verified', summary: `${id} ${item.name} re-verified: ${result === 'match' ? 'matches the recorded SHA-256' : 'DOES NOT MATCH the recorded SHA-256'}`, actor, at, data: { evidence: id, recorded: item.sha256, computed: sha256, result } },
      ]);
      return next;
    });
  }

  /** A comparison: its report, the evidence items of its files, and the custody events, in one transaction. */
  async recordAnalysis(caseId: string, report: ReportV1, evidence: readonly NewEvidence[], actor: string): Promise<{ analysis: AnalysisRecord; evidence: EvidenceItem[] }> {
    return this.write(['cases', 'evidence', 'analyses', 'custody'], 'the analysis', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const { added, all } = await this.putEvidence(tx, caseId, evidence);
      const n = (await tx.objectStore('analyses').index('by-case').count(caseId)) + 1;
      const analysis: AnalysisRecord = { caseId, id: sequenceId('A', n), createdAt: this.now(), kind: 'compare', report, verdict: report.verdict.status, summary: report.verdict.summary };
      await tx.objectStore('analyses').add(analysis);
      const digestOf = (side: 'knownGood' | 'suspect'): CustodyData[] => report.inputs[side].files.map((f) => ({ path: f.path, sha256: f.sha256 }));
      await this.append(tx, record, [
        ...added.map((e) => evidenceEvent(e, actor)),
        {
          type: 'analysis-run',
          summary: `${analysis.id}: compared ${report.inputs.knownGood.label} with ${report.inputs.suspect.label} — ${report.verdict.status.toUpperCase()}`,
          actor,
          data: { analysis: analysis.id, verdict: report.verdict.status, tool: `${report.tool.name} ${report.tool.version} (${report.tool.engine})`, knownGood: digestOf('knownGood'), suspect: digestOf('suspect') },
        },
      ]);
      return { analysis, evidence: all };
    });
  }

  async recordManifestCheck(caseId: string, result: ManifestVerification, actor: string): Promise<ManifestCheckRecord> {
    return this.write(['cases', 'manifestChecks', 'custody'], 'the manifest verification', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const n = (await tx.objectStore('manifestChecks').index('by-case').count(caseId)) + 1;
      const check: ManifestCheckRecord = { caseId, id: sequenceId('M', n), createdAt: this.now(), result };
      await tx.objectStore('manifestChecks').add(check);
      await this.append(tx, record, [
        {
          type: 'manifest-verified',
          summary: `${check.id}: ${result.manifestName} — ${result.verdict.toUpperCase()}: ${result.summary}`,
          actor,
          data: { check: check.id, manifest: result.manifestName, manifestSha256: result.manifestSha256, verdict: result.verdict, signature: result.signature?.status ?? 'none', failed: result.items.filter((i) => i.status !== 'ok').slice(0, 50).map((i) => i.name) },
        },
      ]);
      return check;
    });
  }

  /** Stores checklist items; `changes` (item id → words) become one custody event. */
  async setChecklist(caseId: string, items: Record<string, ChecklistItemState>, changes: readonly { id: string; from: string; to: string; source: 'auto' | 'manual' }[], actor: string): Promise<void> {
    await this.write(['cases', 'checklists', 'custody'], 'the checklist', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      await tx.objectStore('checklists').put({ caseId, items });
      if (changes.length === 0) return;
      const auto = changes.every((c) => c.source === 'auto');
      await this.append(tx, record, [
        {
          type: 'checklist-changed',
          summary: `${changes.length} checklist item${changes.length === 1 ? '' : 's'} ${auto ? 'filled in from results' : 'changed'}: ${changes.map((c) => `${c.id} ${c.from} → ${c.to}`).join(', ')}`,
          actor,
          data: { changes: changes.map((c) => ({ item: c.id, from: c.from, to: c.to, source: c.source })) },
        },
      ]);
    });
  }

  async setProvenance(caseId: string, steps: ProvenanceStep[], summary: string, actor: string): Promise<void> {
    await this.write(['cases', 'provenance', 'custody'], 'the provenance chain', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      await tx.objectStore('provenance').put({ caseId, steps });
      await this.append(tx, record, [{ type: 'provenance-changed', summary, actor, data: { steps: steps.map((s) => ({ stage: s.stage, applicable: s.applicable, expected: s.expected.length, observed: s.observed.length })) } }]);
    });
  }

  /** Notes, exports and imports: a custody event and nothing else. */
  async logEvent(caseId: string, input: CustodyEventInput): Promise<CustodyEvent> {
    return this.write(['cases', 'custody'], 'the custody event', async (tx) => {
      const record = await this.requireCase(tx, caseId);
      const [event] = await this.append(tx, record, [input]);
      if (!event) throw new EvidenceError('store_failed', 'no event appended');
      return event;
    });
  }

  // ── analyst key ───────────────────────────────────────────────────────────

  async getAnalystKey(): Promise<AnalystKeyRecord | undefined> {
    return this.db.get('keys', 'analyst');
  }

  /** Generates the analyst's ECDSA P-256 key; the private half is non-extractable and stays in this browser. */
  async createAnalystKey(fingerprintOf: (publicKey: CryptoKey) => Promise<string>): Promise<AnalystKeyRecord> {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const record: AnalystKeyRecord = { id: 'analyst', privateKey: pair.privateKey, publicKey: pair.publicKey, createdAt: this.now(), fingerprint: await fingerprintOf(pair.publicKey) };
    try {
      const tx = this.db.transaction('keys', 'readwrite', WRITE);
      await tx.store.put(record);
      await tx.done;
    } catch (e) {
      throw storeError(e, 'the signing key');
    }
    return record;
  }

  // ── internals ─────────────────────────────────────────────────────────────

  private async write<S extends StoreNames<CaseDb>, T>(stores: S[], what: string, body: (tx: IDBPTransaction<CaseDb, S[], 'readwrite'>) => Promise<T>): Promise<T> {
    const tx = this.db.transaction(stores, 'readwrite', WRITE);
    // Rejections of tx.done are awaited below; this keeps an abort from going unhandled meanwhile.
    tx.done.catch(() => undefined);
    try {
      const out = await body(tx);
      await tx.done;
      return out;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      throw storeError(tx.error ?? e, what);
    }
  }

  private async requireCase(tx: IDBPTransaction<CaseDb, StoreNames<CaseDb>[], 'readwrite'>, id: string): Promise<CaseRecord> {
    const record = await tx.objectStore('cases').get(id);
    if (!record) throw new EvidenceError('case_not_found', `No case ${id} in this browser`);
    return record;
  }

  /** Appends events after the case's head and moves the head, in the caller's transaction. */
  private async append(tx: IDBPTransaction<CaseDb, StoreNames<CaseDb>[], 'readwrite'>, record: CaseRecord, inputs: readonly CustodyEventInput[]): Promise<CustodyEvent[]> {
    const events: CustodyEvent[] = [];
    let head = record.custodyHead;
    for (const input of inputs) {
      const event = nextCustodyEvent(record.id, head, { ...input, at: input.at ?? this.now() });
      await tx.objectStore('custody').add(event);
      events.push(event);
      head = { seq: event.seq, hash: event.hash };
    }
    record.custodyHead = head;
    record.updatedAt = events[events.length - 1]?.at ?? this.now();
    await tx.objectStore('cases').put(record);
    return events;
  }

  private async putEvidence(tx: IDBPTransaction<CaseDb, StoreNames<CaseDb>[], 'readwrite'>, caseId: string, items: readonly NewEvidence[]): Promise<{ added: EvidenceItem[]; all: EvidenceItem[] }> {
    const store = tx.objectStore('evidence');
    const all = await store.index('by-case').getAll(IDBKeyRange.only(caseId));
    const added: EvidenceItem[] = [];
    for (const item of items) {
      if (all.some((e) => e.side === item.side && e.name === item.name && e.sha256 === item.sha256)) continue;
      const next: EvidenceItem = { ...item, provenance: cleanProvenance(item.provenance), caseId, id: sequenceId('E', all.length + 1), addedAt: this.now(), verifications: item.verifications ?? [] };
      await store.add(next);
      all.push(next);
      added.push(next);
    }
    return { added, all };
  }
}

function cleanProvenance(p: EvidenceItem['provenance']): EvidenceItem['provenance'] {
  const out: EvidenceItem['provenance'] = {};
  for (const k of ['source', 'obtainedAt', 'obtainedBy', 'notes'] as const) {
    const v = p[k]?.trim();
    if (v) out[k] = v;
  }
  return out;
}

function evidenceEvent(e: EvidenceItem, actor: string): CustodyEventInput {
  return {
    type: 'evidence-added',
    summary: `${e.id} ${e.name} (${e.side}, ${e.role}, ${e.size.toLocaleString('en-US')} bytes) SHA-256 ${e.sha256.slice(0, 16)}…`,
    actor,
    data: { evidence: e.id, name: e.name, size: e.size, sha256: e.sha256, side: e.side, role: e.role, ...(e.lastModified === undefined ? {} : { lastModified: e.lastModified }), provenance: { ...e.provenance } },
  };
}
