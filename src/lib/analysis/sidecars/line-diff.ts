/**
 * A unified line diff (as `diff -u` writes it) for chat templates and other small text files, as
 * plain text for a report's details. Myers' O((N+M)·D) algorithm on the lines between the common
 * prefix and suffix; past MAX_EDIT_DISTANCE edits (a rewritten file) the middle is shown as one
 * block removed and one added, which is still a correct diff, only not a minimal one.
 */

export interface LineDiff {
  /** `--- a` / `+++ b` / `@@ … @@` hunks; empty when the texts are equal. */
  unified: string;
  added: number;
  removed: number;
  /** The diff text was cut at MAX_DIFF_CHARS. */
  truncated: boolean;
}

/** Edits searched for a minimal script. Threat: O(D²) memory for the trace on hostile input. */
const MAX_EDIT_DISTANCE = 2000;
/** Characters of diff text kept in details. Largest real template: ~40 kB. */
export const MAX_DIFF_CHARS = 200_000;
const CONTEXT = 3;

type Op = { t: ' ' | '-' | '+'; line: string; a: number; b: number };

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Myers' greedy forward search with a trace, then backtracking. Returns undefined past `maxD`. */
function myers(a: readonly string[], b: readonly string[], maxD: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) x = v[offset + k + 1] ?? 0;
      else x = (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        return backtrack(a, b, trace, offset, d);
      }
    }
    v = next;
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], offset: number, dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d >= 0; d--) {
    const v = trace[d] as Int32Array; // V before step d
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = 0;
    else if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : (v[offset + prevK] ?? 0);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ t: ' ', line: a[x] ?? '', a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) {
        y--;
        ops.push({ t: '+', line: b[y] ?? '', a: x, b: y });
      } else {
        x--;
        ops.push({ t: '-', line: a[x] ?? '', a: x, b: y });
      }
    }
  }
  return ops.reverse();
}

function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ops: Op[] = [];
  for (let i = 0; i < pre; i++) ops.push({ t: ' ', line: a[i] ?? '', a: i, b: i });
  const midA = a.slice(pre, a.length - suf);
  const midB = b.slice(pre, b.length - suf);
  const mid = myers(midA, midB, MAX_EDIT_DISTANCE) ?? [
    ...midA.map((line, i): Op => ({ t: '-', line, a: i, b: 0 })),
    ...midB.map((line, i): Op => ({ t: '+', line, a: midA.length, b: i })),
  ];
  for (const op of mid) ops.push({ ...op, a: op.a + pre, b: op.b + pre });
  for (let i = suf; i > 0; i--) ops.push({ t: ' ', line: a[a.length - i] ?? '', a: a.length - i, b: b.length - i });
  return ops;
}

export function unifiedDiff(aText: string, bText: string, aName = 'known-good', bName = 'suspect'): LineDiff {
  const a = splitLines(aText);
  const b = splitLines(bText);
  const ops = editScript(a, b);
  let added = 0;
  let removed = 0;
  for (const op of ops) {
    if (op.t === '+') added++;
    else if (op.t === '-') removed++;
  }
  if (added === 0 && removed === 0) return { unified: '', added, removed, truncated: false };

  const out: string[] = [`--- ${aName}`, `+++ ${bName}`];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.t === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - CONTEXT);
    // Extend the hunk while the next change is within 2·CONTEXT unchanged lines.
    let end = i;
    let lastChange = i;
    while (end < ops.length) {
      if (ops[end]?.t !== ' ') lastChange = end;
      else if (end - lastChange > 2 * CONTEXT) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + CONTEXT + 1);
    const hunk = ops.slice(start, end);
    const first = hunk[0];
    const aStart = first ? first.a : 0;
    const bStart = first ? first.b : 0;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    i = end;
  }
  let unified = out.join('\n') + '\n';
  let truncated = false;
  if (unified.length > MAX_DIFF_CHARS) {
    unified = `${unified.slice(0, MAX_DIFF_CHARS)}\n… (diff cut at ${MAX_DIFF_CHARS} characters)\n`;
    truncated = true;
  }
  return { unified, added, removed, truncated };
}

/**
 * Where two texts first differ: offset, line and column (1-based), the shared text just before it,
 * and each side's text from that point on (`context` characters each).
 */
export function firstDifference(a: string, b: string, context = 40): { offset: number; line: number; column: number; before: string; knownGood: string; suspect: string } | undefined {
  if (a === b) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Do not split a surrogate pair.
  if (i > 0 && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff) i--;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < i; k++) {
    if (a.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { offset: i, line, column: i - lineStart + 1, before: a.slice(Math.max(0, i - context), i), knownGood: a.slice(i, i + context), suspect: b.slice(i, i + context) };
}
