/**
 * The fuzz targets — every parser of hostile bytes — and the properties each run must keep:
 *
 * 1. it succeeds, or fails with a SleuthError (a result's error/problem) whose catalogued code is
 *    of kind 'input' — never 'internal', never a TypeError/RangeError/anything else;
 * 2. the same input gives the same result (each case is run twice and the results compared);
 * 3. every offset it reports, and every tensor byte range it describes, lies inside the input;
 * 4. pickles: the policy never says safe about a scan that stopped early or saw anomalies — an
 *    incomplete scan yields a high finding, every anomaly and every unsafe global a finding.
 *
 * `runTarget` runs one input and returns the properties it broke (empty = fine) plus a normalized
 * outcome; it is what the watchdog worker (./worker.ts) executes for each case.
 */
import { decodeUtf8Strict } from '../../src/lib/formats/bytes.ts';
import { ERROR_CATALOGUE, isErrorCode, SleuthError, type ErrorInfo } from '../../src/lib/formats/errors.ts';
import { ggufToTensorEntries, mapGgufTensors, parseGguf } from '../../src/lib/formats/gguf/index.ts';
import { readTokenizerJson } from '../../src/lib/formats/hf/tokenizer-json.ts';
import type { HfProblem } from '../../src/lib/formats/hf/read-json.ts';
import type { ModelManifest, TensorEntry } from '../../src/lib/formats/manifest.ts';
import { loadModel } from '../../src/lib/formats/model-loader.ts';
import { parseNpy, parseNpz } from '../../src/lib/formats/numpy/index.ts';
import type { SecurityFinding } from '../../src/lib/formats/pickle/findings.ts';
import { classifyGlobal, evaluatePickle } from '../../src/lib/formats/pickle/policy.ts';
import { scanPickle, scanPickleStream, type PickleScan } from '../../src/lib/formats/pickle/scan-pickle.ts';
import { parseTorchCheckpoint } from '../../src/lib/formats/pytorch/parse-torch.ts';
import { parseSafetensors } from '../../src/lib/formats/safetensors/parse-safetensors.ts';
import { parseStrictJson } from '../../src/lib/formats/strict-json.ts';
import { readZipDirectory, readZipMember } from '../../src/lib/formats/zip/read-zip.ts';
import { MemorySource } from '../../src/lib/io/byte-source.ts';

export const TARGETS = ['safetensors', 'gguf', 'zip', 'pickle', 'torch', 'npy', 'npz', 'strict-json', 'tokenizer-json', 'loader'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface TargetRun {
  /** Properties broken, one line each (empty: the case is fine). */
  violations: string[];
  /** 'ok' (parsed), 'input-error' (rejected with a catalogued input code). */
  outcome: 'ok' | 'input-error';
  /** The error code when rejected (or the first problem's code). */
  code?: string;
  /** Deterministic summary of the result (compared across the two runs). */
  summary: string;
  /** Wall time of the first run, ms (on a loaded machine it includes time spent waiting for a core). */
  ms: number;
  /**
   * CPU time of the process during the first run, ms: the case's own cost when it runs in the only
   * busy thread (one watchdog worker, the parent waiting for it) — unlike wall time, not inflated
   * by other processes competing for the cores.
   */
  cpuMs: number;
}

/** File name the loader target saves a seed under (decides the role and the sniffing tie-breaks). */
export type LoaderName = `${string}.${'safetensors' | 'gguf' | 'pt' | 'bin' | 'pkl' | 'npy' | 'npz' | 'json'}`;

const HF_CODES = new Set(['hf_not_object', 'hf_too_many', 'hf_bad_field', 'hf_bad_vocab_entry', 'hf_duplicate_token_id', 'hf_duplicate_token', 'hf_bad_merge', 'hf_bad_added_token', 'hf_bad_template']);

function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x.entries()] : x instanceof Set ? [...x] : ArrayBuffer.isView(x) ? `<${(x as ArrayBufferView).byteLength} bytes>` : x));
}

class Checker {
  readonly violations: string[] = [];
  constructor(readonly size: number) {}
  fail(what: string): void {
    if (this.violations.length < 20) this.violations.push(what);
  }
  offset(what: string, offset: number | undefined, size = this.size): void {
    if (offset === undefined) return;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) this.fail(`${what}: offset ${offset} outside the input (0…${size})`);
  }
  range(what: string, start: number, length: number): void {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > this.size) this.fail(`${what}: bytes [${start}, +${length}) outside the input (${this.size} bytes)`);
  }
  /** An error info from a result (a problem): catalogued, of kind input, offset inside. */
  info(what: string, e: ErrorInfo): void {
    if (!isErrorCode(e.code)) this.fail(`${what}: uncatalogued code ${e.code}`);
    else if (ERROR_CATALOGUE[e.code][0] !== 'input') this.fail(`${what}: ${e.code} is of kind ${ERROR_CATALOGUE[e.code][0]} (${e.message.slice(0, 200)})`);
    this.offset(`${what} ${e.code}`, e.offset);
  }
  tensors(what: string, tensors: readonly TensorEntry[]): void {
    for (const t of tensors) {
      this.range(`${what} tensor "${t.name.slice(0, 60)}"`, t.byteOffset, t.byteLength);
      if (t.layout.storage) this.range(`${what} storage of "${t.name.slice(0, 60)}"`, t.layout.storage.byteOffset, t.layout.storage.byteLength);
    }
  }
  findings(what: string, findings: readonly SecurityFinding[]): void {
    // Findings inside a deflated member carry offsets in its inflated content (documented); the
    // others point into the file.
    for (const f of findings) if (f.member === undefined) this.offset(`${what} finding ${f.code}`, f.offset);
  }
}

/**
 * Pickle policy property: a scan that stopped early or saw anomalies is never rated safe. An
 * incomplete scan gives a high (or critical) finding; every anomaly code appears as a
 * pickle-anomaly finding; every global the policy calls unsafe appears as an unsafe-pickle-global.
 */
export function checkPicklePolicy(c: Checker, scan: PickleScan, what: string): void {
  const findings = evaluatePickle(scan, { file: 'fuzz.pkl' });
  if (!scan.complete && !findings.some((f) => f.severity === 'high' || f.severity === 'critical')) c.fail(`${what}: incomplete scan (${scan.error?.code ?? '?'}) rated without a high finding`);
  const anomalyCodes = new Set(findings.filter((f) => f.kind === 'pickle-anomaly').map((f) => f.code));
  for (const a of scan.anomalies) if (!anomalyCodes.has(a.code)) c.fail(`${what}: anomaly ${a.code} has no finding`);
  const unsafe = new Set(findings.filter((f) => f.kind === 'unsafe-pickle-global').map((f) => f.code));
  for (const g of scan.globals) {
    if (classifyGlobal(g.module, g.name).verdict === 'unsafe' && !unsafe.has(`${g.module}.${g.name}`)) c.fail(`${what}: unsafe global ${g.module}.${g.name} has no finding`);
  }
  if (scan.error) c.info(`${what} scan error`, scan.error);
  c.offset(`${what} end`, scan.endOffset);
  for (const g of scan.globals) c.offset(`${what} global`, g.offset);
  for (const a of scan.anomalies) c.offset(`${what} anomaly ${a.code}`, a.offset);
}

function manifestSummary(m: ModelManifest): unknown {
  return {
    problems: m.problems.map((p) => [p.code, p.offset, p.file, p.message]),
    tensors: m.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteOffset, t.byteLength, t.layout.kind]),
    notices: m.notices.map((n) => [n.kind, n.key, n.severity, n.offset, n.message]),
    files: m.files.map((f) => [f.path, f.format]),
  };
}

/** Runs the parser of `target` on `bytes` once: violations found and a summary of the result. */
async function runOnce(target: TargetName, bytes: Uint8Array, name: string): Promise<{ c: Checker; summary: unknown; outcome: TargetRun['outcome']; code?: string }> {
  const c = new Checker(bytes.length);
  // Sidecars are read as strict UTF-8 (model-loader.ts readSidecarText): invalid text never reaches the JSON readers.
  const text = (): string => {
    const t = decodeUtf8Strict(bytes);
    if (t === undefined) throw new SleuthError('json_not_utf8', 'The text is not valid UTF-8', { offset: 0 });
    return t;
  };
  try {
    switch (target) {
      case 'safetensors': {
        const h = await parseSafetensors(new MemorySource('model.safetensors', bytes));
        for (const t of h.tensors) c.range(`tensor "${t.name.slice(0, 60)}"`, h.dataStart + t.begin, t.end - t.begin);
        return { c, summary: h, outcome: 'ok' };
      }
      case 'gguf': {
        const g = await parseGguf(new MemorySource('model.gguf', bytes));
        for (const t of g.tensors) c.range(`tensor "${t.name.slice(0, 60)}"`, t.byteOffset, t.byteLength);
        for (const r of g.unclaimed) c.range('unclaimed range', r.offset, r.length);
        // Vocabulary-only files may end before the aligned data start (valid); with tensors it is inside.
        if (g.tensors.length > 0) c.offset('data start', g.dataStart);
        mapGgufTensors(g);
        const entries = ggufToTensorEntries(g, 'model.gguf');
        c.tensors('entry', entries);
        return { c, summary: { v: g.version, keys: [...g.metadata.keys()], tensors: g.tensors, unclaimed: g.unclaimed, entries }, outcome: 'ok' };
      }
      case 'zip': {
        const src = new MemorySource('archive.zip', bytes);
        const dir = await readZipDirectory(src);
        // localHeaderOffset is the stated field (may lie anywhere); a located member's data is inside.
        for (const e of dir.entries) if (e.dataOffset !== undefined) c.range(`member "${e.name.slice(0, 60)}" data`, e.dataOffset, e.compressedSize);
        for (const a of dir.anomalies) c.offset(`anomaly ${a.code}`, a.offset);
        // Read the first members whole (inflate included), as the checkpoint readers do.
        const reads: unknown[] = [];
        for (const e of dir.entries.slice(0, 4)) {
          try {
            reads.push((await readZipMember(src, e, 1 << 20)).length);
          } catch (err) {
            if (!(err instanceof SleuthError)) throw err;
            c.info(`reading "${e.name.slice(0, 60)}"`, err.toInfo());
            reads.push(err.code);
          }
        }
        return { c, summary: { entries: dir.entries, anomalies: dir.anomalies, reads }, outcome: 'ok' };
      }
      case 'pickle': {
        const scan = await scanPickle(bytes, { file: 'fuzz.pkl' });
        checkPicklePolicy(c, scan, 'scan');
        const stream = await scanPickleStream(bytes, { file: 'fuzz.pkl', maxPickles: 8, keepRoot: false });
        stream.forEach((s, i) => checkPicklePolicy(c, s, `stream pickle ${i}`));
        const { root: _root, ...rest } = scan;
        return { c, summary: { scan: rest, stream: stream.map((s) => [s.complete, s.endOffset, s.globals, s.anomalies.map((a) => a.code)]) }, outcome: scan.complete ? 'ok' : 'input-error', ...(scan.error ? { code: scan.error.code } : {}) };
      }
      case 'torch': {
        const r = await parseTorchCheckpoint(new MemorySource('model.pt', bytes));
        c.tensors('tensor', r.tensors);
        for (const p of r.problems) c.info('problem', p);
        c.findings('torch', r.findings);
        for (const p of r.pickles) if (p.member === undefined) checkPicklePolicy(c, p.scan, 'pickle');
        return { c, summary: { format: r.format, tensors: r.tensors, problems: r.problems, findings: r.findings }, outcome: r.problems.length ? 'input-error' : 'ok', ...(r.problems[0] ? { code: r.problems[0].code } : {}) };
      }
      case 'npy':
      case 'npz': {
        const src = new MemorySource(target === 'npy' ? 'arrays.npy' : 'arrays.npz', bytes);
        const r = target === 'npy' ? await parseNpy(src) : await parseNpz(src);
        c.tensors('tensor', r.tensors);
        for (const p of r.problems) c.info('problem', p);
        c.findings(target, r.findings);
        return { c, summary: { arrays: r.arrays, tensors: r.tensors, problems: r.problems, findings: r.findings }, outcome: r.problems.length ? 'input-error' : 'ok', ...(r.problems[0] ? { code: r.problems[0].code } : {}) };
      }
      case 'strict-json': {
        const t = text();
        const a = parseStrictJson(t, { integers: 'bigint' });
        const b = parseStrictJson(t);
        return { c, summary: [a, b], outcome: 'ok' };
      }
      case 'tokenizer-json': {
        const r = readTokenizerJson(text(), 'tokenizer.json');
        const check = (p: HfProblem): void => {
          if (!HF_CODES.has(p.code) && !(isErrorCode(p.code) && ERROR_CATALOGUE[p.code][0] === 'input')) c.fail(`tokenizer problem with code ${p.code}`);
          c.offset(`tokenizer problem ${p.code}`, p.offset);
        };
        if (r.ok) r.warnings.forEach(check);
        else check(r.error);
        return { c, summary: r.ok ? { vocab: r.value.vocab.idToToken.size, merges: r.value.merges.length, added: r.value.addedTokens.length, warnings: r.warnings } : r.error, outcome: r.ok ? 'ok' : 'input-error', ...(r.ok ? {} : { code: r.error.code }) };
      }
      case 'loader': {
        const m = await loadModel('fuzz', [new MemorySource(name, bytes)]);
        for (const p of m.problems) c.info('problem', p);
        c.tensors('tensor', m.tensors);
        for (const n of m.notices) if (n.details?.['member'] === undefined) c.offset(`notice ${n.key}`, n.offset);
        return { c, summary: manifestSummary(m), outcome: m.problems.length ? 'input-error' : 'ok', ...(m.problems[0] ? { code: m.problems[0].code } : {}) };
      }
    }
  } catch (e) {
    if (!(e instanceof SleuthError)) {
      c.fail(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300));
      return { c, summary: { threw: String(e) }, outcome: 'input-error' };
    }
    c.info('thrown', e.toInfo());
    return { c, summary: e.toInfo(), outcome: 'input-error', code: e.code };
  }
}

/** One fuzz case: the target twice (determinism), with all properties checked. */
export async function runTarget(target: TargetName, bytes: Uint8Array, name: string): Promise<TargetRun> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const first = await runOnce(target, bytes, name);
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const second = await runOnce(target, bytes, name);
  const a = stringify(first.summary);
  const b = stringify(second.summary);
  const violations = [...first.c.violations];
  if (a !== b) violations.push(`not deterministic: ${a.slice(0, 150)} … vs ${b.slice(0, 150)} …`);
  const run: TargetRun = { violations, outcome: first.outcome, summary: a.length > 2000 ? `${a.slice(0, 2000)}…` : a, ms, cpuMs };
  if (first.code !== undefined) run.code = first.code;
  return run;
}
