/**
 * The safetensors header reader (src/lib/formats/safetensors/parse-safetensors.ts): every rule of
 * the reference implementation → its stable code and byte offset, the legal oddities real files
 * have (unpadded headers, empty tensors, every dtype), the cheap sniff, and two properties — random
 * valid files round-trip, random mutations of valid files never produce anything but a catalogued
 * input error inside the file, the same way every time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, sniffSafetensors, SAFETENSORS_DTYPES, type SafetensorsHeader } from '../../../src/lib/formats/safetensors/parse-safetensors.ts';
import { byteLengthOf, DTYPES, elementCount, type DType } from '../../../src/lib/formats/dtype.ts';
import { ERROR_CATALOGUE, isErrorCode, SleuthError } from '../../../src/lib/formats/errors.ts';
import { MAX_SAFETENSORS_HEADER_BYTES, MAX_TENSOR_DIMS, MAX_TENSOR_NAME_LENGTH } from '../../../src/lib/formats/limits.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { assemble, buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { CORPUS } from '../../corpus/manifest.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const parse = (bytes: Uint8Array, path = 'model.safetensors'): Promise<SafetensorsHeader> => parseSafetensors(new MemorySource(path, bytes));

async function failure(bytes: Uint8Array): Promise<SleuthError> {
  try {
    await parse(bytes);
  } catch (e) {
    if (e instanceof SleuthError) return e;
    throw new Error(`not a SleuthError: ${String(e)}`);
  }
  throw new Error('parsed without error');
}

/** Header text with keys in the given order (JSON.stringify of an object would turn "__proto__" into a prototype). */
function headerText(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

const u64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

describe('safetensors: valid files', () => {
  it('reads names, dtypes, shapes, offsets (sorted by offset), the data start and __metadata__', async () => {
    const header = headerText([
      ['__metadata__', { format: 'pt', note: 'é' }],
      ['z.weight', { dtype: 'F16', shape: [3], data_offsets: [16, 22] }],
      ['a.weight', { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }],
    ]);
    const h = await parse(assemble(header, [new Uint8Array(22)], false));
    expect(h.headerLength).toBe(utf8(header).byteLength);
    expect(h.dataStart).toBe(8 + h.headerLength);
    expect(h.tensors).toEqual([
      { name: 'a.weight', dtype: 'F32', shape: [2, 2], begin: 0, end: 16 },
      { name: 'z.weight', dtype: 'F16', shape: [3], begin: 16, end: 22 },
    ]);
    expect(h.metadata).toEqual({ format: 'pt', note: 'é' });
  });

  it('accepts unpadded headers (safetensors ≤ 0.2): data may start at any byte', async () => {
    for (let extra = 0; extra < 8; extra++) {
      const header = headerText([[`t${'x'.repeat(extra)}`, { dtype: 'F32', shape: [1], data_offsets: [0, 4] }]]);
      const h = await parse(assemble(header, [f32Bytes([1.5])], false));
      expect(h.dataStart % 8).toBe((8 + utf8(header).byteLength) % 8);
      expect(h.tensors[0]?.end).toBe(4);
    }
  });

  it('accepts trailing spaces (the reference writer pads with 0x20)', async () => {
    const h = await parse(buildSafetensors([{ name: 'a', dtype: 'F32', shape: [1], data: f32Bytes([1]) }], { pad: true }));
    expect(h.headerLength % 8).toBe(0);
  });

  it('accepts empty tensors anywhere, zero tensors, and metadata only', async () => {
    const header = headerText([
      ['empty0', { dtype: 'F32', shape: [0], data_offsets: [0, 0] }],
      ['a', { dtype: 'F32', shape: [2], data_offsets: [0, 8] }],
      ['empty_mid', { dtype: 'BF16', shape: [4, 0], data_offsets: [8, 8] }],
      ['also_mid', { dtype: 'I64', shape: [0, 0, 7], data_offsets: [8, 8] }],
      ['b', { dtype: 'U8', shape: [2], data_offsets: [8, 10] }],
      ['empty_end', { dtype: 'F64', shape: [0], data_offsets: [10, 10] }],
    ]);
    const h = await parse(assemble(header, [new Uint8Array(10)], false));
    expect(h.tensors.map((t) => t.name)).toEqual(['empty0', 'a', 'also_mid', 'empty_mid', 'b', 'empty_end']);
    expect((await parse(assemble('{}', [], false))).tensors).toEqual([]);
    const meta = await parse(assemble('{"__metadata__":{"k":"v"}}', [], false));
    expect(meta.tensors).toEqual([]);
    expect(meta.metadata).toEqual({ k: 'v' });
  });

  it('accepts "__metadata__": null as no metadata (Option<HashMap> in the reference; MLX writes it)', async () => {
    expect((await parse(assemble('{"__metadata__":null}', [], false))).metadata).toBeUndefined();
  });

  it('accepts a scalar (shape [])', async () => {
    const h = await parse(assemble(headerText([['s', { dtype: 'F64', shape: [], data_offsets: [0, 8] }]]), [new Uint8Array(8)], false));
    expect(h.tensors[0]?.shape).toEqual([]);
  });

  it('reads every safetensors dtype with its storage size (incl. packed F4 / F6)', async () => {
    expect([...SAFETENSORS_DTYPES].sort()).toEqual(
      ['BOOL', 'BF16', 'C64', 'F16', 'F32', 'F4', 'F64', 'F6_E2M3', 'F6_E3M2', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'I16', 'I32', 'I64', 'I8', 'U16', 'U32', 'U64', 'U8'].sort(),
    );
    const entries: [string, unknown][] = [];
    let offset = 0;
    const expected: { name: string; bytes: number }[] = [];
    for (const dtype of SAFETENSORS_DTYPES) {
      const shape = [2, 4]; // 8 elements: whole blocks for every packed type
      const bytes = Number(byteLengthOf(dtype, 8n));
      entries.push([`t_${dtype}`, { dtype, shape, data_offsets: [offset, offset + bytes] }]);
      expected.push({ name: `t_${dtype}`, bytes });
      offset += bytes;
    }
    const h = await parse(assemble(headerText(entries), [new Uint8Array(offset)], false));
    expect(h.tensors.map((t) => [t.name, t.dtype, t.end - t.begin])).toEqual(expected.map((e) => [e.name, e.name.slice(2), e.bytes]));
    expect(expected.find((e) => e.name === 't_F4')?.bytes).toBe(4);
    expect(expected.find((e) => e.name === 't_F6_E2M3')?.bytes).toBe(6);
    expect(expected.find((e) => e.name === 't_C64')?.bytes).toBe(64);
  });

  it('a tensor named "__proto__" is just a tensor', async () => {
    const h = await parse(assemble(headerText([['__proto__', { dtype: 'F32', shape: [1], data_offsets: [0, 4] }]]), [f32Bytes([2])], false));
    expect(h.tensors.map((t) => t.name)).toEqual(['__proto__']);
  });

  it('accepts names up to the cap and dims up to the cap', async () => {
    const name = 'n'.repeat(MAX_TENSOR_NAME_LENGTH);
    const dims = [...Array<number>(MAX_TENSOR_DIMS - 1).fill(1), 2];
    const h = await parse(assemble(headerText([[name, { dtype: 'F32', shape: dims, data_offsets: [0, 8] }]]), [new Uint8Array(8)], false));
    expect(h.tensors[0]?.shape).toHaveLength(MAX_TENSOR_DIMS);
  });
});

describe('safetensors: sniffSafetensors', () => {
  const good = buildSafetensors([{ name: 'a', dtype: 'F32', shape: [1], data: f32Bytes([1]) }]);
  const head = (b: Uint8Array): Uint8Array => b.subarray(0, 64);
  it('recognises a valid file from its first bytes', () => {
    expect(sniffSafetensors(head(good), good.byteLength)).toBe(true);
  });
  it('rejects short heads, a zero length, a length past the file or the cap, and a first byte other than "{"', () => {
    expect(sniffSafetensors(good.subarray(0, 8), good.byteLength)).toBe(false);
    expect(sniffSafetensors(concat(u64(0n), utf8('{}')), 10)).toBe(false);
    expect(sniffSafetensors(head(good), 8 + 5)).toBe(false);
    expect(sniffSafetensors(concat(u64(BigInt(MAX_SAFETENSORS_HEADER_BYTES) + 1n), utf8('{')), 2 ** 40)).toBe(false);
    expect(sniffSafetensors(concat(u64(BigInt(MAX_SAFETENSORS_HEADER_BYTES)), utf8('{')), 2 ** 40)).toBe(true);
    expect(sniffSafetensors(concat(u64(2n), utf8('[]')), 10)).toBe(false);
    expect(sniffSafetensors(utf8('version https://git-lfs.github.com/spec/v1\n'), 130)).toBe(false);
    expect(sniffSafetensors(utf8('PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000'), 1000)).toBe(false);
  });
});

describe('safetensors: every rule → its code and byte offset', () => {
  // The corpus (tests/corpus/manifest.ts) lists one file per rule with its code and offset; the
  // reader itself must produce them, whatever the loader does around it.
  for (const e of CORPUS.filter((x) => x.format === 'safetensors' && x.knownIssue === undefined)) {
    it(`${e.id} → ${e.expect.code}${e.expect.offset === undefined ? '' : ` @ ${e.expect.offset}`}`, async () => {
      const err = await failure(e.build());
      expect(err.code).toBe(e.expect.code);
      expect(err.kind).toBe('input');
      expect(err.file).toBe('model.safetensors');
      if (e.expect.offset !== undefined) expect(err.offset).toBe(e.expect.offset);
    });
  }

  const a = (v: unknown): Uint8Array => assemble(headerText([['a', v]]), [new Uint8Array(16)], false);
  const cases: [string, Uint8Array, string, number][] = [
    ['file shorter than the length field', new Uint8Array(7), 'safetensors_header_too_small', 0],
    ['header length exactly at the cap but past the file', concat(u64(BigInt(MAX_SAFETENSORS_HEADER_BYTES)), utf8('{}')), 'safetensors_header_length', 0],
    ['dtype not a string', a({ dtype: 7, shape: [4], data_offsets: [0, 16] }), 'safetensors_bad_entry', 9],
    ['entry is null', a(null), 'safetensors_bad_entry', 9],
    ['shape missing', a({ dtype: 'F32', data_offsets: [0, 16] }), 'safetensors_bad_shape', 9],
    ['shape null element', a({ dtype: 'F32', shape: [null], data_offsets: [0, 16] }), 'safetensors_bad_shape', 9],
    ['data_offsets missing', a({ dtype: 'F32', shape: [4] }), 'safetensors_bad_offsets', 9],
    ['data_offsets floats', assemble('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0.0,16.0]}}', [new Uint8Array(16)], false), 'safetensors_bad_offsets', 9],
    ['negative begin', a({ dtype: 'F32', shape: [4], data_offsets: [-16, 0] }), 'safetensors_bad_offsets', 9],
    ['name over the cap', assemble(headerText([['n'.repeat(MAX_TENSOR_NAME_LENGTH + 1), { dtype: 'F32', shape: [4], data_offsets: [0, 16] }]]), [new Uint8Array(16)], false), 'safetensors_bad_entry', 9],
    ['__metadata__ a string', assemble('{"__metadata__":"pt"}', [], false), 'safetensors_bad_metadata', 9],
  ];
  for (const [what, bytes, code, offset] of cases) {
    it(`${what} → ${code} @ ${offset}`, async () => {
      const err = await failure(bytes);
      expect(err.code).toBe(code);
      expect(err.offset).toBe(offset);
    });
  }

  it('a tensor offset error points at the key of that tensor, after multi-byte names', async () => {
    const header = headerText([
      ['é😀', { dtype: 'F32', shape: [1], data_offsets: [0, 4] }],
      ['bad', { dtype: 'F32', shape: [2], data_offsets: [4, 8] }],
    ]);
    const err = await failure(assemble(header, [new Uint8Array(8)], false));
    expect(err.code).toBe('safetensors_span_mismatch');
    expect(err.offset).toBe(8 + utf8(header.slice(0, header.indexOf('"bad"'))).byteLength);
  });

  // Known defect: the entry offset is found by searching the header text for the quoted name, so it
  // lands on the first occurrence of that string (here inside __metadata__), and on byte 8 when the
  // file spells the name with escapes. Flip these to `it` when parse-safetensors.ts records key
  // positions while parsing.
  it.fails('KNOWN BUG: the offset of a bad entry whose name also appears earlier as a metadata value', async () => {
    const header = `{"__metadata__":{"note":"bad"},"bad":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`;
    const err = await failure(assemble(header, [new Uint8Array(4)], false));
    expect(err.offset).toBe(8 + header.indexOf('"bad":'));
  });
  it.fails('KNOWN BUG: the offset of a bad entry whose name is written with escapes', async () => {
    const header = `{"ok":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b\\u0061d":{"dtype":"F32","shape":[2],"data_offsets":[1,5]}}`;
    const err = await failure(assemble(header, [new Uint8Array(5)], false));
    expect(err.offset).toBe(8 + header.indexOf('"b\\u0061d"'));
  });
});

// ── properties ───────────────────────────────────────────────────────────────

interface TensorDraft {
  name: string;
  dtype: DType;
  shape: number[];
}

const dtypeArb = fc.constantFrom(...SAFETENSORS_DTYPES);
const tensorArb: fc.Arbitrary<TensorDraft> = fc
  .record({
    name: fc.string({ minLength: 0, maxLength: 12 }).filter((n) => n !== '__metadata__'),
    dtype: dtypeArb,
    dims: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  })
  .map(({ name, dtype, dims }) => {
    // Packed types need whole blocks: make the last dimension a multiple of the block.
    const block = DTYPES[dtype].blockElements;
    const shape = dims.length === 0 && block > 1 ? [block] : dims.map((d, i) => (i === dims.length - 1 ? d * block : d));
    return { name, dtype, shape };
  });

const fileArb = fc.record({
  tensors: fc.uniqueArray(tensorArb, { selector: (t) => t.name, maxLength: 6 }),
  metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
  pad: fc.boolean(),
  dataOrderSeed: fc.nat(),
  metadataFirst: fc.boolean(),
});

interface BuiltFile {
  bytes: Uint8Array;
  expected: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string> | undefined;
}

type FileSpec = typeof fileArb extends fc.Arbitrary<infer T> ? T : never;

function buildFile(spec: FileSpec): BuiltFile {
  // Data order: a rotation of the header order, so header order and offset order differ.
  const n = spec.tensors.length;
  const order = spec.tensors.map((_, i) => (i + spec.dataOrderSeed) % Math.max(1, n));
  const ranges = new Map<string, [number, number]>();
  let offset = 0;
  for (const i of order) {
    const t = spec.tensors[i] as TensorDraft;
    const bytes = Number(byteLengthOf(t.dtype, elementCount(t.shape)));
    ranges.set(t.name, [offset, offset + bytes]);
    offset += bytes;
  }
  const entries: [string, unknown][] = spec.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data_offsets: ranges.get(t.name) }]);
  if (spec.metadata) {
    if (spec.metadataFirst) entries.unshift(['__metadata__', spec.metadata]);
    else entries.push(['__metadata__', spec.metadata]);
  }
  const data = Uint8Array.from({ length: offset }, (_, i) => (i * 31 + 7) & 0xff);
  const expected = spec.tensors
    .map((t) => {
      const [begin, end] = ranges.get(t.name) as [number, number];
      return { name: t.name, dtype: t.dtype, shape: t.shape, begin, end };
    })
    .sort((x, y) => x.begin - y.begin || x.end - y.end || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { bytes: assemble(headerText(entries), [data], spec.pad), expected, metadata: spec.metadata };
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'length'; value: bigint }
  | { kind: 'json'; at: number; char: string }
  | { kind: 'number'; which: number; value: bigint }
  | { kind: 'shift'; which: number; delta: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 400n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })) }),
  // Structural characters dropped into the header region, where most rules live.
  fc.record({ kind: fc.constant('json' as const), at: fc.nat(), char: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '-', '0', '9', '.', 'e', '\\', ' ', 'é', '\u0000') }),
  // A number of the header (a dim or an offset) rewritten: small, near the data size, or huge.
  // One tensor's [begin, end] moved together: spans stay right, the tiling breaks (gap, overlap, past the end).
  fc.record({ kind: fc.constant('shift' as const), which: fc.nat(), delta: fc.oneof(fc.integer({ min: -64, max: 64 }), fc.integer({ min: -1e6, max: 1e9 })) }),
  fc.record({ kind: fc.constant('number' as const), which: fc.nat(), value: fc.oneof(fc.bigInt({ min: 0n, max: 64n }), fc.bigInt({ min: 0n, max: 1n << 20n }), fc.bigInt({ min: 0n, max: 1n << 70n })) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.byteLength;
  switch (m.kind) {
    case 'set': {
      if (n === 0) return bytes;
      const out = Uint8Array.from(bytes);
      out[m.at % n] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, n === 0 ? 0 : m.at % n);
    case 'insert': {
      const at = m.at % (n + 1);
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    }
    case 'delete': {
      const at = n === 0 ? 0 : m.at % n;
      return concat(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + m.count)));
    }
    case 'length': {
      if (n < 8) return bytes;
      const out = Uint8Array.from(bytes);
      new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
    }
    case 'json': {
      if (n <= 8) return bytes;
      const headerEnd = Math.min(n, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) & 0xffffn));
      const at = 8 + (m.at % Math.max(1, headerEnd - 8));
      const c = utf8(m.char);
      return concat(bytes.subarray(0, at), c, bytes.subarray(at + 1));
    }
    case 'shift': {
      const text = new TextDecoder().decode(bytes);
      const pairs = [...text.matchAll(/"data_offsets":\[(\d+),(\d+)\]/g)];
      const hit = pairs[m.which % Math.max(1, pairs.length)];
      if (!hit || hit.index === undefined || !/^[\x00-\x7f]*$/.test(text.slice(0, hit.index))) return bytes;
      const begin = Number(hit[1]) + m.delta;
      const end = Number(hit[2]) + m.delta;
      const replaced = `"data_offsets":[${begin},${end}]`;
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) + replaced.length - hit[0].length;
      const out = concat(bytes.subarray(0, hit.index), utf8(replaced), bytes.subarray(hit.index + hit[0].length));
      new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, headerLength)), true);
      return out;
    }
    case 'number': {
      if (n <= 8) return bytes;
      const headerEnd = Math.min(n, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) & 0xffffn));
      const runs: [number, number][] = [];
      for (let i = 8; i < headerEnd; i++) {
        if ((bytes[i] as number) < 0x30 || (bytes[i] as number) > 0x39) continue;
        let j = i;
        while (j < headerEnd && (bytes[j] as number) >= 0x30 && (bytes[j] as number) <= 0x39) j++;
        runs.push([i, j]);
        i = j;
      }
      const run = runs[m.which % Math.max(1, runs.length)];
      if (!run) return bytes;
      // The header length field is not updated: the rewrite may also shift or cut the header, on purpose.
      return concat(bytes.subarray(0, run[0]), utf8(String(m.value)), bytes.subarray(run[1]));
    }
  }
}

type Outcome = { ok: true; header: SafetensorsHeader } | { ok: false; code: string; kind: string; offset: number | undefined; message: string };

async function outcome(bytes: Uint8Array): Promise<Outcome> {
  try {
    return { ok: true, header: await parse(bytes) };
  } catch (e) {
    if (!(e instanceof SleuthError)) throw new Error(`a non-SleuthError escaped the reader: ${String(e)}`);
    return { ok: false, code: e.code, kind: e.kind, offset: e.offset, message: e.message };
  }
}

describe('safetensors: properties', () => {
  it('random valid files round-trip (any names incl. unicode and "__proto__", every dtype, empty tensors, padded or not, any data order)', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, async (spec) => {
        const built = buildFile(spec);
        const h = await parse(built.bytes);
        expect(h.tensors).toEqual(built.expected);
        expect(h.metadata === undefined ? undefined : { ...h.metadata }).toEqual(built.metadata);
        expect(h.dataStart + (built.expected.at(-1)?.end ?? 0)).toBe(built.bytes.byteLength);
      }),
      { numRuns: 300 },
    );
  });

  it('random mutations of valid files: parsed consistently, or a catalogued input error inside the file — deterministic', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (spec, mutations) => {
        const bytes = mutations.reduce(mutate, buildFile(spec).bytes);
        const first = await outcome(bytes);
        const again = await outcome(Uint8Array.from(bytes));
        expect(again).toEqual(first);
        if (first.ok) {
          // Whatever parses is self-consistent: sorted, contiguous, ending exactly at the end of the file.
          let expected = 0;
          for (const t of first.header.tensors) {
            expect(t.begin).toBe(expected);
            expect(t.end - t.begin).toBe(Number(byteLengthOf(t.dtype, elementCount(t.shape))));
            expected = t.end;
          }
          expect(first.header.dataStart + expected).toBe(bytes.byteLength);
        } else {
          expect(isErrorCode(first.code), first.code).toBe(true);
          expect(first.kind, `${first.code}: ${first.message}`).toBe('input');
          expect(ERROR_CATALOGUE[first.code as keyof typeof ERROR_CATALOGUE][0]).toBe('input');
          expect(first.offset, first.message).toBeGreaterThanOrEqual(0);
          expect(first.offset, `${first.code}: ${first.message}`).toBeLessThanOrEqual(bytes.byteLength);
        }
        // The loader around the reader never turns a bad file into an internal error.
        const manifest = await loadModel('fuzz', [new MemorySource('model.safetensors', bytes)]);
        for (const p of manifest.problems) expect(p.kind, `${p.code}: ${p.message}`).toBe('input');
      }),
      { numRuns: 1500 },
    );
  });
});
