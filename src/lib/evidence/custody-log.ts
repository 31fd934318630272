/**
 * The chain-of-custody log: append-only events, each carrying the SHA-256 of the previous event,
 * so an edited, reordered or removed event shows up when the chain is verified.
 *
 * An event's hash is the SHA-256 of the canonical JSON (canonical-json.ts, RFC 8785) of the event
 * without its `hash` member. The first event links to GENESIS_HASH. The case record keeps the head
 * (last seq and hash), updated in the same IndexedDB transaction as every append, and every case
 * report carries the head inside its digest: a chain is only as trustworthy as the head it is
 * checked against — without one, dropping the newest events leaves a shorter chain that is still
 * internally consistent (verifyCustodyChain says so: "no head to compare with").
 */
import { canonicalJson } from './canonical-json.ts';
import type { CustodyHead } from './case-model.ts';
import { sha256Hex } from './sha256-sync.ts';

export const GENESIS_HASH = '0'.repeat(64);

export const CUSTODY_EVENT_TYPES = {
  'case-created': 'Case opened',
  'case-updated': 'Case details changed',
  'evidence-added': 'Evidence added',
  'evidence-updated': 'Evidence details changed',
  'evidence-verified': 'Evidence re-verified',
  'analysis-run': 'Analysis run',
  'manifest-verified': 'Model verified against a manifest',
  'report-exported': 'Report exported',
  'report-imported': 'Report imported',
  'checklist-changed': 'Checklist changed',
  'provenance-changed': 'Provenance chain changed',
  note: 'Note',
} as const;
export type CustodyEventType = keyof typeof CUSTODY_EVENT_TYPES;

export type CustodyData = { [key: string]: string | number | boolean | null | CustodyData | (string | number | boolean | null | CustodyData)[] };

/** What the caller supplies; the log adds seq, prevHash and hash. */
export interface CustodyEventInput {
  type: CustodyEventType;
  /** One line for people ("Added model.safetensors (suspect, weights)"). */
  summary: string;
  actor: string;
  data?: CustodyData;
  /** UTC ISO; defaults to now. */
  at?: string;
}

export interface CustodyEvent {
  caseId: string;
  /** 1, 2, 3 … without gaps. */
  seq: number;
  at: string;
  actor: string;
  type: CustodyEventType;
  summary: string;
  data: CustodyData;
  prevHash: string;
  hash: string;
}

export function hashCustodyEvent(event: Omit<CustodyEvent, 'hash'> | CustodyEvent): string {
  const { hash: _ignored, ...rest } = event as CustodyEvent;
  return sha256Hex(canonicalJson(rest));
}

/** The next event after `head` (pure: the store writes it and the new head in one transaction). */
export function nextCustodyEvent(caseId: string, head: CustodyHead, input: CustodyEventInput): CustodyEvent {
  const base: Omit<CustodyEvent, 'hash'> = {
    caseId,
    seq: head.seq + 1,
    at: input.at ?? new Date().toISOString(),
    actor: input.actor,
    type: input.type,
    summary: input.summary,
    data: input.data ?? {},
    prevHash: head.hash,
  };
  return { ...base, hash: hashCustodyEvent(base) };
}

export function headOf(events: readonly CustodyEvent[]): CustodyHead {
  const last = events[events.length - 1];
  return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
}

export type ChainProblemKind = 'edited' | 'removed' | 'reordered' | 'broken-link' | 'truncated' | 'head-mismatch' | 'wrong-case' | 'malformed';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The event where the problem shows (its position's seq when the event itself is unreadable). */
  seq: number;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: CustodyHead;
  /** Whether the chain was checked against an independently kept head. */
  headChecked: boolean;
  problems: ChainProblem[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies a custody log as given (its order is part of what is verified). Detects: an edited
 * event (its hash no longer matches its content), a removed event (a gap in seq and a broken link),
 * events out of order, a link to a previous hash that is not the previous event's, and — when
 * `expectedHead` is given — events removed from the end or a chain that is not the recorded one.
 */
export function verifyCustodyChain(events: readonly unknown[], options: { caseId?: string; expectedHead?: CustodyHead } = {}): ChainVerification {
  const problems: ChainProblem[] = [];
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let last: CustodyHead = { seq: 0, hash: GENESIS_HASH };
  const allSeqs = new Set(events.filter(isCustodyEvent).map((e) => e.seq));
  // The hash each seq was recorded with (first occurrence): links are checked against the event
  // with the previous seq, wherever it is, so a reordering is reported once, as a reordering.
  const hashOfSeq = new Map<number, string>();
  for (const e of events) if (isCustodyEvent(e) && !hashOfSeq.has(e.seq)) hashOfSeq.set(e.seq, e.hash);
  events.forEach((raw, i) => {
    const position = i + 1;
    if (!isCustodyEvent(raw)) {
      problems.push({ kind: 'malformed', seq: position, message: `Event #${position} is not a custody event (missing or mistyped fields)` });
      prevHash = '';
      return;
    }
    const e = raw;
    if (options.caseId !== undefined && e.caseId !== options.caseId) {
      problems.push({ kind: 'wrong-case', seq: e.seq, message: `Event ${e.seq} belongs to case ${e.caseId}, not ${options.caseId}` });
    }
    const recomputed = hashCustodyEvent(e);
    if (recomputed !== e.hash) {
      problems.push({ kind: 'edited', seq: e.seq, message: `Event ${e.seq} (${e.type}) was changed after it was recorded: its content hashes to ${recomputed.slice(0, 12)}…, not the recorded ${e.hash.slice(0, 12)}…` });
    }
    if (e.seq > prevSeq + 1 && allSeqs.has(prevSeq + 1)) {
      problems.push({ kind: 'reordered', seq: e.seq, message: `Event ${e.seq} comes before event ${prevSeq + 1}: events were reordered` });
    } else if (e.seq > prevSeq + 1) {
      const missing = e.seq - prevSeq - 1;
      problems.push({ kind: 'removed', seq: e.seq, message: `${missing} event${missing === 1 ? '' : 's'} missing before event ${e.seq} (seq jumps from ${prevSeq} to ${e.seq})` });
    } else if (e.seq <= prevSeq) {
      problems.push({ kind: 'reordered', seq: e.seq, message: `Event ${e.seq} comes after event ${prevSeq}: events were reordered or duplicated` });
    }
    const linkTo = e.seq === 1 ? GENESIS_HASH : hashOfSeq.get(e.seq - 1);
    if (linkTo !== undefined && e.prevHash !== linkTo && prevHash !== '') {
      problems.push({ kind: 'broken-link', seq: e.seq, message: `Event ${e.seq} does not link to event ${e.seq - 1} (prevHash ${e.prevHash.slice(0, 12)}…, expected ${linkTo.slice(0, 12)}…): an event before it was changed or replaced` });
    }
    prevHash = e.hash;
    prevSeq = Math.max(prevSeq, e.seq);
    last = { seq: e.seq, hash: e.hash };
  });
  const expected = options.expectedHead;
  if (expected !== undefined) {
    if (last.seq < expected.seq) {
      const n = expected.seq - last.seq;
      problems.push({ kind: 'truncated', seq: last.seq + 1, message: `The log ends at event ${last.seq} but the case recorded ${expected.seq}: ${n} newest event${n === 1 ? ' was' : 's were'} removed` });
    } else if (last.seq !== expected.seq || last.hash !== expected.hash) {
      problems.push({ kind: 'head-mismatch', seq: last.seq, message: `The log's last event (${last.seq}, ${last.hash.slice(0, 12)}…) is not the head the case recorded (${expected.seq}, ${expected.hash.slice(0, 12)}…)` });
    }
  }
  return { ok: problems.length === 0, events: events.length, head: last, headChecked: expected !== undefined, problems };
}

export function isCustodyEvent(v: unknown): v is CustodyEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e['caseId'] === 'string' &&
    typeof e['seq'] === 'number' &&
    Number.isSafeInteger(e['seq']) &&
    typeof e['at'] === 'string' &&
    typeof e['actor'] === 'string' &&
    typeof e['type'] === 'string' &&
    typeof e['summary'] === 'string' &&
    typeof e['data'] === 'object' &&
    e['data'] !== null &&
    typeof e['prevHash'] === 'string' &&
    typeof e['hash'] === 'string' &&
    HEX64.test(e['hash'])
  );
}
