import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { parseGguf, sniffGguf, type GgufFile } from '../../../../src/lib/formats/gguf/parse-gguf.ts';
import { describeGgufValue, ggufInteger, ggufMetadataSummary, ggufNumber, ggufString, ggufStringArray, ggufTokens } from '../../../../src/lib/formats/gguf/metadata.ts';
import { buildGguf, kv, type BuilderKv, type BuildOptions } from '../../../fixtures/gguf-builder.ts';
import { quantizeQ8_0 } from '../../../../src/lib/engine/cpu/dequant.ts';

const parse = (opts: BuildOptions): Promise<GgufFile> => parseGguf(new MemorySource('m.gguf', buildGguf(opts).bytes));

/** One key of every value type, arrays of every element type, a nested array. */
const EVERY_TYPE: readonly BuilderKv[] = [
  { key: 'general.architecture', value: kv.str('llama') },
  { key: 't.u8', value: kv.u8(255) },
  { key: 't.i8', value: kv.i8(-128) },
  { key: 't.u16', value: kv.u16(65535) },
  { key: 't.i16', value: kv.i16(-32768) },
  { key: 't.u32', value: kv.u32(4294967295) },
  { key: 't.i32', value: kv.i32(-2147483648) },
  { key: 't.f32', value: kv.f32(0.1) },
  { key: 't.bool', value: kv.bool(true) },
  { key: 't.str', value: kv.str('héllo ✓') },
  { key: 't.u64', value: kv.u64(18446744073709551615n) },
  { key: 't.i64', value: kv.i64(-9223372036854775808n) },
  { key: 't.f64', value: kv.f64(-1.5e300) },
  { key: 't.arr.u8', value: kv.numArr('u8', [0, 1, 255]) },
  { key: 't.arr.i8', value: kv.numArr('i8', [-1, 2]) },
  { key: 't.arr.u16', value: kv.numArr('u16', [1, 65535]) },
  { key: 't.arr.i16', value: kv.numArr('i16', [-2, 3]) },
  { key: 't.arr.u32', value: kv.numArr('u32', [7, 4294967295]) },
  { key: 't.arr.i32', value: kv.numArr('i32', [-7, 9]) },
  { key: 't.arr.f32', value: kv.numArr('f32', [0.5, -2]) },
  { key: 't.arr.f64', value: kv.numArr('f64', [Math.PI]) },
  { key: 't.arr.u64', value: { type: 'arr', elementType: 'u64', items: [kv.u64(1n), kv.u64(2n ** 64n - 1n)] } },
  { key: 't.arr.i64', value: { type: 'arr', elementType: 'i64', items: [kv.i64(-1n)] } },
  { key: 't.arr.bool', value: { type: 'arr', elementType: 'bool', items: [kv.bool(true), kv.bool(false)] } },
  { key: 'tokenizer.ggml.tokens', value: kv.arr('str', ['<unk>', '<s>', '</s>', '▁the', '']) },
  { key: 't.arr.empty', value: kv.arr('str', []) },
  {
    key: 't.arr.nested',
    value: { type: 'arr', elementType: 'arr', items: [{ type: 'arr', elementType: 'u32', items: [kv.u32(1), kv.u32(2)] }, { type: 'arr', elementType: 'str', items: [kv.str('x')] }] },
  },
];

function checkEveryType(g: GgufFile): void {
  const v = (k: string) => g.metadata.get(k)?.value;
  expect(ggufString(g, 'general.architecture')).toBe('llama');
  expect(v('t.u8')).toEqual({ type: 'u8', value: 255 });
  expect(v('t.i8')).toEqual({ type: 'i8', value: -128 });
  expect(v('t.u16')).toEqual({ type: 'u16', value: 65535 });
  expect(v('t.i16')).toEqual({ type: 'i16', value: -32768 });
  expect(v('t.u32')).toEqual({ type: 'u32', value: 4294967295 });
  expect(v('t.i32')).toEqual({ type: 'i32', value: -2147483648 });
  expect(v('t.f32')).toEqual({ type: 'f32', value: Math.fround(0.1) });
  expect(v('t.bool')).toEqual({ type: 'bool', value: true });
  expect(v('t.str')).toEqual({ type: 'str', value: 'héllo ✓', validUtf8: true });
  expect(v('t.u64')).toEqual({ type: 'u64', value: 18446744073709551615n });
  expect(v('t.i64')).toEqual({ type: 'i64', value: -9223372036854775808n });
  expect(v('t.f64')).toEqual({ type: 'f64', value: -1.5e300 });
  const arr = (k: string) => {
    const x = v(k);
    if (x?.type !== 'arr') throw new Error(`${k} is not an array`);
    return x.value;
  };
  expect(Array.from(arr('t.arr.u8').values as Uint8Array)).toEqual([0, 1, 255]);
  expect(Array.from(arr('t.arr.i8').values as Int8Array)).toEqual([-1, 2]);
  expect(Array.from(arr('t.arr.u16').values as Uint16Array)).toEqual([1, 65535]);
  expect(Array.from(arr('t.arr.i16').values as Int16Array)).toEqual([-2, 3]);
  expect(Array.from(arr('t.arr.u32').values as Uint32Array)).toEqual([7, 4294967295]);
  expect(Array.from(arr('t.arr.i32').values as Int32Array)).toEqual([-7, 9]);
  expect(Array.from(arr('t.arr.f32').values as Float32Array)).toEqual([0.5, -2]);
  expect(Array.from(arr('t.arr.f64').values as Float64Array)).toEqual([Math.PI]);
  expect(Array.from(arr('t.arr.u64').values as BigUint64Array)).toEqual([1n, 2n ** 64n - 1n]);
  expect(Array.from(arr('t.arr.i64').values as BigInt64Array)).toEqual([-1n]);
  expect(arr('t.arr.bool')).toMatchObject({ elementType: 'bool', length: 2 });
  expect(Array.from(arr('t.arr.bool').values as Uint8Array)).toEqual([1, 0]);
  expect(ggufTokens(g)?.toArray()).toEqual(['<unk>', '<s>', '</s>', '▁the', '']);
  expect(ggufStringArray(g, 't.arr.empty')?.length).toBe(0);
  const nested = arr('t.arr.nested');
  expect(nested.elementType).toBe('arr');
  if (nested.elementType !== 'arr') return;
  expect(nested.values.map((a) => [a.elementType, a.length])).toEqual([
    ['u32', 2],
    ['str', 1],
  ]);
  expect([...g.metadata.keys()]).toEqual(EVERY_TYPE.map((e) => e.key));
}

describe('parseGguf round trips', () => {
  it('reads a key of every value type, arrays of every element type and a nested array (v3, v2, v1)', async () => {
    for (const version of [3, 2, 1]) {
      const g = await parse({ version, kvs: EVERY_TYPE });
      expect(g.version).toBe(version);
      expect(g.byteOrder).toBe('little');
      checkEveryType(g);
    }
  });

  it('reads big-endian files (detected from the version field, as llama.cpp does)', async () => {
    const g = await parse({ bigEndian: true, kvs: EVERY_TYPE, tensors: [{ name: 'w', ne: [4, 2], type: 'F32' }] });
    expect(g.byteOrder).toBe('big');
    expect(g.version).toBe(3);
    checkEveryType(g);
    expect(g.tensors[0]).toMatchObject({ name: 'w', ne: [4, 2], typeName: 'F32', byteLength: 32 });
  });

  it('reads tensor infos: dims in ggml order, absolute offsets after the aligned header, sizes per type', async () => {
    const q = quantizeQ8_0(new Float32Array(64).map((_, i) => i / 7));
    const built = buildGguf({
      kvs: [{ key: 'general.architecture', value: kv.str('llama') }],
      tensors: [
        { name: 'token_embd.weight', ne: [64, 1], type: 'Q8_0', data: q },
        { name: 'blk.0.attn_norm.weight', ne: [8], type: 'F32' },
        { name: 'blk.0.ffn_down.weight', ne: [256, 3], type: 'Q4_K' },
        { name: 'scalar', ne: [], type: 'F16' },
        { name: 'empty', ne: [0, 5], type: 'BF16' },
        { name: 'iq', ne: [256, 2, 1, 2], type: 'IQ2_XXS' },
      ],
    });
    const g = await parseGguf(new MemorySource('m.gguf', built.bytes));
    expect(g.headerEnd).toBe(built.layout.headerEnd);
    expect(g.dataStart).toBe(built.layout.dataStart);
    expect(g.dataStart % 32).toBe(0);
    expect(g.tensors.map((t) => [t.name, t.ne, t.typeName, t.ggmlType, t.byteOffset, t.byteLength, t.elements])).toEqual([
      ['token_embd.weight', [64, 1], 'Q8_0', 8, built.layout.tensorDataOffsets[0], 68, 64],
      ['blk.0.attn_norm.weight', [8], 'F32', 0, built.layout.tensorDataOffsets[1], 32, 8],
      ['blk.0.ffn_down.weight', [256, 3], 'Q4_K', 12, built.layout.tensorDataOffsets[2], 3 * 144, 768],
      ['scalar', [], 'F16', 1, built.layout.tensorDataOffsets[3], 2, 1],
      ['empty', [0, 5], 'BF16', 30, built.layout.tensorDataOffsets[4], 0, 0],
      ['iq', [256, 2, 1, 2], 'IQ2_XXS', 16, built.layout.tensorDataOffsets[5], 4 * 66, 1024],
    ]);
    expect(g.tensors[0]?.offset).toBe(0);
    expect(g.tensors.map((t) => t.infoOffset)).toEqual(built.layout.tensorInfoOffsets);
    // The payload is where the info says.
    const t0 = g.tensors[0];
    expect(t0 && built.bytes.subarray(t0.byteOffset, t0.byteOffset + t0.byteLength)).toEqual(q);
    expect(g.unclaimed).toEqual([]);
  });

  it('honours general.alignment (any power of two) for the data start and offsets', async () => {
    for (const alignment of [1, 8, 64, 4096]) {
      const built = buildGguf({ alignment, tensors: [{ name: 'a', ne: [3], type: 'F32' }, { name: 'b', ne: [5], type: 'F16' }] });
      const g = await parseGguf(new MemorySource('m.gguf', built.bytes));
      expect(g.alignment).toBe(alignment);
      expect(g.dataStart % alignment).toBe(0);
      expect(g.tensors.map((t) => t.byteOffset)).toEqual(built.layout.tensorDataOffsets);
    }
    expect((await parse({ tensors: [{ name: 'a', ne: [3], type: 'F32' }] })).alignment).toBe(32);
  });

  it('accepts vocab-only files that end right after the header with no padding and no data section', async () => {
    const built = buildGguf({ kvs: [{ key: 'tokenizer.ggml.tokens', value: kv.arr('str', ['a', 'b']) }] });
    expect(built.bytes.length % 32).not.toBe(0);
    const g = await parseGguf(new MemorySource('v.gguf', built.bytes));
    expect(g.tensors).toEqual([]);
    expect(g.headerEnd).toBe(built.bytes.length);
    expect(g.unclaimed).toEqual([]);
  });

  it('reports the bytes no tensor claims: gaps between tensors and trailing bytes', async () => {
    const built = buildGguf({
      tensors: [
        { name: 'a', ne: [8], type: 'F32', offset: 0 },
        { name: 'b', ne: [8], type: 'F32', offset: 96 },
      ],
      trailing: new Uint8Array(100).fill(0xee),
    });
    const g = await parseGguf(new MemorySource('m.gguf', built.bytes));
    const ds = g.dataStart;
    expect(g.tensors.map((t) => t.byteOffset)).toEqual([ds, ds + 96]);
    // a = [0, 32); nothing claims [32, 96); b = [96, 128); the rest of the file is trailing bytes.
    expect(g.unclaimed[0]).toEqual({ offset: ds + 32, length: 64 });
    expect(g.unclaimed.at(-1)).toEqual({ offset: ds + 128, length: built.bytes.length - (ds + 128) });
  });

  it('keeps big string arrays as a lazy table with byte offsets and lenient decoding', async () => {
    const tokens = Array.from({ length: 5000 }, (_, i) => `tok${i}`);
    const built = buildGguf({
      kvs: [
        { key: 'tokenizer.ggml.tokens', value: kv.arr('str', tokens) },
        { key: 'bad', value: { type: 'arr', elementType: 'str', items: [kv.str(new Uint8Array([0x61, 0xff, 0x62]))] } },
        { key: 'bad.scalar', value: kv.str(new Uint8Array([0xc3])) },
      ],
    });
    const g = await parseGguf(new MemorySource('m.gguf', built.bytes));
    const t = ggufTokens(g);
    expect(t?.length).toBe(5000);
    expect(t?.get(4321)).toBe('tok4321');
    const off = t?.offsetOf(2) ?? -1;
    expect(new TextDecoder().decode(built.bytes.subarray(off, off + 4))).toBe('tok2');
    const bad = ggufStringArray(g, 'bad');
    expect(bad?.get(0)).toBe('a\uFFFDb');
    expect(bad?.isValidUtf8(0)).toBe(false);
    expect(t?.isValidUtf8(0)).toBe(true);
    expect(g.metadata.get('bad.scalar')?.value).toEqual({ type: 'str', value: '\uFFFD', validUtf8: false });
  });

  it('reads through a ByteSource in windows (a 70,000-entry vocabulary spans several reads)', async () => {
    const tokens = Array.from({ length: 70_000 }, (_, i) => `▁piece${i}`);
    const built = buildGguf({ kvs: [{ key: 'tokenizer.ggml.tokens', value: kv.arr('str', tokens) }, { key: 'after', value: kv.u32(7) }] });
    const reads: Array<[number, number]> = [];
    const inner = new MemorySource('m.gguf', built.bytes);
    const spy = { path: inner.path, size: inner.size, read: (o: number, n: number) => (reads.push([o, n]), inner.read(o, n)) };
    const g = await parseGguf(spy);
    expect(ggufTokens(g)?.get(69_999)).toBe('▁piece69999');
    expect(ggufInteger(g, 'after')).toBe(7);
    expect(reads.length).toBeGreaterThan(2);
    expect(Math.max(...reads.map(([, n]) => n))).toBeLessThanOrEqual(Math.max(256 * 1024, built.bytes.length));
  });

  it('never reads tensor data', async () => {
    const built = buildGguf({ tensors: [{ name: 'big', ne: [1 << 16], type: 'F32' }] });
    const inner = new MemorySource('m.gguf', built.bytes);
    let maxEnd = 0;
    const g = await parseGguf({ path: 'm', size: inner.size, read: (o: number, n: number) => ((maxEnd = Math.max(maxEnd, o + Math.min(n, 1))), inner.read(o, n)) });
    expect(g.tensors.length).toBe(1);
    // Reads start inside the header; the read-ahead window may extend into data but never starts there.
    expect(maxEnd).toBeLessThanOrEqual(g.headerEnd);
  });

  it('offers typed accessors and a bounded summary', async () => {
    const g = await parse({
      kvs: [
        { key: 'a.u64', value: kv.u64(32n) },
        { key: 'a.f32', value: kv.f32(0.5) },
        { key: 'a.huge', value: kv.u64(2n ** 60n) },
        { key: 'tokenizer.ggml.tokens', value: kv.arr('str', Array.from({ length: 20 }, (_, i) => `t${i}`)) },
        { key: 'a.long', value: kv.str('x'.repeat(1000)) },
      ],
    });
    expect(ggufInteger(g, 'a.u64')).toBe(32);
    expect(ggufInteger(g, 'a.f32')).toBeUndefined();
    expect(ggufNumber(g, 'a.f32')).toBe(0.5);
    expect(ggufInteger(g, 'a.huge')).toBeUndefined();
    expect(ggufString(g, 'missing')).toBeUndefined();
    const s = ggufMetadataSummary(g);
    expect(s['a.u64']).toBe('32');
    expect(s['tokenizer.ggml.tokens']).toBe('str[20] ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", …]');
    expect(s['a.long']?.length).toBe(201);
    const entry = g.metadata.get('a.huge');
    expect(entry && describeGgufValue(entry.value)).toBe(String(2n ** 60n));
  });

  it('sniffs the magic', () => {
    expect(sniffGguf(new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]))).toBe(true);
    expect(sniffGguf(new Uint8Array([0x47, 0x47, 0x55]))).toBe(false);
    expect(sniffGguf(new TextEncoder().encode('GGML'))).toBe(false);
  });
});
