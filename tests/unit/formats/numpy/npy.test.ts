import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { NodeFileSource } from '../../../../src/lib/io/node-source.ts';
import { parseLiteral, parseNpyHeader } from '../../../../src/lib/formats/numpy/npy-header.ts';
import { parseNpy, parseNpz } from '../../../../src/lib/formats/numpy/parse-npy.ts';
import { generate } from '../pytorch/generate.ts';
import { rowMajorBytes, sha256Hex } from '../pytorch/tensor-bytes.ts';
import { buildZip } from '../zip/zip-builder.ts';

/** An .npy file from raw header text (padded like numpy) and data. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), version = 1, pad = true): Uint8Array {
  const fixed = version === 1 ? 10 : 12;
  let text = header;
  if (pad) {
    const total = fixed + text.length + 1;
    text += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  }
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(fixed + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, fixed);
  out.set(data, fixed + h.length);
  return out;
}

describe('header literal parser', () => {
  it('accepts what numpy writers write', () => {
    expect(parseLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")).toEqual(
      new Map<string, unknown>([
        ['descr', '<f4'],
        ['fortran_order', false],
        ['shape', { tuple: [3n, 4n] }],
      ]),
    );
    expect(parseLiteral('(2L,)')).toEqual({ tuple: [2n] });
    expect(parseLiteral('(16, )')).toEqual({ tuple: [16n] });
    expect(parseLiteral('()')).toEqual({ tuple: [] });
    expect(parseLiteral('(5)')).toBe(5n);
    expect(parseLiteral("[('a', '<f4'), ('b', '<i2', (2,))]")).toEqual([{ tuple: ['a', '<f4'] }, { tuple: ['b', '<i2', { tuple: [2n] }] }]);
    expect(parseLiteral('"x\\ty"')).toBe('x\ty');
  });
  it.each(["__import__('os').system('id')", "{'a': 1} + 1", '1.5', "{'a' 1}", "{'a': 1, 'a': 2}", "'unterminated", 'True False', '('.repeat(100) + ')'.repeat(100)])('rejects %s', (text) => {
    expect(() => parseLiteral(text)).toThrow();
  });
});

describe('.npy headers', () => {
  const parse = (bytes: Uint8Array) => parseNpyHeader(bytes, 0, 't.npy');
  it('v1, v2 and v3 headers, alignment notes', () => {
    const h = parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"));
    expect(h).toMatchObject({ version: '1.0', headerLength: 128, fortranOrder: false, shape: [3, 4], numel: 12n, notes: [] });
    expect(h.descr).toMatchObject({ dtype: 'F32', itemSize: 4, byteOrder: 'little' });
    expect(parse(npy("{'descr': '|u1', 'fortran_order': True, 'shape': (), }", undefined, 2)).version).toBe('2.0');
    expect(parse(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", undefined, 1, false)).notes.join()).toMatch(/not aligned/);
  });
  it.each([
    ["{'descr': '<f4', 'fortran_order': False}", 'npy_header_keys'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 'npy_header_keys'],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 'npy_header_keys'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 'npy_bad_shape'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", 'npy_bad_shape'],
    ["{'descr': 'zz9', 'fortran_order': False, 'shape': (1,)}", 'npy_bad_descr'],
    ["{'descr': eval('1'), 'fortran_order': False, 'shape': (1,)}", 'npy_header_syntax'],
    ["['descr']", 'npy_header_syntax'],
  ])('%s → %s', (header, code) => {
    expect(() => parse(npy(header))).toThrow(expect.objectContaining({ code }) as unknown as Error);
  });
  it('bad magic, bad version, oversized header', () => {
    const good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
    expect(() => parse(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a, 1, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'npy_bad_magic' }) as unknown as Error);
    const v9 = good.slice();
    v9[6] = 9;
    expect(() => parse(v9)).toThrow(expect.objectContaining({ code: 'npy_bad_version' }) as unknown as Error);
    const huge = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => parse(huge)).toThrow(expect.objectContaining({ code: 'npy_header_too_large' }) as unknown as Error);
  });
});

describe('.npy files built by hand', () => {
  it('data shorter than the shape needs', async () => {
    const src = new MemorySource('s.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(12)));
    await expect(parseNpy(src)).rejects.toMatchObject({ code: 'npy_truncated_data' });
  });
  it('a header longer than the file', async () => {
    const whole = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }");
    await expect(parseNpy(new MemorySource('s.npy', whole.subarray(0, 40)))).rejects.toMatchObject({ code: 'truncated' });
  });
  it('an object array whose pickle calls os.system', async () => {
    const pickle = Uint8Array.from([0x80, 2, ...Array.from('cposix\nsystem\nX\x02\x00\x00\x00id\x85R.', (c) => c.charCodeAt(0))]);
    const r = await parseNpy(new MemorySource('evil.npy', npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle)));
    expect(r.tensors).toEqual([]);
    expect(r.problems.map((p) => p.code)).toEqual(['npy_object_array']);
    expect(r.findings.map((f) => `${f.severity}:${f.code}@${f.offset}`)).toEqual(['critical:posix.system@130']);
  });
  it('an .npz member that is not an array, and a compressed member', async () => {
    const arr = npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", Uint8Array.from([1, 0, 2, 0]));
    const zip = buildZip([
      { name: 'a.npy', data: arr },
      { name: 'b.npy', data: arr, method: 8 },
      { name: 'readme.txt', data: new TextEncoder().encode('hi') },
    ]);
    const r = await parseNpz(new MemorySource('x.npz', zip.bytes));
    expect(r.tensors.map((t) => [t.name, t.dtype, t.byteOffset])).toEqual([['a', 'I16', (zip.dataOffsets[0] as number) + 128]]);
    expect(r.arrays.map((a) => [a.name, a.inPlace])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(r.problems.map((p) => p.code)).toEqual(['npy_member_compressed']);
    expect(r.findings.map((f) => f.code)).toEqual(['unexpected-member']);
  });
});

const gen = generate('make_numpy_fixtures.py', ['python3', '/usr/bin/python3']);
afterAll(() => {
  if ('cleanup' in gen) gen.cleanup();
});

interface Info {
  descr: string;
  shape: number[];
  fortran_order: boolean;
  sha256?: string;
}

describe.skipIf('skip' in gen)('files written by numpy', () => {
  if ('skip' in gen) {
    console.warn(`SKIPPED numpy-written fixtures: ${gen.skip}`);
    return;
  }
  const { dir, expected } = gen as { dir: string; expected: { files: Record<string, Info>; members: Record<string, Record<string, Info>> } };

  it.each(Object.keys(expected.files).sort())('%s', async (f) => {
    const want = expected.files[f] as Info;
    const src = await NodeFileSource.open(join(dir, f), f);
    try {
      const r = await parseNpy(src);
      expect(r.arrays).toHaveLength(1);
      expect(r.arrays[0]?.header.shape).toEqual(want.shape);
      if (typeof want.descr === 'string') expect(r.arrays[0]?.header.descr.text).toBe(want.descr);
      if (want.sha256 !== undefined) {
        expect(r.tensors).toHaveLength(1);
        const t = r.tensors[0];
        if (!t) return;
        expect(t.layout.kind).toBe(want.fortran_order && want.shape.filter((d) => d > 1).length > 1 ? 'strided' : 'contiguous');
        expect(sha256Hex(await rowMajorBytes(src, t))).toBe(want.sha256);
        expect(r.problems.map((p) => p.code)).toEqual(want.descr.startsWith('>') ? ['npy_big_endian'] : []);
      } else {
        expect(r.tensors).toEqual([]);
        expect(r.problems.map((p) => p.code)).toEqual([want.descr === '|O' ? 'npy_object_array' : 'unsupported_dtype']);
        expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
      }
    } finally {
      await src.close();
    }
  });

  it('stored.npz: every member streamed in place, bytes equal', async () => {
    const src = await NodeFileSource.open(join(dir, 'stored.npz'), 'stored.npz');
    try {
      const r = await parseNpz(src, { crc: 'all' });
      const want = expected.members['stored.npz'] ?? {};
      expect(r.tensors.map((t) => t.name).sort()).toEqual(Object.keys(want).sort());
      for (const t of r.tensors) expect(sha256Hex(await rowMajorBytes(src, t)), t.name).toBe(want[t.name]?.sha256);
      expect(r.findings).toEqual([]);
      expect(r.zip?.entries.every((e) => e.crcOk === true)).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('compressed.npz: described from inflated headers, reported as not streamable', async () => {
    const src = await NodeFileSource.open(join(dir, 'compressed.npz'), 'compressed.npz');
    try {
      const r = await parseNpz(src);
      expect(r.tensors).toEqual([]);
      expect(r.arrays.map((a) => [a.name, a.header.shape, a.inPlace])).toEqual([
        ['f4', [4, 3], false],
        ['i8', [10], false],
      ]);
      expect(r.problems.map((p) => p.code)).toEqual(['npy_member_compressed', 'npy_member_compressed']);
    } finally {
      await src.close();
    }
  });
});
