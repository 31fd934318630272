import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, headOf, nextCustodyEvent, verifyCustodyChain, type CustodyEvent } from '../../../src/lib/evidence/custody-log.ts';

function chain(n: number): CustodyEvent[] {
  const events: CustodyEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push(nextCustodyEvent('AI-IR-2026-0001', headOf(events), { type: i === 0 ? 'case-created' : 'note', summary: `event ${i + 1}`, actor: 'alice', at: `2026-11-22T10:00:0${i}.000Z`, data: { i } }));
  }
  return events;
}

describe('custody log', () => {
  it('links every event to the previous one and verifies', () => {
    const events = chain(5);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(events[3]?.prevHash).toBe(events[2]?.hash);
    const v = verifyCustodyChain(events, { caseId: 'AI-IR-2026-0001', expectedHead: headOf(events) });
    expect(v).toMatchObject({ ok: true, events: 5, headChecked: true, problems: [] });
  });

  it('detects an edited event (even with JSON-level changes only)', () => {
    const events = chain(5);
    const edited = events.map((e) => ({ ...e }));
    (edited[2] as CustodyEvent).summary = 'event 3 (edited)';
    const v = verifyCustodyChain(edited, { expectedHead: headOf(events) });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'edited', seq: 3 })]);
  });

  it('detects an edited event whose hash was recomputed (the next link breaks)', () => {
    const events = chain(5);
    const forged = events.map((e) => ({ ...e }));
    const e3 = forged[2] as CustodyEvent;
    e3.actor = 'mallory';
    e3.hash = nextCustodyEvent(e3.caseId, { seq: 2, hash: e3.prevHash }, { type: e3.type, summary: e3.summary, actor: e3.actor, at: e3.at, data: e3.data }).hash;
    const v = verifyCustodyChain(forged);
    expect(v.problems.map((p) => [p.kind, p.seq])).toEqual([['broken-link', 4]]);
  });

  it('detects a removed event in the middle', () => {
    const events = chain(5);
    const v = verifyCustodyChain([...events.slice(0, 2), ...events.slice(3)]);
    expect(v.problems.map((p) => p.kind)).toEqual(['removed']);
    expect(v.problems[0]?.message).toMatch(/1 event missing before event 4/);
  });

  it('detects reordered events', () => {
    const events = chain(5);
    const swapped = [events[0], events[2], events[1], events[3], events[4]] as CustodyEvent[];
    const v = verifyCustodyChain(swapped);
    expect(v.ok).toBe(false);
    expect(v.problems.every((p) => p.kind === 'reordered')).toBe(true);
  });

  it('detects removed newest events only against the recorded head', () => {
    const events = chain(5);
    expect(verifyCustodyChain(events.slice(0, 4)).ok).toBe(true);
    const v = verifyCustodyChain(events.slice(0, 4), { expectedHead: headOf(events) });
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'truncated' })]);
  });

  it('reports malformed entries and events of another case', () => {
    const events = chain(3);
    const v = verifyCustodyChain([events[0], { nope: true }, events[2]], { caseId: 'AI-IR-2026-0002' });
    expect(v.problems.map((p) => p.kind)).toContain('malformed');
    expect(v.problems.map((p) => p.kind)).toContain('wrong-case');
  });
});
