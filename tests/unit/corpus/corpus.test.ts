/**
 * Runs the bad-input corpus (tests/corpus/manifest.ts). For every entry:
 * (a) `loadModel` records exactly the expected code(s) as problems — the file's fault (kind
 *     "input"), at the expected byte offset when one is given — and nothing else;
 * (b) comparing the entry with itself is never "clean": the verdict is inconclusive (or the entry's
 *     own `expect.verdict`), the report carries a parse-error finding with the code, and the CLI's
 *     exit code for it is 2 (1 for a tampered/malicious verdict);
 * (c) it finishes within its time budget in-process (250 ms of CPU unless the entry says otherwise).
 *
 * The real CLI runs once over a folder holding every entry (one sub-folder each), and must exit 2,
 * name each entry's file with its code on stderr, and never say clean. One CLI run per entry costs
 * about a second of CPU each; set SLEUTH_CORPUS_CLI=each to run them too. Entries marked
 * `knownIssue` are skipped unless SLEUTH_CORPUS_ALL=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, DEFAULT_BUDGET_MS, type CorpusEntry } from '../../corpus/manifest.ts';
import { compareInProcess, memorySources } from '../../fixtures/compare-both.ts';
import { runCli } from '../../fixtures/cli.ts';
import { writeModel, type ModelFiles } from '../../fixtures/model-files.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../../../src/lib/formats/errors.ts';
import { exitCodeFor } from '../../../src/cli/main.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';

const RUN_ALL = process.env['SLEUTH_CORPUS_ALL'] === '1';
const CLI_EACH = process.env['SLEUTH_CORPUS_CLI'] === 'each';
const runnable = (e: CorpusEntry): boolean => RUN_ALL || e.knownIssue === undefined;

function filesOf(e: CorpusEntry): ModelFiles {
  return { [e.name]: e.build(), ...(e.siblings?.() ?? {}) };
}

const expectedCodes = (e: CorpusEntry): ErrorCode[] => [...new Set([e.expect.code, ...(e.expect.alsoCodes ?? [])])].sort();
const folderOf = (e: CorpusEntry): string => e.id.replace(/\//g, '--');

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleuth-corpus-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('corpus manifest', () => {
  it('has unique ids, known input-error codes, and at least 25 safetensors/generic entries', () => {
    const ids = CORPUS.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of CORPUS) {
      expect(e.id.startsWith(`${e.format}/`), e.id).toBe(true);
      for (const code of expectedCodes(e)) {
        expect(isErrorCode(code), `${e.id}: ${code}`).toBe(true);
        expect(ERROR_CATALOGUE[code][0], `${e.id}: ${code}`).toBe('input');
      }
    }
    expect(CORPUS.filter((e) => e.format === 'safetensors' || e.format === 'generic' || e.format === 'safetensors-index').length).toBeGreaterThanOrEqual(25);
  });

  it('builders are hermetic: the same bytes every time', () => {
    for (const e of CORPUS.filter((x) => x.knownIssue === undefined)) expect(Buffer.from(e.build()).equals(e.build()), e.id).toBe(true);
  });
});

describe('corpus: every entry through loadModel and the in-process comparison', () => {
  for (const e of CORPUS) {
    (runnable(e) ? it : it.skip)(`${e.id} → ${e.expect.code}`, async () => {
      const files = filesOf(e);
      const sizes = new Map(Object.entries(files).map(([p, b]) => [p, b.byteLength] as const));

      // (c) time budget, in CPU time of this process (wall time means little on a shared 2-core
      // machine); one retry absorbs JIT warm-up.
      const budget = e.budgetMs ?? DEFAULT_BUDGET_MS;
      const timed = async (): Promise<[Awaited<ReturnType<typeof loadModel>>, number]> => {
        const before = process.cpuUsage();
        const m = await loadModel('corpus', memorySources(files));
        const used = process.cpuUsage(before);
        return [m, (used.user + used.system) / 1000];
      };
      let [manifest, ms] = await timed();
      if (ms > budget) {
        const [again, ms2] = await timed();
        manifest = again;
        ms = Math.min(ms, ms2);
      }
      expect(ms, `${e.id} took ${ms.toFixed(0)} ms of CPU`).toBeLessThan(budget);

      // (a) exactly the expected codes, each the file's fault, with offsets inside the file.
      expect([...new Set(manifest.problems.map((p) => p.code))].sort()).toEqual(expectedCodes(e));
      for (const p of manifest.problems) {
        expect(p.kind, p.message).toBe('input');
        if (p.offset !== undefined) {
          expect(p.offset).toBeGreaterThanOrEqual(0);
          expect(p.offset).toBeLessThanOrEqual(sizes.get(p.file ?? '') ?? Infinity);
        }
      }
      const main = manifest.problems.find((p) => p.code === e.expect.code && p.file === (e.expect.file ?? e.name));
      expect(main, `no ${e.expect.code} problem on ${e.expect.file ?? e.name}: ${JSON.stringify(manifest.problems)}`).toBeDefined();
      if (e.expect.offset !== undefined) expect(main?.offset, main?.message).toBe(e.expect.offset);

      // (b) never clean; the report names the code; the CLI exits 2 (1 when the entry's verdict is worse).
      const report = await compareInProcess(files, files);
      const verdict = e.expect.verdict ?? 'inconclusive';
      expect(report.verdict.status).toBe(verdict);
      const problems = [...(report.inputs.knownGood.problems ?? []), ...(report.inputs.suspect.problems ?? [])];
      expect(exitCodeFor(report.verdict.status, problems.length > 0)).toBe(verdict === 'inconclusive' ? 2 : 1);
      expect(report.findings.some((f) => f.kind === 'parse-error' && f.details?.['code'] === e.expect.code)).toBe(true);
    });
  }
});

describe('corpus: the real CLI', () => {
  it('compare <corpus folder> <corpus folder> exits 2, names every entry with its code, never says clean', async () => {
    const entries = CORPUS.filter(runnable);
    const all = join(root, 'all');
    for (const e of entries) await writeModel(join(all, folderOf(e)), filesOf(e));
    const r = await runCli(['compare', all, all, '--json', '-', '--workers', '2', '--engine', 'cpu', '--quiet'], { timeoutMs: 60_000 });
    // REPORT.md precedence: malicious-code > tampered > inconclusive.
    const verdicts = new Set(entries.map((e) => e.expect.verdict ?? 'inconclusive'));
    const worst = verdicts.has('malicious-code') ? 'malicious-code' : verdicts.has('tampered') ? 'tampered' : 'inconclusive';
    expect(r.exitCode, r.stderr.slice(0, 2000)).toBe(exitCodeFor(worst, true));
    expect(r.stderr).not.toMatch(/^CLEAN/m);
    expect((JSON.parse(r.stdout) as ReportV1).verdict.status).toBe(worst);

    // Every (entry, code) pair appears, and no other.
    const seen = new Set<string>();
    for (const m of r.stderr.matchAll(/^error: ([a-z0-9_]+) \(([^/]+)\//gm)) seen.add(`${m[2]} ${m[1]}`);
    const wanted = new Set(entries.flatMap((e) => expectedCodes(e).map((code) => `${folderOf(e)} ${code}`)));
    expect([...seen].sort()).toEqual([...wanted].sort());
    // The main problem of each entry, on the right file, at the right offset.
    for (const e of entries) {
      const where = `${folderOf(e)}/${e.expect.file ?? e.name}${e.expect.offset === undefined ? '' : ` @ byte ${e.expect.offset}`}`;
      expect(r.stderr, e.id).toContain(`error: ${e.expect.code} (${where}`);
    }
  });

  if (CLI_EACH) {
    for (const e of CORPUS.filter(runnable)) {
      it(`${e.id}: the CLI exits 2 with ${e.expect.code}`, async () => {
        const dir = join(root, 'each', folderOf(e));
        await writeModel(dir, filesOf(e));
        const path = e.siblings ? dir : join(dir, e.name);
        const r = await runCli(['compare', path, path, '--workers', '2', '--engine', 'cpu', '--quiet']);
        expect(r.exitCode, r.stderr).toBe((e.expect.verdict ?? 'inconclusive') === 'inconclusive' ? 2 : 1);
        expect(r.stderr).toContain(`error: ${e.expect.code} (`);
        expect(r.stderr).not.toMatch(/^CLEAN/m);
      });
    }
  }
});
