/**
 * Tensor-count caps (limits.ts): a header, an index or a set of shards listing more tensors than
 * any real model is refused with a coded error while it is read — never minutes of parsing and a
 * worker out of memory. Loader only (a comparison of 262,144 tensors is not the point here).
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { MAX_TENSORS_PER_FILE, MAX_TENSORS_PER_MODEL } from '../../../src/lib/formats/limits.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A valid safetensors file of `count` one-byte U8 tensors named prefix + base-36 index. */
function tinyTensors(count: number, prefix: string): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"${prefix}${i.toString(36)}":{"dtype":"U8","shape":[],"data_offsets":[${i},${i + 1}]}`);
  const header = utf8(`{${parts.join(',')}}`);
  const out = new Uint8Array(8 + header.byteLength + count);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  return out;
}

async function cpuMs<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const before = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(before);
  return [value, (used.user + used.system) / 1000];
}

describe('tensor-count caps', () => {
  it(`shards together past MAX_TENSORS_PER_MODEL (${MAX_TENSORS_PER_MODEL}): the files past it are hashed, not parsed`, async () => {
    // Full shards of MAX_TENSORS_PER_FILE each up to the cap, then one more small shard.
    const full = MAX_TENSORS_PER_MODEL / MAX_TENSORS_PER_FILE;
    expect(Number.isInteger(full)).toBe(true);
    const last = `model-${String(full + 1).padStart(5, '0')}.safetensors`;
    const sources = [
      ...Array.from({ length: full }, (_, i) => new MemorySource(`model-${String(i + 1).padStart(5, '0')}.safetensors`, tinyTensors(MAX_TENSORS_PER_FILE, `s${i}.`))),
      new MemorySource(last, buildSafetensors([{ name: 'c.x', dtype: 'F32', shape: [2], data: f32Bytes([1, 2]) }])),
    ];
    const m = await loadModel('many', sources);
    expect(m.tensors).toHaveLength(MAX_TENSORS_PER_MODEL);
    expect(m.problems.map((p) => [p.code, p.file])).toEqual([['model_too_many_tensors', last]]);
    expect(m.files.map((f) => f.path)).toContain(last);
  });

  it('an index of 10^6 entries: model_too_many_tensors at the first entry past the cap, within 2 s of CPU', async () => {
    const map: string[] = [];
    for (let i = 0; i < 1_000_000; i++) map.push(`"m.${i.toString(36)}":"model-00001-of-00001.safetensors"`);
    const index = utf8(`{"metadata":{},"weight_map":{${map.join(',')}}}`);
    const shard = buildSafetensors([{ name: 'm.0', dtype: 'F32', shape: [2], data: f32Bytes([1, 2]) }]);
    const [m, ms] = await cpuMs(() => loadModel('index', [new MemorySource('model.safetensors.index.json', index), new MemorySource('model-00001-of-00001.safetensors', shard)]));
    const p = m.problems.find((x) => x.code === 'model_too_many_tensors');
    expect(p?.file).toBe('model.safetensors.index.json');
    // The byte offset of the first entry past the cap.
    const first = `{"metadata":{},"weight_map":{`.length;
    const entry = (i: number): number => `"m.${i.toString(36)}":"model-00001-of-00001.safetensors"`.length + 1;
    let offset = first;
    for (let i = 0; i < MAX_TENSORS_PER_MODEL; i++) offset += entry(i);
    expect(p?.offset).toBe(offset);
    expect(ms).toBeLessThan(2000);
  });

  it(`a single header of MAX_TENSORS_PER_FILE (${MAX_TENSORS_PER_FILE}) tensors is read; one more is refused`, async () => {
    const ok = await loadModel('ok', [new MemorySource('model.safetensors', tinyTensors(MAX_TENSORS_PER_FILE, 't'))]);
    expect(ok.problems).toEqual([]);
    expect(ok.tensors).toHaveLength(MAX_TENSORS_PER_FILE);
    const over = await loadModel('over', [new MemorySource('model.safetensors', tinyTensors(MAX_TENSORS_PER_FILE + 1, 't'))]);
    expect(over.problems.map((p) => p.code)).toEqual(['json_too_large']);
  });
});
