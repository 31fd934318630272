/**
 * "Must be exactly right" (issue 2): one case per situation an analyst meets, each run in-process
 * (the browser's code path) AND through the real CLI, with both reports required to agree to the
 * last bit (timestamps, durations, labels and notes aside), a third run on the other streaming plan
 * required to agree on everything but float rounding, and every SHA-256 the report gives recomputed
 * with node:crypto.
 *
 * Every run streams in small chunks (10,486 bytes for the CLI and its in-process twin: not a multiple
 * of a row, so rows span chunks; 4,096 bytes for the lockstep run), which also exercises the
 * shared-hash → clone path of tensors whose first chunks are identical and the file hash riding along
 * tensor reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { comparable, compareBoth, hashMismatches, jsonDifferences, type CompareBothResult } from '../../fixtures/compare-both.ts';
import { runCli } from '../../fixtures/cli.ts';
import { main } from '../../../src/cli/main.ts';
import { encodeValues, shardedFiles, singleFile, tensorSpecs, utf8, writeModel, type ModelFiles } from '../../fixtures/model-files.ts';
import { buildSafetensors, f16Bits } from '../../fixtures/safetensors-builder.ts';
import { clone, fineTune, find, flipBits, rank1Edit, rewriteRows, tinyConfigJson, tinyLlama, TINY, type FloatTensor, type TinyConfig } from '../../fixtures/tiny-llama.ts';
import { byteLevelTokenizerJson } from '../../fixtures/tokenizer.ts';
import type { ReportTensor, ReportV1, TensorStatus } from '../../../src/lib/report/types.ts';

const CONFIG: TinyConfig = { ...TINY, layers: 2 };
const BASE: readonly FloatTensor[] = tinyLlama(CONFIG, 7);
const NAMES = BASE.map((t) => t.name);
const CHUNK_ELEMENTS_F32 = Math.floor(Math.round(0.01 * 1024 * 1024) / 4); // 2621

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleuth-acceptance-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const f32Model = (tensors: readonly FloatTensor[]): ModelFiles => ({ 'model.safetensors': singleFile(tensors) });

/** Runs a case both ways and checks everything every case must satisfy; returns the CLI's report. */
async function check(expect: ExpectStatic, id: string, kg: ModelFiles, su: ModelFiles): Promise<CompareBothResult & { report: ReportV1 }> {
  const r = await compareBoth(join(root, id), kg, su);
  // The CLI and the browser path agree exactly (same plan, same chunks, same engine). Not
  // summary.bytesRead: the CLI's byte count arrives through comlink proxy messages that can land after
  // the job's result, so it may fall short (reported to the lead as a core bug).
  const cliVsInProcess = jsonDifferences(comparable(r.cli), comparable(r.inProcess), 0);
  expect(cliVsInProcess, cliVsInProcess.join('\n')).toEqual([]);
  // The other streaming plan (whole-file lockstep, 4 KiB chunks) agrees up to float summation order.
  const planVsPlan = jsonDifferences(comparable(r.lockstep), comparable(r.inProcess));
  expect(planVsPlan, planVsPlan.join('\n')).toEqual([]);
  // Every hash in the report is the SHA-256 of the bytes it claims to cover.
  expect(await hashMismatches(r.cli, kg, su)).toEqual([]);
  expect(await hashMismatches(r.lockstep, kg, su)).toEqual([]);
  // Exit code and the verdict line on stderr (REPORT.md).
  const status = r.cli.verdict.status;
  expect(r.exitCode, r.stderr).toBe(status === 'clean' || status === 'benign-precision' ? 0 : 1);
  expect(r.stderr).toContain(`${status.toUpperCase()}: `);
  // Verdict reasons name findings that exist.
  const ids = new Set(r.cli.findings.map((f) => f.id));
  for (const reason of r.cli.verdict.reasons) expect(ids.has(reason)).toBe(true);
  return { ...r, report: r.cli };
}

function statuses(report: ReportV1): Record<string, TensorStatus> {
  return Object.fromEntries(report.tensors.map((t) => [t.name, t.status]));
}

function tensor(report: ReportV1, name: string): ReportTensor {
  const t = report.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name} in the report`);
  return t;
}

function allBut(names: readonly string[], status: TensorStatus, except: Record<string, TensorStatus>): Record<string, TensorStatus> {
  return Object.fromEntries([...names.filter((n) => !(n in except)).map((n) => [n, status] as const), ...Object.entries(except)]);
}

const findingKinds = (report: ReportV1): string[] => [...new Set(report.findings.map((f) => f.kind))].sort();

describe.concurrent('must be exactly right: in-process and CLI agree', () => {
  it('an identical copy is clean', async ({ expect }) => {
    const files = f32Model(BASE);
    const { report } = await check(expect, 'identical', files, { 'model.safetensors': Uint8Array.from(files['model.safetensors'] as Uint8Array) });
    expect(report.verdict.status).toBe('clean');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', {}));
    expect(report.findings).toEqual([]);
    expect(report.inputs.knownGood.files[0]?.sha256).toBe(report.inputs.suspect.files[0]?.sha256);
  });

  it('the same tensors re-serialized (other order, other __metadata__, unpadded header) are clean, with a reserialized finding', async ({ expect }) => {
    const kg = { 'model.safetensors': singleFile(BASE, 'F32', { metadata: { format: 'pt' } }) };
    const reordered = [...BASE].reverse();
    const su = { 'model.safetensors': singleFile(reordered, 'F32', { metadata: { format: 'pt', source: 're-saved' }, pad: false }) };
    const headerLength = Number(new DataView((su['model.safetensors'] as Uint8Array).buffer).getBigUint64(0, true));
    expect(headerLength % 8).not.toBe(0); // really unpadded: tensor data starts unaligned
    const { report } = await check(expect, 'reserialized', kg, su);
    expect(report.verdict.status).toBe('clean');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', {}));
    expect(findingKinds(report)).toEqual(['file-hash-mismatch', 'reserialized']);
    expect(report.findings.every((f) => f.severity === 'info')).toBe(true);
    expect(report.inputs.knownGood.files[0]?.sha256).not.toBe(report.inputs.suspect.files[0]?.sha256);
    // Same tensor bytes, so the same per-tensor hashes on both sides.
    for (const t of report.tensors) expect(t.sha256.knownGood).toBe(t.sha256.suspect);
  });

  it('a 3-shard index folder holding the same tensors as a single file is clean', async ({ expect }) => {
    const config = utf8(tinyConfigJson(CONFIG));
    const kg = { 'model.safetensors': singleFile(BASE), 'config.json': config };
    const su = { ...shardedFiles(tensorSpecs(BASE), 3), 'config.json': config };
    expect(Object.keys(su).filter((p) => p.endsWith('.safetensors'))).toHaveLength(3);
    const { report } = await check(expect, 'sharded', kg, su);
    expect(report.verdict.status).toBe('clean');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', {}));
    expect(findingKinds(report)).toEqual(['reserialized']);
    const shards = new Set(report.tensors.map((t) => t.file?.suspect));
    expect([...shards].sort()).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  });

  it('a rank-1 update of one tensor: only that tensor is modified', async ({ expect }) => {
    const name = 'model.layers.1.mlp.down_proj.weight';
    const su = clone(BASE);
    rank1Edit(find(su, name), 0.01, 99);
    const { report } = await check(expect, 'rank1', f32Model(BASE), f32Model(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', { [name]: 'modified' }));
    const t = tensor(report, name);
    expect(t.delta?.changedCount).toBe(64 * 176);
    expect(t.delta?.changedRows).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(t.delta?.edit.kind).toBe('rank-1');
    expect(t.delta?.edit.rank).toBe(1);
    expect(report.findings.filter((f) => f.kind === 'tensor-modified').map((f) => f.tensor)).toEqual([name]);
    expect(report.verdict.reasons).toHaveLength(1);
  });

  it('a few embedding rows rewritten: changedRows lists exactly them (a row spans two chunks)', async ({ expect }) => {
    const name = 'model.embed_tokens.weight';
    const rows = [3, 40, 77, 200];
    // Row 40 covers elements 2560…2623, across the chunk boundary at element 2621.
    expect(40 * 64 < CHUNK_ELEMENTS_F32 && CHUNK_ELEMENTS_F32 < 41 * 64).toBe(true);
    const su = clone(BASE);
    rewriteRows(find(su, name), rows, 1234);
    const { report } = await check(expect, 'rows', f32Model(BASE), f32Model(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', { [name]: 'modified' }));
    const d = tensor(report, name).delta;
    expect(d?.changedRows).toEqual(rows);
    expect(d?.changedRowsTruncated).toBe(false);
    expect(d?.changedCount).toBe(rows.length * 64);
    expect(d?.topRows.map((r) => r.index).sort((a, b) => a - b)).toEqual(rows);
    expect(d?.topRows.every((r) => r.changed === 64)).toBe(true);
    expect(d?.edit.kind).toBe('rows');
    // Row L2 norms equal the norms of the actual row deltas.
    const a = find(BASE, name).values;
    const b = find(su, name).values;
    for (const r of d?.topRows ?? []) {
      let s = 0;
      for (let j = 0; j < 64; j++) s += ((a[r.index * 64 + j] as number) - (b[r.index * 64 + j] as number)) ** 2;
      expect(r.l2).toBeCloseTo(Math.sqrt(s), 12);
    }
  });

  it('three exponent-bit flips: changedCount 3, their N-d indices, bit 30 named as exponent', async ({ expect }) => {
    const name = 'model.layers.1.self_attn.o_proj.weight';
    // All three after the first chunk (element 2621), so the tensor's first chunk is identical on both
    // sides: one shared hasher, cloned at the first differing chunk.
    const flat = [2700, 3001, 4095];
    const su = clone(BASE);
    flipBits(find(su, name), flat, 30);
    const { report } = await check(expect, 'bitflips', f32Model(BASE), f32Model(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', { [name]: 'modified' }));
    const d = tensor(report, name).delta;
    expect(d?.changedCount).toBe(3);
    expect(d?.changedRows).toEqual([42, 46, 63]);
    const top = [...(d?.topElements ?? [])].sort((x, y) => (x.index[0] as number) - (y.index[0] as number));
    expect(top.map((e) => e.index)).toEqual([
      [42, 12],
      [46, 57],
      [63, 63],
    ]);
    expect(top.map((e) => e.flippedBits)).toEqual([[30], [30], [30]]);
    const kgValues = find(BASE, name).values;
    const suValues = find(su, name).values;
    expect(top.map((e) => e.knownGood)).toEqual(flat.map((i) => kgValues[i]));
    expect(top.map((e) => e.suspect)).toEqual(flat.map((i) => suValues[i]));
    expect(d?.edit.kind).toBe('sparse');
    expect(d?.edit.explanation).toContain('exponent bit 30');
    const finding = report.findings.find((f) => f.tensor === name);
    expect(finding?.kind).toBe('tensor-modified');
    expect(finding?.message).toContain('exponent bit 30');
  });

  it('one tensor added and one removed', async ({ expect }) => {
    const removed = 'model.layers.0.self_attn.k_proj.weight';
    const added = 'model.layers.0.self_attn.k_proj.lora_B';
    const su = clone(BASE).filter((t) => t.name !== removed);
    su.push({ name: added, shape: [32, 8], values: Float32Array.from({ length: 256 }, (_, i) => i / 256) });
    const { report } = await check(expect, 'added-removed', f32Model(BASE), f32Model(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut([...NAMES, added], 'identical', { [removed]: 'removed', [added]: 'added' }));
    expect(report.findings.filter((f) => f.kind === 'tensor-removed').map((f) => f.tensor)).toEqual([removed]);
    expect(report.findings.filter((f) => f.kind === 'tensor-added').map((f) => f.tensor)).toEqual([added]);
    expect(tensor(report, added).sha256.knownGood).toBeNull();
    expect(tensor(report, removed).sha256.suspect).toBeNull();
  });

  it('every tensor cast F32 → F16 (round-to-nearest-even): all dtype-changed, precision, benign-precision', async ({ expect }) => {
    const { report } = await check(expect, 'f16-cast', f32Model(BASE), { 'model.safetensors': singleFile(BASE, 'F16') });
    expect(report.verdict.status).toBe('benign-precision');
    expect(statuses(report)).toEqual(allBut(NAMES, 'dtype-changed', {}));
    for (const t of report.tensors) {
      expect(t.dtype).toEqual({ knownGood: 'F32', suspect: 'F16' });
      expect(t.delta?.edit.kind).toBe('precision');
      expect(t.delta?.precisionViolations).toBe(0);
    }
    expect(findingKinds(report)).toEqual(['dtype-changed', 'file-hash-mismatch']);
  });

  it('every tensor cast F32 → BF16: benign-precision', async ({ expect }) => {
    const { report } = await check(expect, 'bf16-cast', f32Model(BASE), { 'model.safetensors': singleFile(BASE, 'BF16') });
    expect(report.verdict.status).toBe('benign-precision');
    expect(statuses(report)).toEqual(allBut(NAMES, 'dtype-changed', {}));
    expect(report.tensors.every((t) => t.delta?.edit.kind === 'precision' && t.dtype.suspect === 'BF16')).toBe(true);
  });

  it('an F16 copy with one edit beyond rounding is tampered, naming that tensor', async ({ expect }) => {
    const name = 'model.layers.1.self_attn.v_proj.weight';
    const su = clone(BASE);
    const v = find(su, name).values;
    v[100] = (v[100] as number) + 0.25;
    // The edit really is beyond F16 rounding of the known-good value.
    expect(f16Bits(v[100] as number)).not.toBe(f16Bits(find(BASE, name).values[100] as number));
    const { report } = await check(expect, 'f16-plus-edit', f32Model(BASE), { 'model.safetensors': singleFile(su, 'F16') });
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'dtype-changed', {}));
    const t = tensor(report, name);
    expect(t.delta?.precisionViolations).toBe(1);
    expect(t.delta?.edit.kind).not.toBe('precision');
    expect(t.delta?.topElements[0]?.index).toEqual([1, 36]);
    const reasons = report.findings.filter((f) => report.verdict.reasons.includes(f.id));
    expect(reasons.map((f) => [f.kind, f.tensor])).toEqual([['dtype-changed', name]]);
    for (const other of report.tensors.filter((x) => x.name !== name)) expect(other.delta?.edit.kind).toBe('precision');
  });

  it('a BF16 model with one row negated: exactly that row, sign bit flipped', async ({ expect }) => {
    const name = 'model.layers.0.mlp.gate_proj.weight';
    const row = 17;
    const su = clone(BASE);
    const t = find(su, name);
    for (let j = 0; j < 64; j++) t.values[row * 64 + j] = -(t.values[row * 64 + j] as number);
    const bf16 = (m: readonly FloatTensor[]): ModelFiles => ({ 'model.safetensors': singleFile(m, 'BF16') });
    const { report } = await check(expect, 'bf16-row', bf16(BASE), bf16(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', { [name]: 'modified' }));
    const d = tensor(report, name).delta;
    expect(d?.changedRows).toEqual([row]);
    expect(d?.changedCount).toBe(64);
    expect(d?.edit.kind).toBe('rows');
    expect(d?.topElements.every((e) => e.index[0] === row && JSON.stringify(e.flippedBits) === '[15]')).toBe(true);
    expect(tensor(report, name).dtype).toEqual({ knownGood: 'BF16', suspect: 'BF16' });
  });

  it('a full fine-tune: every tensor modified', async ({ expect }) => {
    const su = clone(BASE);
    fineTune(su, 1e-3, 42);
    const { report } = await check(expect, 'fine-tune', f32Model(BASE), f32Model(su));
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'modified', {}));
    for (const t of report.tensors) {
      expect(t.delta?.edit.kind).toBe('dense');
      expect(t.delta?.changedFraction).toBeGreaterThan(0.99);
    }
  });

  it('tokenizer.json changed, weights identical: tampered with tokenizer-changed', async ({ expect }) => {
    const weights = singleFile(BASE);
    const config = utf8(tinyConfigJson(CONFIG));
    const kg = { 'model.safetensors': weights, 'config.json': config, 'tokenizer.json': utf8(byteLevelTokenizerJson()) };
    const su = { 'model.safetensors': weights, 'config.json': config, 'tokenizer.json': utf8(byteLevelTokenizerJson(['<|backdoor|>'])) };
    const { report } = await check(expect, 'tokenizer', kg, su);
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', {}));
    const reasons = report.findings.filter((f) => report.verdict.reasons.includes(f.id));
    expect(reasons.map((f) => [f.kind, f.file])).toEqual([['tokenizer-changed', 'tokenizer.json']]);
  });

  it('config.json changed, weights identical: tampered with config-changed', async ({ expect }) => {
    const weights = singleFile(BASE);
    const tokenizer = utf8(byteLevelTokenizerJson());
    const kg = { 'model.safetensors': weights, 'config.json': utf8(tinyConfigJson(CONFIG)), 'tokenizer.json': tokenizer };
    const su = { 'model.safetensors': weights, 'config.json': utf8(tinyConfigJson(CONFIG).replace('"rope_theta": 10000', '"rope_theta": 500000')), 'tokenizer.json': tokenizer };
    expect(su['config.json']).not.toEqual(kg['config.json']);
    const { report } = await check(expect, 'config', kg, su);
    expect(report.verdict.status).toBe('tampered');
    expect(statuses(report)).toEqual(allBut(NAMES, 'identical', {}));
    const reasons = report.findings.filter((f) => report.verdict.reasons.includes(f.id));
    expect(reasons.map((f) => [f.kind, f.file])).toEqual([['config-changed', 'config.json']]);
  });
});

/** The CLI's `main` in this process (argument parsing and error paths that start no workers). */
async function mainInProcess(argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), isTTY: false });
  return { exitCode, stdout, stderr };
}

describe.concurrent('CLI exit codes', () => {
  it('the binary exits 2 on a usage error (no command)', async ({ expect }) => {
    const r = await runCli([]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain('Usage:');
  });

  it('usage errors exit 2 with the usage code on stderr', async ({ expect }) => {
    for (const args of [['compare', 'only-one-path'], ['compare', 'a', 'b', '--no-such-flag'], ['frobnicate'], ['compare', 'a', 'b', '--workers', '0'], ['compare', 'a', 'b', '--chunk-mb', '0']]) {
      const r = await mainInProcess(args);
      expect(r.exitCode, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('error: usage');
    }
    expect((await mainInProcess(['--version'])).exitCode).toBe(0);
    expect((await mainInProcess(['--help'])).exitCode).toBe(0);
  });

  it('a path that does not exist exits 2 with read_failed', async ({ expect }) => {
    const r = await mainInProcess(['compare', join(root, 'no-such-model'), join(root, 'no-such-model-either'), '--workers', '2']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: read_failed');
  });

  it('an unreadable model on both sides exits 2 with the file code on stderr, never clean', async ({ expect }) => {
    const dir = join(root, 'exit-unreadable');
    const lfs = utf8('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 874624\n');
    await writeModel(dir, { 'model.safetensors': lfs });
    const file = join(dir, 'model.safetensors');
    const r = await mainInProcess(['compare', file, file, '--json', '-', '--workers', '2']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('git_lfs_pointer (model.safetensors');
    expect((JSON.parse(r.stdout) as ReportV1).verdict.status).toBe('inconclusive');
    expect(r.stderr).not.toMatch(/^CLEAN/m);
  });

  it('tampered beats unreadable input: exit 1 when a readable part was changed', async ({ expect }) => {
    const dir = join(root, 'exit-tampered-and-unreadable');
    const su = clone(BASE);
    flipBits(find(su, 'model.norm.weight'), [1], 30);
    const broken = buildSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: encodeValues([1, 2], 'F32') }]).subarray(0, 20);
    await writeModel(join(dir, 'kg'), { 'model.safetensors': singleFile(BASE), 'extra.safetensors': broken });
    await writeModel(join(dir, 'su'), { 'model.safetensors': singleFile(su), 'extra.safetensors': broken });
    const r = await mainInProcess(['compare', join(dir, 'kg'), join(dir, 'su'), '--json', '-', '--workers', '2', '--quiet']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout) as ReportV1).verdict.status).toBe('tampered');
    expect(r.stderr).toContain('extra.safetensors');
  });
});
