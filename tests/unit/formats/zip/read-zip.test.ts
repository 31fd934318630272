import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { SleuthError } from '../../../../src/lib/formats/errors.ts';
import { crc32 } from '../../../../src/lib/formats/zip/crc32.ts';
import { decodeCp437, readZipDirectory, readZipMember, readZipMemberPrefix, verifyZipMemberCrc, type ZipDirectory } from '../../../../src/lib/formats/zip/read-zip.ts';
import { buildZip, enc, type MemberSpec, type ZipSpec } from './zip-builder.ts';

const text = (s: string): Uint8Array => enc(s);
const read = (members: MemberSpec[], spec?: ZipSpec, opts?: Parameters<typeof readZipDirectory>[1]): Promise<ZipDirectory> =>
  readZipDirectory(new MemorySource('t.zip', buildZip(members, spec).bytes), opts);
const codes = (d: ZipDirectory): string[] => d.anomalies.map((a) => a.code);

describe('CRC-32', () => {
  it('known answers', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('well-formed archives', () => {
  const members: MemberSpec[] = [
    { name: 'arch/data.pkl', data: text('pickle bytes'), descriptor: true, align: 64 },
    { name: 'arch/data/0', data: new Uint8Array(1000).map((_, i) => i & 0xff), descriptor: true, align: 64 },
    { name: 'arch/version', data: text('3\n'), descriptor: true, align: 64 },
    { name: 'notes.txt', data: text('hello hello hello hello hello'), method: 8 },
  ];

  it.each([false, true])('torch-style members, zip64=%s: offsets, sizes, CRCs, no anomalies', async (zip64) => {
    const built = buildZip(members, { zip64 });
    const d = await readZipDirectory(new MemorySource('t.zip', built.bytes));
    expect(codes(d)).toEqual([]);
    expect(d.zip64).toBe(zip64);
    expect(d.entries.map((e) => e.name)).toEqual(members.map((m) => m.name));
    expect(d.entries.map((e) => e.dataOffset)).toEqual(built.dataOffsets);
    expect(d.entries.slice(0, 3).every((e) => (e.dataOffset ?? 1) % 64 === 0)).toBe(true);
    expect(d.entries.map((e) => e.crcOk)).toEqual([true, true, true, true]);
    const src = new MemorySource('t.zip', built.bytes);
    expect(await readZipMember(src, d.entries[3] as never)).toEqual(text('hello hello hello hello hello'));
    expect(await readZipMemberPrefix(src, d.entries[3] as never, 5)).toEqual(text('hello'));
    expect((await readZipMember(src, d.entries[1] as never)).length).toBe(1000);
  });

  it('CP437 names without the UTF-8 flag', () => {
    expect(decodeCp437(Uint8Array.from([0x41, 0x80, 0x81, 0xe1, 0xff]))).toBe('AÇüß\u00a0');
    expect(decodeCp437(Uint8Array.from(Array.from({ length: 128 }, (_, i) => 128 + i))).length).toBe(128);
  });

  it('an empty archive', async () => {
    const d = await read([]);
    expect(d.entries).toEqual([]);
    expect(codes(d)).toEqual([]);
  });
});

describe('anomalies: the archive stays usable', () => {
  const a = { name: 'a', data: text('aaaa') };
  const b = { name: 'b', data: text('bbbbbbbb') };

  it('duplicate names (first one is used)', async () => {
    const d = await read([a, { ...b, name: 'a' }]);
    expect(codes(d)).toEqual(['duplicate-name']);
    expect(d.byName.get('a')?.index).toBe(0);
  });
  it.each(['../evil', '/etc/passwd', 'C:/x', 'dir\\..\\x', 'ok/../../x'])('unsafe path %s', async (name) => {
    const d = await read([{ name, data: text('x') }]);
    expect(codes(d)).toContain('unsafe-path');
  });
  it('bytes before the archive (polyglot / stub) with offsets relative to the archive', async () => {
    const prefix = text('#!/bin/sh\necho hi\nexit 0\n');
    const built = buildZip([a, b], { prefix, relativeToArchive: true });
    const d = await readZipDirectory(new MemorySource('t.zip', built.bytes));
    expect(codes(d)).toEqual(['data-before-archive']);
    expect(d.prefixBytes).toBe(prefix.length);
    expect(d.entries.map((e) => e.dataOffset)).toEqual(built.dataOffsets);
  });
  it('bytes before the first member with correct absolute offsets', async () => {
    const d = await read([a], { prefix: new Uint8Array(100) });
    expect(codes(d)).toEqual(['gap-before-first-member']);
  });
  it('bytes between members, before and after the central directory, after the end record', async () => {
    const d = await read([{ ...a, gapAfter: 10 }, b], { beforeDirectory: 7, afterDirectory: 9, trailing: text('APPENDED'), comment: 'c' });
    expect(new Set(codes(d))).toEqual(new Set(['gap-between-members', 'data-before-central-directory', 'data-after-central-directory', 'data-after-eocd', 'archive-comment']));
  });
  it('overlapping members', async () => {
    const d = await read([a, { ...b, centralLhoOf: 0, name: 'b' }]);
    expect(codes(d)).toContain('overlapping-members');
  });
  it('local/central disagreement: name, method', async () => {
    expect(codes(await read([{ ...a, localName: 'z' }]))).toContain('local-central-mismatch');
    expect(codes(await read([{ ...a, localMethod: 8 }]))).toContain('local-central-mismatch');
  });
  it('data descriptor that disagrees', async () => {
    expect(codes(await read([{ ...a, descriptor: true, descriptorCrc: 1 }]))).toContain('descriptor-mismatch');
  });
  it('CRC mismatch of a small member; skipped with crc "none"; big members on request', async () => {
    const bad = { ...a, centralCrc: 0x12345678 };
    const d = await read([bad]);
    expect(codes(d)).toContain('crc-mismatch');
    expect(d.entries[0]?.crcOk).toBe(false);
    const none = await read([bad], {}, { crc: 'none' });
    expect(codes(none)).not.toContain('crc-mismatch');
    expect(none.entries[0]?.crcOk).toBeUndefined();
    const big = { name: 'big', data: new Uint8Array(2 * 1024 * 1024).fill(7) };
    const built = buildZip([big]);
    const src = new MemorySource('t.zip', built.bytes);
    const dd = await readZipDirectory(src);
    expect(dd.entries[0]?.crcOk).toBeUndefined();
    expect(await verifyZipMemberCrc(src, dd.entries[0] as never)).toBe(true);
  });
  it('encrypted member, unsupported method', async () => {
    expect(codes(await read([{ ...a, flags: 1 }]))).toContain('encrypted-member');
    const d = await read([{ ...a, method: 0, localMethod: 12 }]);
    expect(codes(d)).toContain('local-central-mismatch');
  });
  it('an Info-ZIP Unicode path field naming something else', async () => {
    const alt = text('other');
    const field = Uint8Array.from([0x75, 0x70, 5 + alt.length, 0, 1, 0, 0, 0, 0, ...alt]);
    expect(codes(await read([{ ...a, centralExtra: field }]))).toContain('unicode-path-extra');
  });
  it('entry count that leaves directory bytes unaccounted', async () => {
    const d = await read([a, b], { entryCount: 1 });
    expect(codes(d)).toContain('entry-count-mismatch');
  });
});

describe('fatal: the directory cannot be read', () => {
  const a = { name: 'a', data: text('aaaa') };
  const fails = async (bytes: Uint8Array, code: string): Promise<void> => {
    await expect(readZipDirectory(new MemorySource('t.zip', bytes))).rejects.toMatchObject({ code });
  };
  it('no end record', async () => {
    await fails(text('PK\x03\x04 not really a zip'), 'zip_no_eocd');
    await fails(new Uint8Array(10), 'zip_no_eocd');
  });
  it('multi-disk', async () => {
    await fails(buildZip([a], { disk: 1 }).bytes, 'zip_multi_disk');
  });
  it('a directory that does not fit', async () => {
    await fails(buildZip([a], { directorySize: 100_000 }).bytes, 'zip_bad_central_directory');
    await fails(buildZip([a], { entryCount: 60_000 }).bytes, 'zip_bad_eocd');
  });
  it('a forged ZIP64 count over the cap', async () => {
    const built = buildZip([a], { zip64: true });
    const bytes = built.bytes.slice();
    // ZIP64 EOCD record: total entries at +32.
    const rec = bytes.length - 22 - 20 - 56;
    new DataView(bytes.buffer).setBigUint64(rec + 32, 2n ** 40n, true);
    new DataView(bytes.buffer).setBigUint64(rec + 24, 2n ** 40n, true);
    await fails(bytes, 'zip_too_many_entries');
  });
  it('truncated anywhere: a SleuthError or a usable directory, never anything else', async () => {
    const whole = buildZip([{ ...a, descriptor: true, align: 64 }, { name: 'b', data: text('bb'), method: 8 }], { zip64: true }).bytes;
    for (let n = 0; n < whole.length; n++) {
      try {
        await readZipDirectory(new MemorySource('t.zip', whole.subarray(0, n)));
      } catch (e) {
        expect(e).toBeInstanceOf(SleuthError);
        expect((e as SleuthError).kind).toBe('input');
      }
    }
    // Flipping each byte never produces a non-input error either.
    for (let i = 0; i < whole.length; i++) {
      const copy = whole.slice();
      copy[i] = (copy[i] as number) ^ 0xa5;
      try {
        await readZipDirectory(new MemorySource('t.zip', copy));
      } catch (e) {
        expect(e).toBeInstanceOf(SleuthError);
        expect((e as SleuthError).kind).toBe('input');
      }
    }
  });
  it('a deflate bomb is cut at the cap', async () => {
    const built = buildZip([{ name: 'bomb', data: new Uint8Array(4 * 1024 * 1024), method: 8 }]);
    const src = new MemorySource('t.zip', built.bytes);
    const d = await readZipDirectory(src, { crc: 'none' });
    await expect(readZipMember(src, d.entries[0] as never, 1024 * 1024)).rejects.toMatchObject({ code: 'zip_member_too_large' });
  });
  it('corrupt deflate data', async () => {
    const built = buildZip([{ name: 'x', data: text('some text to deflate, some text to deflate'), method: 8 }]);
    const bytes = built.bytes.slice();
    for (let i = 0; i < 6; i++) bytes[(built.dataOffsets[0] as number) + i] = 0xff;
    const src = new MemorySource('t.zip', bytes);
    const d = await readZipDirectory(src, { crc: 'none' });
    await expect(readZipMember(src, d.entries[0] as never)).rejects.toMatchObject({ code: 'zip_inflate_failed' });
  });
});
