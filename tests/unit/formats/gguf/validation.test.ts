/**
 * Every validation rule of the GGUF reader → its error code and the byte it points at. The files are
 * built, not downloaded (tests/fixtures/gguf-builder.ts); the rules follow ggml/docs/gguf.md and
 * llama.cpp's hardened reader (ggml/src/gguf.cpp).
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { SleuthError } from '../../../../src/lib/formats/errors.ts';
import { parseGguf } from '../../../../src/lib/formats/gguf/parse-gguf.ts';
import { buildGguf, kv, type BuildOptions, type GgufValueInput } from '../../../fixtures/gguf-builder.ts';

async function failure(bytes: Uint8Array): Promise<SleuthError> {
  try {
    await parseGguf(new MemorySource('bad.gguf', bytes));
  } catch (e) {
    if (e instanceof SleuthError) return e;
    throw e;
  }
  throw new Error('expected the parse to fail');
}
async function expectCode(opts: BuildOptions | Uint8Array, code: string, offset?: number): Promise<SleuthError> {
  const e = await failure(opts instanceof Uint8Array ? opts : buildGguf(opts).bytes);
  expect(e.code, e.message).toBe(code);
  expect(e.kind).toBe('input');
  expect(e.file).toBe('bad.gguf');
  if (offset !== undefined) expect(e.offset, e.message).toBe(offset);
  return e;
}

const arch = { key: 'general.architecture', value: kv.str('llama') };
const enc = (s: string) => new TextEncoder().encode(s);

describe('GGUF header', () => {
  it('rejects an empty file, a wrong magic and a file cut inside magic/version', async () => {
    await expectCode(new Uint8Array(0), 'empty_file', 0);
    await expectCode(enc('GGML\x03\x00\x00\x00'), 'gguf_bad_magic', 0);
    await expectCode(enc('{"a":1}'), 'gguf_bad_magic', 0);
    await expectCode(enc('GG'), 'truncated', 0);
    await expectCode(enc('GGUF\x02\x00'), 'truncated', 0);
  });

  it('rejects versions other than 1, 2, 3', async () => {
    for (const version of [0, 4, 0x1234]) await expectCode({ version }, 'gguf_bad_version', 4);
  });

  it('caps tensor, key-value and array counts (gguf_count_too_large) and checks them against the bytes left (truncated)', async () => {
    await expectCode({ tensorCountOverride: 1n << 40n }, 'gguf_count_too_large', 8);
    await expectCode({ tensorCountOverride: (1n << 64n) - 1n }, 'gguf_count_too_large', 8);
    await expectCode({ kvCountOverride: 1_000_000_000n }, 'gguf_count_too_large', 16);
    // Under the caps but more than the file could hold.
    await expectCode({ tensorCountOverride: 1000n }, 'truncated', 8);
    await expectCode({ kvCountOverride: 5n, kvs: [arch] }, 'truncated', 16);
    const built = buildGguf({ kvs: [{ key: 'a', value: { type: 'arr', elementType: 'u32', items: [], lengthOverride: 1n << 62n } }] });
    // key record: len(8) + "a"(1) + type(4) + element type(4) → the length field.
    await expectCode(built.bytes, 'gguf_count_too_large', (built.layout.kvOffsets[0] ?? 0) + 17);
    const modest = buildGguf({ kvs: [{ key: 'a', value: { type: 'arr', elementType: 'u32', items: [], lengthOverride: 1000n } }] });
    await expectCode(modest.bytes, 'truncated', (modest.layout.kvOffsets[0] ?? 0) + 17);
  });

  it('reads v1 counts as u32 (and rejects them past the bytes left)', async () => {
    await expectCode({ version: 1, tensorCountOverride: 4_000_000_000n }, 'gguf_count_too_large', 8);
    await expectCode({ version: 1, kvCountOverride: 3n }, 'truncated', 12);
  });
});

describe('GGUF key-values', () => {
  it('rejects empty, non-UTF-8 and over-long keys (gguf_bad_key)', async () => {
    let b = buildGguf({ kvs: [arch, { key: '', value: kv.u32(1) }] });
    await expectCode(b.bytes, 'gguf_bad_key', b.layout.kvOffsets[1]);
    b = buildGguf({ kvs: [{ key: new Uint8Array([0x61, 0xc0, 0x80]), value: kv.u32(1) }] });
    await expectCode(b.bytes, 'gguf_bad_key', b.layout.kvOffsets[0]);
    b = buildGguf({ kvs: [{ key: 'k'.repeat(65_536), value: kv.u32(1) }] });
    await expectCode(b.bytes, 'gguf_bad_key', b.layout.kvOffsets[0]);
    expect((await parseGguf(new MemorySource('ok', buildGguf({ kvs: [{ key: 'k'.repeat(65_535), value: kv.u32(1) }] }).bytes))).metadata.size).toBe(1);
  });

  it('rejects a duplicate key at the second occurrence (gguf_duplicate_key)', async () => {
    const b = buildGguf({ kvs: [arch, { key: 'x', value: kv.u8(1) }, { key: 'general.architecture', value: kv.str('gpt2') }] });
    const e = await expectCode(b.bytes, 'gguf_duplicate_key', b.layout.kvOffsets[2]);
    expect(e.message).toContain(`first at byte ${b.layout.kvOffsets[0]}`);
  });

  it("on request keeps the first value of a repeated key and lists the others (readers disagree on which wins)", async () => {
    const b = buildGguf({ kvs: [arch, { key: 'x', value: kv.u8(1) }, { key: 'general.architecture', value: kv.str('gpt2') }, { key: 'x', value: kv.u8(2) }] });
    const g = await parseGguf(new MemorySource('dup', b.bytes), { duplicateKeys: 'keep-first' });
    expect(g.metadata.get('general.architecture')?.value).toMatchObject({ value: 'llama' });
    expect(g.metadata.get('x')?.value).toEqual({ type: 'u8', value: 1 });
    expect(g.duplicateKeys.map((d) => [d.key, d.offset, d.value])).toEqual([
      ['general.architecture', b.layout.kvOffsets[2], { type: 'str', value: 'gpt2', validUtf8: true }],
      ['x', b.layout.kvOffsets[3], { type: 'u8', value: 2 }],
    ]);
    expect((await parseGguf(new MemorySource('ok', buildGguf({ kvs: [arch] }).bytes))).duplicateKeys).toEqual([]);
  });

  it('rejects an undefined value type, also as an array element type (gguf_bad_value_type)', async () => {
    let b = buildGguf({ kvs: [{ key: 'abc', value: { type: 'raw', typeId: 13, bytes: new Uint8Array(8) } }] });
    await expectCode(b.bytes, 'gguf_bad_value_type', (b.layout.kvOffsets[0] ?? 0) + 8 + 3);
    b = buildGguf({ kvs: [{ key: 'abc', value: { type: 'arr', elementType: 99, items: [] } }] });
    await expectCode(b.bytes, 'gguf_bad_value_type', (b.layout.kvOffsets[0] ?? 0) + 8 + 3 + 4);
  });

  it('rejects a bool that is neither 0 nor 1 (gguf_bad_value)', async () => {
    let b = buildGguf({ kvs: [{ key: 'b', value: kv.bool(2) }] });
    await expectCode(b.bytes, 'gguf_bad_value', (b.layout.kvOffsets[0] ?? 0) + 8 + 1 + 4);
    b = buildGguf({ kvs: [{ key: 'b', value: { type: 'arr', elementType: 'bool', items: [kv.bool(1), kv.bool(7)] } }] });
    await expectCode(b.bytes, 'gguf_bad_value', (b.layout.kvOffsets[0] ?? 0) + 8 + 1 + 4 + 4 + 8 + 1);
  });

  it('caps string lengths (gguf_string_too_long) and checks them against the bytes left (truncated)', async () => {
    const raw = (len: bigint) => ({ key: 's', value: { type: 'raw' as const, typeId: 8, bytes: new Uint8Array(new BigUint64Array([len]).buffer) } });
    let b = buildGguf({ kvs: [raw(1n << 60n)] });
    await expectCode(b.bytes, 'gguf_string_too_long', (b.layout.kvOffsets[0] ?? 0) + 8 + 1 + 4);
    b = buildGguf({ kvs: [raw(1000n)] });
    await expectCode(b.bytes, 'truncated', (b.layout.kvOffsets[0] ?? 0) + 8 + 1 + 4);
    b = buildGguf({ kvs: [{ key: 's', value: { type: 'arr', elementType: 'str', items: [kv.str('ok'), { type: 'raw', typeId: 0, bytes: new Uint8Array(new BigUint64Array([1n << 40n]).buffer) }] } }] });
    await expectCode(b.bytes, 'gguf_string_too_long', (b.layout.kvOffsets[0] ?? 0) + 8 + 1 + 4 + 4 + 8 + 8 + 2);
  });

  it('reads nested arrays to depth 3 and rejects depth 4 (gguf_array_too_deep)', async () => {
    const nest = (depth: number): GgufValueInput => (depth === 1 ? { type: 'arr', elementType: 'u8', items: [] } : { type: 'arr', elementType: 'arr', items: [nest(depth - 1)] });
    expect((await parseGguf(new MemorySource('ok', buildGguf({ kvs: [{ key: 'n', value: nest(3) }] }).bytes))).metadata.size).toBe(1);
    const b = buildGguf({ kvs: [{ key: 'n', value: nest(4) }] });
    // depth-4 array starts after: record(8+1+4) + 3 × (element type 4 + length 8).
    await expectCode(b.bytes, 'gguf_array_too_deep', (b.layout.kvOffsets[0] ?? 0) + 13 + 3 * 12);
  });

  it('requires general.alignment to be a u32 power of two (gguf_bad_alignment)', async () => {
    for (const value of [kv.u64(32n), kv.i32(32), kv.str('32')]) {
      const b = buildGguf({ kvs: [arch, { key: 'general.alignment', value }] });
      await expectCode(b.bytes, 'gguf_bad_alignment', b.layout.kvOffsets[1]);
    }
    for (const n of [0, 48, 3]) {
      const b = buildGguf({ kvs: [arch, { key: 'general.alignment', value: kv.u32(n) }] });
      await expectCode(b.bytes, 'gguf_bad_alignment', b.layout.kvOffsets[1]);
    }
  });
});

describe('GGUF tensor infos', () => {
  const t = (over: Partial<{ name: string | Uint8Array; ne: (number | bigint)[]; type: 'F32' | 'Q8_0' | 'Q4_K' | number; offset: bigint | number; nDims: number }> = {}) => ({
    name: 'w',
    ne: [32, 2] as (number | bigint)[],
    type: 'F32' as const,
    ...over,
  });

  it('rejects empty, non-UTF-8 and > 64-byte names (gguf_bad_tensor_name)', async () => {
    for (const name of ['', new Uint8Array([0xff]), 'n'.repeat(65)]) {
      const b = buildGguf({ tensors: [t({ name })] });
      await expectCode(b.bytes, 'gguf_bad_tensor_name', b.layout.tensorInfoOffsets[0]);
    }
    const ok = await parseGguf(new MemorySource('ok', buildGguf({ tensors: [t({ name: 'n'.repeat(64) })] }).bytes));
    expect(ok.tensors[0]?.name.length).toBe(64);
  });

  it('rejects a duplicate tensor name (gguf_duplicate_tensor)', async () => {
    const b = buildGguf({ tensors: [t({ name: 'a' }), t({ name: 'b' }), t({ name: 'a' })] });
    await expectCode(b.bytes, 'gguf_duplicate_tensor', b.layout.tensorInfoOffsets[2]);
  });

  it('rejects more than 4 dims and dims outside int64 (gguf_bad_dims)', async () => {
    let b = buildGguf({ tensors: [t({ ne: [1, 1, 1, 1, 32] })] });
    await expectCode(b.bytes, 'gguf_bad_dims', b.layout.nDimsFieldOffsets[0]);
    b = buildGguf({ tensors: [t({ ne: [32, 1n << 63n] })] });
    await expectCode(b.bytes, 'gguf_bad_dims', (b.layout.nDimsFieldOffsets[0] ?? 0) + 4 + 8);
  });

  it('overflow-checks the element count and the byte size (gguf_size_overflow)', async () => {
    let b = buildGguf({ tensors: [t({ ne: [1n << 32n, 1n << 31n] })] });
    await expectCode(b.bytes, 'gguf_size_overflow', b.layout.nDimsFieldOffsets[0]);
    b = buildGguf({ tensors: [t({ ne: [1n << 31n, 1n << 31n, 2n] })] });
    await expectCode(b.bytes, 'gguf_size_overflow', b.layout.nDimsFieldOffsets[0]);
    // 2^61 elements of F32 fit int64 as a count but not as bytes.
    b = buildGguf({ tensors: [t({ ne: [1n << 31n, 1n << 30n] })] });
    await expectCode(b.bytes, 'gguf_size_overflow', b.layout.typeFieldOffsets[0]);
  });

  it('rejects undefined and removed ggml types (gguf_unknown_type)', async () => {
    let b = buildGguf({ tensors: [t({ type: 99 })] });
    await expectCode(b.bytes, 'gguf_unknown_type', b.layout.typeFieldOffsets[0]);
    b = buildGguf({ tensors: [t({ type: 4 })] });
    expect((await expectCode(b.bytes, 'gguf_unknown_type', b.layout.typeFieldOffsets[0])).message).toContain('Q4_2');
    b = buildGguf({ tensors: [t({ type: 31 })] });
    expect((await expectCode(b.bytes, 'gguf_unknown_type')).message).toContain('Q4_0_4_4');
  });

  it('rejects rows that are not whole blocks (gguf_bad_block)', async () => {
    let b = buildGguf({ tensors: [t({ type: 'Q8_0', ne: [16, 2] })] });
    await expectCode(b.bytes, 'gguf_bad_block', b.layout.typeFieldOffsets[0]);
    b = buildGguf({ tensors: [t({ type: 'Q4_K', ne: [128, 2] })] });
    await expectCode(b.bytes, 'gguf_bad_block', b.layout.typeFieldOffsets[0]);
  });

  it('rejects offsets that are not multiples of the alignment (gguf_misaligned_offset)', async () => {
    const b = buildGguf({ tensors: [t(), t({ name: 'v', offset: 260 })] });
    await expectCode(b.bytes, 'gguf_misaligned_offset', b.layout.offsetFieldOffsets[1]);
    const b64 = buildGguf({ alignment: 64, tensors: [t({ offset: 32 })] });
    await expectCode(b64.bytes, 'gguf_misaligned_offset', b64.layout.offsetFieldOffsets[0]);
  });

  it('rejects tensor data past the end of the file (truncated), pointing inside the file', async () => {
    // Data that starts beyond the end: the offset is the tensor info that places it there.
    const b = buildGguf({ tensors: [t(), t({ name: 'v', offset: 1n << 20n })] });
    await expectCode(b.bytes, 'truncated', b.layout.tensorInfoOffsets[1]);
    // Data that starts inside the file but runs past its end: the offset is where the data starts.
    const cut = buildGguf({ tensors: [t(), t({ name: 'v', offset: 256n })] });
    await expectCode(cut.bytes.subarray(0, cut.bytes.length - 4), 'truncated', cut.layout.dataStart + 256);
    const huge = buildGguf({ tensors: [t({ offset: 1n << 62n })] });
    await expectCode(huge.bytes, 'truncated', huge.layout.tensorInfoOffsets[0]);
  });

  it('rejects overlapping tensors, wherever they are listed (gguf_overlap)', async () => {
    // a = [0, 32), b = [64, 320), c = [224, 256) inside b.
    let b = buildGguf({ tensors: [t({ name: 'a', ne: [8] }), t({ name: 'b', ne: [64], offset: 64 }), t({ name: 'c', ne: [8], offset: 224 })], trailing: new Uint8Array(256) });
    let e = await expectCode(b.bytes, 'gguf_overlap', b.layout.dataStart + 224);
    expect(e.message).toContain('"c"');
    expect(e.message).toContain('"b"');
    b = buildGguf({ tensors: [t({ name: 'a', ne: [8], offset: 32 }), t({ name: 'b', ne: [64], offset: 0 })], trailing: new Uint8Array(256) });
    e = await expectCode(b.bytes, 'gguf_overlap', b.layout.dataStart + 32);
    // Zero-length tensors occupy no bytes and may sit anywhere aligned.
    const z = buildGguf({ tensors: [t({ name: 'a', ne: [64] }), t({ name: 'z', ne: [0], offset: 64 })] });
    expect((await parseGguf(new MemorySource('ok', z.bytes))).tensors.length).toBe(2);
  });
});

describe('GGUF truncated at every byte', () => {
  const files: Record<string, BuildOptions> = {
    v3: {
      kvs: [arch, { key: 'n', value: kv.u64(7n) }, { key: 'tokenizer.ggml.tokens', value: kv.arr('str', ['a', 'bb', 'ccc']) }, { key: 'f', value: kv.numArr('f32', [1, 2]) }],
      tensors: [
        { name: 'token_embd.weight', ne: [32, 2], type: 'Q8_0' },
        { name: 'output_norm.weight', ne: [5], type: 'F32' },
      ],
    },
    v1: { version: 1, kvs: [arch, { key: 's', value: kv.arr('str', ['x']) }], tensors: [{ name: 'a', ne: [3, 2], type: 'F16' }] },
    'big-endian': { bigEndian: true, kvs: [arch], tensors: [{ name: 'a', ne: [4], type: 'F32' }] },
  };
  for (const [label, opts] of Object.entries(files)) {
    it(`${label}: every strict prefix up to the end of the last tensor fails with truncated; longer prefixes parse`, async () => {
      const built = buildGguf(opts);
      const g = await parseGguf(new MemorySource('full', built.bytes));
      const lastEnd = Math.max(...g.tensors.map((x) => x.byteOffset + x.byteLength));
      for (let cut = 0; cut < built.bytes.length; cut++) {
        const prefix = built.bytes.slice(0, cut);
        if (cut < lastEnd) {
          const e = await failure(prefix);
          expect(e.code, `cut at ${cut}: ${e.message}`).toBe(cut === 0 ? 'empty_file' : 'truncated');
          // Header fields point at where they start (≤ cut); tensor data at the tensor's first byte.
          expect(e.offset ?? -1).toBeGreaterThanOrEqual(0);
          expect(e.offset ?? Infinity).toBeLessThanOrEqual(cut < g.headerEnd ? cut : lastEnd);
        } else {
          expect((await parseGguf(new MemorySource('p', prefix))).tensors.length).toBe(g.tensors.length);
        }
      }
    });
  }
});
