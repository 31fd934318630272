/**
 * Tensor hashes through a one-shot digest (WebCrypto in the browser) must equal the streamed ones
 * bit for bit, whatever the path: shared while both sides are identical, forked at the first
 * differing chunk, different dtypes, unpaired tensors, tensors above the buffer cap (streamed).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { TensorHasher } from '../../../src/lib/analysis/tensor-hash.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { webCryptoOneShot, type OneShotSha256 } from '../../../src/lib/evidence/sha256.ts';
import { SleuthError } from '../../../src/lib/formats/errors.ts';
import { buildSafetensors, f16Bytes, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { clone, find, flipBits, tinyLlama, type FloatTensor } from '../../fixtures/tiny-llama.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const file = (tensors: FloatTensor[], dtype: (t: FloatTensor) => 'F32' | 'F16' = () => 'F32') =>
  new MemorySource(
    'model.safetensors',
    buildSafetensors(tensors.map((t) => ({ name: t.name, dtype: dtype(t), shape: t.shape, data: dtype(t) === 'F16' ? f16Bytes(t.values) : f32Bytes(t.values) }))),
  );

async function tensorHashes(a: FloatTensor[], b: FloatTensor[], oneShot: OneShotSha256 | undefined, dtypeB?: (t: FloatTensor) => 'F32' | 'F16') {
  const runner = new InProcessRunner({ knownGood: [file(a)], suspect: [file(b, dtypeB)] }, createNodeSha256, new CpuEngine(), {
    chunkBytes: 4096,
    ...(oneShot ? { sha256OneShot: oneShot } : {}),
  });
  const report = await compareModels(runner, { toolVersion: 'test' });
  return { report, hashes: report.tensors.map((t) => [t.name, t.status, t.sha256.knownGood, t.sha256.suspect]) };
}

/** WebCrypto as the browser has it (Node ≥ 20 exposes the same API); caps chosen to mix both paths. */
function webCrypto(maxBytes: number): OneShotSha256 {
  const once = webCryptoOneShot(maxBytes);
  if (!once) throw new Error('this Node has no WebCrypto');
  return once;
}

describe('tensor hashes: one-shot digests equal streamed ones', () => {
  const base = tinyLlama();
  // Tiny-llama tensors range from 256 B (norms) to 64 KiB (embeddings): a 16 KiB cap buffers some
  // and streams the others; chunks of 4 KiB make most tensors span several chunks.
  for (const cap of [1 << 20, 16 * 1024]) {
    it(`identical, bit flips late in a tensor, added and removed tensors (cap ${cap} B)`, async () => {
      const suspect = clone(base);
      // The flip sits in the last chunk: both sides share one hash until it, then it forks.
      const o = find(suspect, 'model.layers.2.mlp.down_proj.weight');
      flipBits(o, [o.values.length - 3], 30);
      const removed = suspect.findIndex((t) => t.name === 'model.layers.1.input_layernorm.weight');
      suspect.splice(removed, 1);
      suspect.push({ name: 'extra.weight', shape: [8, 16], values: Float32Array.from({ length: 128 }, (_, i) => i / 7) });
      const streamed = await tensorHashes(base, suspect, undefined);
      const buffered = await tensorHashes(base, suspect, webCrypto(cap));
      expect(buffered.hashes).toEqual(streamed.hashes);
      const statuses = new Map(buffered.report.tensors.map((t) => [t.name, t.status]));
      expect(statuses.get('model.layers.2.mlp.down_proj.weight')).toBe('modified');
      expect(statuses.get('model.layers.1.input_layernorm.weight')).toBe('removed');
      expect(statuses.get('extra.weight')).toBe('added');
      expect(statuses.get('model.embed_tokens.weight')).toBe('identical');
      // And they are the SHA-256 of the stored bytes.
      const t = buffered.report.tensors.find((x) => x.name === 'model.layers.2.mlp.down_proj.weight');
      expect(t?.sha256.knownGood).toBe(sha(f32Bytes(find(base, t?.name ?? '').values)));
      expect(t?.sha256.suspect).toBe(sha(f32Bytes(o.values)));
    });
  }

  it('every tensor cast to F16 (two buffers of different sizes per pair)', async () => {
    const streamed = await tensorHashes(base, clone(base), undefined, () => 'F16');
    const buffered = await tensorHashes(base, clone(base), webCrypto(1 << 20), () => 'F16');
    expect(buffered.hashes).toEqual(streamed.hashes);
    expect(buffered.report.tensors.every((t) => t.status === 'dtype-changed')).toBe(true);
    expect(buffered.report.verdict.status).toBe('benign-precision');
  });
});

describe('TensorHasher', () => {
  /** A one-shot that copies on call (WebCrypto's contract) and answers later, out of order. */
  function slowOneShot(maxBytes: number): OneShotSha256 & { calls: number } {
    const o = {
      maxBytes,
      calls: 0,
      digestHex(bytes: Uint8Array) {
        o.calls++;
        const copy = bytes.slice();
        return new Promise<string>((resolve) => setTimeout(() => resolve(sha(copy)), 20 - o.calls));
      },
    };
    return o;
  }

  it('recycles buffers without touching digests still running, and forks keep the prefix', async () => {
    const once = slowOneShot(1024);
    const hasher = new TensorHasher(createNodeSha256, once);
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255);
    const first = await hasher.open(1000);
    first.update(data.subarray(0, 600));
    const fork = await first.fork();
    first.update(data.subarray(600));
    fork.update(new Uint8Array(400).fill(7));
    const d1 = first.digest();
    const d2 = fork.digest();
    // The next tensor reuses a recycled buffer while the digests above are still pending.
    const next = await hasher.open(1000);
    next.update(new Uint8Array(1000).fill(9));
    const d3 = next.digest();
    expect(await d1).toBe(sha(data));
    const forked = new Uint8Array(1000);
    forked.set(data.subarray(0, 600));
    forked.fill(7, 600);
    expect(await d2).toBe(sha(forked));
    expect(await d3).toBe(sha(new Uint8Array(1000).fill(9)));
    expect(once.calls).toBe(3);
  });

  it('streams tensors above the cap and never buffers an empty one', async () => {
    const once = slowOneShot(64);
    const hasher = new TensorHasher(createNodeSha256, once);
    for (const n of [0, 65, 4096]) {
      const h = await hasher.open(n);
      const bytes = new Uint8Array(n).fill(n & 255);
      h.update(bytes);
      expect(await h.digest()).toBe(sha(bytes));
    }
    expect(once.calls).toBe(0);
  });

  it('refuses more bytes than the tensor holds (a coded error, not a wrong hash)', async () => {
    const hasher = new TensorHasher(createNodeSha256, slowOneShot(64));
    const h = await hasher.open(10);
    h.update(new Uint8Array(8));
    expect(() => h.update(new Uint8Array(3))).toThrow(SleuthError);
  });
});
