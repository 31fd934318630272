/**
 * Manifests: sha256sum files both ways (checked with the real `sha256sum -c` on real files) and
 * OpenSSF Model Signing bundles built here with a WebCrypto key — per-file and per-shard digests,
 * signature by key and by certificate, hostile names, and the drill-down from a mismatching file or
 * shard to the tensors in it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { formatChecksums, parseChecksums } from '../../../src/lib/evidence/manifests/sha256sum.ts';
import { parseOmsManifest, parseShardName } from '../../../src/lib/evidence/manifests/oms.ts';
import { readVerificationKey } from '../../../src/lib/evidence/manifests/signature.ts';
import { attachTensors, verifyModelAgainstManifest, type ManifestVerification } from '../../../src/lib/evidence/manifests/verify-model.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { clone, find, tinyConfigJson, tinyLlama, type TinyConfig } from '../../fixtures/tiny-llama.ts';
import { fileResources, generateKey, selfSignedCertificate, shardResources, signBundle, statement } from '../../fixtures/oms/build-oms.ts';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'model-sleuth-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeTree(dir: string, files: Record<string, Uint8Array | string>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
}

const CFG: TinyConfig = { vocab: 64, hidden: 32, intermediate: 64, layers: 3, heads: 4, kvHeads: 2, tieEmbeddings: false };

function modelFiles(edit = false): Record<string, Uint8Array> {
  const tensors = tinyLlama(CFG, 3);
  const t = edit ? clone(tensors) : tensors;
  if (edit) {
    const target = find(t, 'model.layers.1.mlp.down_proj.weight');
    target.values[100] = (target.values[100] ?? 0) + 1;
  }
  return {
    'model.safetensors': buildSafetensors(t.map((x) => ({ name: x.name, dtype: 'F32', shape: x.shape, data: f32Bytes(x.values) }))),
    'config.json': new TextEncoder().encode(tinyConfigJson(CFG)),
  };
}

function memoryHasher(files: Record<string, Uint8Array>) {
  return async (path: string, range?: readonly [number, number]): Promise<string> => {
    const b = files[path];
    if (!b) throw new Error('no such file');
    return sha(range ? b.subarray(range[0], range[1]) : b);
  };
}

const listOf = (files: Record<string, Uint8Array>) => Object.entries(files).map(([path, b]) => ({ path, size: b.length }));

describe('sha256sum files', () => {
  const names = ['model.safetensors', 'sub dir/config.json', 'we\\ird.json', 'new\nline.txt', 'cr\rx.bin', 'ünïcødé.json'];
  const files: Record<string, Uint8Array> = Object.fromEntries(names.map((n, i) => [n, new TextEncoder().encode(`file ${i} ${n}`)]));

  it('writes a checksums.sha256 that the real `sha256sum -c` accepts, escaped names included', () => {
    const dir = join(tmp, 'sums');
    writeTree(dir, files);
    const text = formatChecksums(names.map((path) => ({ path, sha256: sha(files[path] ?? new Uint8Array()) })));
    writeFileSync(join(dir, 'checksums.sha256'), text);
    const out = execFileSync('sha256sum', ['-c', 'checksums.sha256'], { cwd: dir, encoding: 'utf8' });
    expect(out.split('\n').filter((l) => l.endsWith(': OK'))).toHaveLength(names.length);
    // ...and reads back what sha256sum itself writes for the same files.
    const theirs = execFileSync('sha256sum', names, { cwd: dir, encoding: 'utf8' });
    expect(parseChecksums(theirs).entries.map((e) => e.path)).toEqual(names);
    expect(theirs).toBe(text);
  });

  it('reads text and binary markers, CRLF, comments, BSD tags; reports bad lines with their numbers', () => {
    const h = 'ab'.repeat(32);
    const text = `# made by hand\r\n${h}  a.bin\r\n${h} *b.bin\r\n\r\nSHA256 (c d.bin) = ${h.toUpperCase()}\r\nnot a checksum line\r\n${h.slice(2)}  short.bin\r\nMD5 (x) = abc\r\n`;
    const p = parseChecksums(text);
    expect(p.entries.map((e) => [e.path, e.binary, e.line])).toEqual([
      ['a.bin', false, 2],
      ['b.bin', true, 3],
      ['c d.bin', true, 5],
    ]);
    expect(p.entries.every((e) => e.sha256 === h)).toBe(true);
    expect(p.problems.map((x) => x.line)).toEqual([6, 7, 8]);
    expect(p.problems[1]?.message).toMatch(/62 hex digits/);
  });

  it('treats hostile names as data: they match no enumerated file and nothing is opened by them', async () => {
    const opened: string[] = [];
    const text = ['/etc/passwd', '../../../etc/shadow', 'C:\\Windows\\system.ini', 'model.safetensors'].map((p) => `${'0'.repeat(64)}  ${p}\n`).join('');
    const r = await verifyModelAgainstManifest({
      manifestName: 'evil.sha256',
      manifestText: text,
      files: [{ path: 'model.safetensors', size: 3 }],
      hash: (path) => {
        opened.push(path);
        return Promise.resolve('1'.repeat(64));
      },
    });
    expect(opened).toEqual(['model.safetensors']);
    expect(r.items.map((i) => i.status)).toEqual(['missing', 'missing', 'missing', 'failed']);
    expect(r.verdict).toBe('mismatch');
  });
});

describe('OpenSSF Model Signing manifests', () => {
  it('parses shard names from the right (paths may hold ":")', () => {
    expect(parseShardName('a:b/model.safetensors:0:1000')).toEqual({ path: 'a:b/model.safetensors', start: 0, end: 1000 });
    expect(parseShardName('model.safetensors:10:5')).toBeUndefined();
    expect(parseShardName('model.safetensors')).toBeUndefined();
  });

  it('a signed per-file manifest of the known-good verifies; the signature checks with the key and fails with another', async () => {
    const good = modelFiles();
    const key = await generateKey('P-256');
    const bundle = await signBundle(statement('tiny', fileResources(good)), key);
    const m = parseOmsManifest(bundle);
    expect(m).toMatchObject({ container: 'sigstore-bundle', modelName: 'tiny', serialization: { method: 'files', hashType: 'sha256' } });
    expect(m.rootDigest?.consistent).toBe(true);
    const ok = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(key.publicPem) });
    expect(ok.verdict).toBe('verified');
    expect(ok.signature?.status).toBe('verified');
    const other = await generateKey('P-256');
    const bad = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(other.publicPem) });
    expect(bad.signature?.status).toBe('failed');
    expect(bad.verdict).toBe('mismatch');
    // Without a key: digests verified, signature honestly "not checked".
    const none = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good) });
    expect(none).toMatchObject({ verdict: 'verified', signature: { status: 'not-checked' } });
  });

  it('P-384 keys (SHA-384, as model_signing signs with them) verify too', async () => {
    const good = modelFiles();
    const key = await generateKey('P-384');
    const bundle = await signBundle(statement('tiny', fileResources(good)), key);
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(key.publicPem) });
    expect(r.signature).toMatchObject({ status: 'verified', curve: 'P-384' });
  });

  it('a payload changed after signing fails the signature', async () => {
    const good = modelFiles();
    const key = await generateKey();
    const bundle = await signBundle(statement('tiny', fileResources(good)), key, { tamperPayload: (p) => p.replace('"tiny"', '"tinY"') });
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(key.publicPem) });
    expect(r.signature?.status).toBe('failed');
  });

  it('a certificate: the leaf’s key verifies the bundle, and the result says the chain was not checked', async () => {
    const good = modelFiles();
    const key = await generateKey();
    const cert = await selfSignedCertificate(key, 'release-signer@example.test');
    const bundle = await signBundle(statement('tiny', fileResources(good)), key, { certificates: [cert.der] });
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(cert.pem) });
    expect(r.signature).toMatchObject({ status: 'verified', method: 'certificate', certificateSubject: 'CN=release-signer@example.test' });
    expect(r.signature?.caveats.join(' ')).toMatch(/chain .* NOT checked offline/);
    // A different certificate than the bundle's leaf is refused, even for the same key.
    const other = await selfSignedCertificate(key, 'someone-else');
    const r2 = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(good), hash: memoryHasher(good), key: readVerificationKey(other.pem) });
    expect(r2.signature?.status).toBe('failed');
  });

  it('a modified model: the manifest names the mismatching file, then the tensors in it', async () => {
    const good = modelFiles();
    const bad = modelFiles(true);
    const key = await generateKey();
    const bundle = await signBundle(statement('tiny', fileResources(good)), key);
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(bad), hash: memoryHasher(bad), key: readVerificationKey(key.publicPem) });
    expect(r.verdict).toBe('mismatch');
    expect(r.items.filter((i) => i.status === 'failed').map((i) => i.name)).toEqual(['model.safetensors']);
    await drill(r, bad);
    const item = r.items.find((i) => i.name === 'model.safetensors');
    // Per-file digest: every tensor of the file is a candidate...
    expect(item?.tensors?.length).toBe(tinyLlama(CFG, 3).length);
    expect(r.drillDown).toMatch(/Per-file digests/);
    // ...with reference tensor hashes (a known-good report), the changed one is singled out.
    const refs = new Map(tinyLlama(CFG, 3).map((t) => [t.name, sha(f32Bytes(t.values))]));
    const r2 = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(bad), hash: memoryHasher(bad) });
    await drill(r2, bad, refs);
    const changed = r2.items.find((i) => i.status === 'failed')?.tensors?.filter((t) => t.changed).map((t) => t.name);
    expect(changed).toEqual(['model.layers.1.mlp.down_proj.weight']);
  });

  it('a per-shard manifest narrows the mismatch to the tensors in the failing shard; appended bytes are a mismatch too', async () => {
    const good = modelFiles();
    const bad = modelFiles(true);
    const bundle = await signBundle(statement('tiny', shardResources(good, 4096), { method: 'shards', hash_type: 'sha256', shard_size: 4096, allow_symlinks: false }), await generateKey());
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(bad), hash: memoryHasher(bad) });
    const failed = r.items.filter((i) => i.status === 'failed');
    expect(failed).toHaveLength(1);
    await drill(r, bad);
    const names = r.items.find((i) => i.status === 'failed')?.tensors?.map((t) => t.name) ?? [];
    expect(names).toContain('model.layers.1.mlp.down_proj.weight');
    expect(names.length).toBeLessThanOrEqual(2);
    expect(r.drillDown).toMatch(/Per-shard/);
    // Bytes appended after the last shard.
    const longer = { ...good, 'model.safetensors': Uint8Array.from([...(good['model.safetensors'] ?? []), 1, 2, 3]) };
    const r3 = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(longer), hash: memoryHasher(longer) });
    expect(r3.items.filter((i) => i.status === 'failed').map((i) => i.message)).toEqual([expect.stringMatching(/in no shard of the manifest/)]);
  });

  it('missing and extra files, unsupported algorithms and inconsistent manifests are not "verified"', async () => {
    const good = modelFiles();
    const res = fileResources(good);
    const withExtra = { ...good, 'notes.txt': new Uint8Array([1]) };
    const bundle = await signBundle(statement('tiny', res), await generateKey());
    const r = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(withExtra), hash: memoryHasher(withExtra) });
    expect(r.items.find((i) => i.name === 'notes.txt')?.status).toBe('extra');
    const { 'config.json': _gone, ...missing } = good;
    const r2 = await verifyModelAgainstManifest({ manifestName: 'model.sig', manifestText: bundle, files: listOf(missing), hash: memoryHasher(missing) });
    expect(r2.items.find((i) => i.name === 'config.json')?.status).toBe('missing');
    const blake = JSON.stringify(statement('tiny', res.map((x) => ({ ...x, algorithm: 'blake2b' }))));
    const r3 = await verifyModelAgainstManifest({ manifestName: 'm.json', manifestText: blake, files: listOf(good), hash: memoryHasher(good) });
    expect(r3.verdict).toBe('unverifiable');
    const st = statement('tiny', res) as { subject: { digest: { sha256: string } }[] };
    (st.subject[0] as { digest: { sha256: string } }).digest.sha256 = '0'.repeat(64);
    const r4 = await verifyModelAgainstManifest({ manifestName: 'm.json', manifestText: JSON.stringify(st), files: listOf(good), hash: memoryHasher(good) });
    expect(r4.rootDigest?.consistent).toBe(false);
    expect(r4.verdict).toBe('mismatch');
  });

  it('rejects what is not a model_signing manifest with a stable code', () => {
    expect(() => parseOmsManifest('{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[]}')).toThrow(expect.objectContaining({ code: 'manifest_unsupported' }));
    expect(() => parseOmsManifest('{"a":1,"a":2}')).toThrow(expect.objectContaining({ code: 'manifest_unreadable' }));
    expect(() => parseOmsManifest('{"dsseEnvelope":{"payload":"!!","payloadType":"x"}}')).toThrow(expect.objectContaining({ code: 'manifest_malformed' }));
  });
});

async function drill(r: ManifestVerification, files: Record<string, Uint8Array>, refs?: Map<string, string>): Promise<void> {
  const sources = Object.entries(files).map(([p, b]) => new MemorySource(p, b));
  const model = await loadModel('m', sources);
  await attachTensors(r, model, new Map(Object.entries(files).map(([p, b]) => [p, b.length])), {
    ...(refs ? { referenceTensorHashes: refs } : {}),
    hashTensor: async (t) => sha((files[t.file] ?? new Uint8Array()).subarray(t.byteOffset, t.byteOffset + t.byteLength)),
  });
}
