/**
 * Runs in Chromium (bundled by case-store.test.ts): exposes the case store to the test through
 * `window.storeHarness`, plus the raw-IndexedDB helpers that build an old-version database and
 * stub the quota path.
 */
import { CaseStore, CASE_DB_VERSION, requestPersistentStorage, type EvidenceItemV1 } from '../../../../src/lib/evidence/case-store.ts';
import { verifyCustodyChain, nextCustodyEvent, GENESIS_HASH, headOf, type CustodyEvent } from '../../../../src/lib/evidence/custody-log.ts';
import { sha256Hex } from '../../../../src/lib/evidence/sha256-sync.ts';
import type { CaseRecord } from '../../../../src/lib/evidence/case-model.ts';
import type { ReportV1 } from '../../../../src/lib/report/types.ts';

const H = (c: string): string => c.repeat(64);

function rawPut(db: IDBDatabase, store: string, values: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite');
    for (const v of values) tx.objectStore(store).put(v);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

const harness = {
  CASE_DB_VERSION,

  /** A database at schema v1 (opened through the store's own migrations), holding v1-shaped records. */
  async seedV1(name: string): Promise<void> {
    const store = await CaseStore.open({ name, version: 1 });
    store.close();
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const events: CustodyEvent[] = [];
    events.push(nextCustodyEvent('AI-IR-2025-0007', { seq: 0, hash: GENESIS_HASH }, { type: 'case-created', summary: 'opened', actor: 'v1 user', at: '2025-03-01T10:00:00.000Z' }));
    events.push(nextCustodyEvent('AI-IR-2025-0007', headOf(events), { type: 'evidence-added', summary: 'E-0001', actor: 'v1 user', at: '2025-03-01T10:01:00.000Z' }));
    const record: CaseRecord = { id: 'AI-IR-2025-0007', title: 'Old case', status: 'open', createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:01:00.000Z', roles: { 'incident-commander': 'Lee' }, custodyHead: headOf(events) };
    const evidence: EvidenceItemV1 = { caseId: record.id, id: 'E-0001', name: 'model.safetensors', size: 1234, sha256: H('a'), role: 'weights', source: 'https://old.example/model', obtainedBy: 'Lee', obtainedAt: '2025-02-28', addedAt: '2025-03-01T10:01:00.000Z' };
    await rawPut(db, 'cases', [record]);
    await rawPut(db, 'counters', [{ year: 2025, next: 8 }]);
    await rawPut(db, 'evidence', [evidence]);
    await rawPut(db, 'custody', events);
    db.close();
  },

  async open(name: string): Promise<{ version: number }> {
    const s = await CaseStore.open({ name });
    const version = s.version;
    s.close();
    return { version };
  },

  async load(name: string, id: string) {
    const s = await CaseStore.open({ name });
    try {
      const snap = await s.loadCase(id);
      return { ...snap, chain: verifyCustodyChain(snap.custody, { caseId: id, expectedHead: snap.record.custodyHead }) };
    } finally {
      s.close();
    }
  },

  async createCases(name: string, titles: string[]): Promise<string[]> {
    const s = await CaseStore.open({ name });
    try {
      const out: string[] = [];
      for (const t of titles) out.push((await s.createCase({ title: t, roles: { 'ai-investigator': 'Sam' } }, 'tester')).id);
      return out;
    } finally {
      s.close();
    }
  },

  async list(name: string) {
    const s = await CaseStore.open({ name });
    try {
      return (await s.listCases()).map((c) => ({ id: c.record.id, evidence: c.evidence, analyses: c.analyses }));
    } finally {
      s.close();
    }
  },

  async addEvidenceAndAnalysis(name: string, id: string, report: ReportV1): Promise<void> {
    const s = await CaseStore.open({ name });
    try {
      await s.addEvidence(id, [{ name: 'deploy.yaml', size: 10, sha256: H('d'), role: 'deployment-manifest', side: 'other', provenance: { source: 'k8s', obtainedBy: 'Sam' } }], 'tester');
      // The same item again is not added twice.
      await s.addEvidence(id, [{ name: 'deploy.yaml', size: 10, sha256: H('d'), role: 'deployment-manifest', side: 'other', provenance: {} }], 'tester');
      const files = [...report.inputs.knownGood.files.map((f) => ({ f, side: 'known-good' as const })), ...report.inputs.suspect.files.map((f) => ({ f, side: 'suspect' as const }))];
      await s.recordAnalysis(id, report, files.map(({ f, side }) => ({ name: f.path, size: f.size, sha256: f.sha256 ?? H('0'), role: 'weights', side, provenance: {} })), 'tester');
      await s.recordReverification(id, 'E-0002', report.inputs.knownGood.files[0]?.sha256 ?? '', 'tester');
      await s.recordReverification(id, 'E-0002', H('f'), 'tester');
      await s.setChecklist(id, { 'pm.timeline': { state: 'pass', source: 'manual', updatedAt: '2026-01-01T00:00:00.000Z' } }, [{ id: 'pm.timeline', from: 'open', to: 'pass', source: 'manual' }], 'tester');
      await s.logEvent(id, { type: 'note', summary: 'a note', actor: 'tester' });
    } finally {
      s.close();
    }
  },

  /** Makes every add/put to `storeName` fail with QuotaExceededError, runs `recordAnalysis`, restores. */
  async analysisUnderQuota(name: string, id: string, report: ReportV1): Promise<{ code: string; message: string }> {
    const s = await CaseStore.open({ name });
    const proto = IDBObjectStore.prototype;
    const add = proto.add;
    const put = proto.put;
    const fail = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>): IDBRequest<IDBValidKey> {
      if (this.name === 'analyses') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return add.apply(this, args);
    };
    proto.add = fail;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>): IDBRequest<IDBValidKey> {
      if (this.name === 'analyses') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await s.recordAnalysis(id, report, [{ name: 'new-file.bin', size: 1, sha256: H('9'), role: 'other', side: 'suspect', provenance: {} }], 'tester');
      return { code: 'none', message: '' };
    } catch (e) {
      return { code: (e as { code?: string }).code ?? 'unknown', message: (e as Error).message };
    } finally {
      proto.add = add;
      proto.put = put;
      s.close();
    }
  },

  async analystKey(name: string): Promise<{ fingerprint: string; extractable: boolean; signs: boolean; sameAfterReopen: boolean }> {
    const fp = async (k: CryptoKey): Promise<string> => sha256Hex(new Uint8Array(await crypto.subtle.exportKey('spki', k)));
    const s1 = await CaseStore.open({ name });
    const created = (await s1.getAnalystKey()) ?? (await s1.createAnalystKey(fp));
    s1.close();
    const s2 = await CaseStore.open({ name });
    const again = await s2.getAnalystKey();
    s2.close();
    if (!again) throw new Error('key not stored');
    const data = new TextEncoder().encode('x');
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, again.privateKey, data);
    const signs = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, again.publicKey, sig, data);
    let extractable = true;
    try {
      await crypto.subtle.exportKey('pkcs8', again.privateKey);
    } catch {
      extractable = false;
    }
    return { fingerprint: created.fingerprint, extractable, signs, sameAfterReopen: again.fingerprint === created.fingerprint };
  },

  persist: requestPersistentStorage,
};

declare global {
  interface Window {
    storeHarness: typeof harness;
  }
}
window.storeHarness = harness;
