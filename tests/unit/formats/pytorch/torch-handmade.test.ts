/**
 * Hand-built checkpoints for what torch never writes on purpose: missing, compressed, short or
 * unreferenced storages, big-endian files, new dtypes, trailing payloads, broken legacy layouts.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { parseTorchCheckpoint, sniffTorch } from '../../../../src/lib/formats/pytorch/parse-torch.ts';
import { viewSpan } from '../../../../src/lib/formats/pytorch/tensor-span.ts';
import { pk, type PickleBuilder } from '../pickle/pickle-builder.ts';
import { buildZip, enc, type MemberSpec } from '../zip/zip-builder.ts';

const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

function checkpoint(dataPkl: Uint8Array, storages: Record<string, Uint8Array>, extra: MemberSpec[] = [], byteorder = 'little'): MemorySource {
  const members: MemberSpec[] = [
    { name: 'arch/data.pkl', data: dataPkl, descriptor: true, align: 64 },
    { name: 'arch/byteorder', data: enc(byteorder), descriptor: true, align: 64 },
    ...Object.entries(storages).map(([k, d]) => ({ name: `arch/data/${k}`, data: d, descriptor: true, align: 64 })),
    { name: 'arch/version', data: enc('3\n'), descriptor: true, align: 64 },
    ...extra,
  ];
  return new MemorySource('ckpt.pt', buildZip(members, { zip64: true }).bytes);
}

function stateDict(entries: [string, (b: PickleBuilder) => PickleBuilder][]): Uint8Array {
  const b = pk().proto(2).global('collections', 'OrderedDict').tuple(0).reduce().mark();
  for (const [k, v] of entries) v(b.str(k));
  return b.raw('u').stop().bytes();
}

describe('zip checkpoints built by hand', () => {
  it('a minimal checkpoint reads back exactly', async () => {
    const src = checkpoint(stateDict([['w', (b) => b.tensor({ key: '0', numel: 4, size: [2, 2], stride: [2, 1] })]]), { '0': f32(1, 2, 3, 4) });
    const r = await parseTorchCheckpoint(src);
    expect(r.problems).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.tensors).toHaveLength(1);
    const t = r.tensors[0];
    expect(t).toMatchObject({ name: 'w', dtype: 'F32', shape: [2, 2], byteLength: 16, layout: { kind: 'contiguous' } });
    expect(new Float32Array((await src.read(t?.byteOffset ?? 0, 16)).slice().buffer)).toEqual(Float32Array.from([1, 2, 3, 4]));
  });

  it('a missing storage is a problem; the other tensors are still located', async () => {
    const src = checkpoint(
      stateDict([
        ['gone', (b) => b.tensor({ key: '7', numel: 4, size: [4], stride: [1] })],
        ['here', (b) => b.tensor({ key: '0', numel: 1, size: [1], stride: [1] })],
      ]),
      { '0': f32(5) },
    );
    const r = await parseTorchCheckpoint(src);
    expect(r.tensors.map((t) => t.name)).toEqual(['here']);
    expect(r.problems.map((p) => p.code)).toEqual(['torch_missing_storage']);
  });

  it('a compressed storage cannot be streamed in place', async () => {
    const pkl = stateDict([['w', (b) => b.tensor({ key: '0', numel: 64, size: [64], stride: [1] })]]);
    const members: MemberSpec[] = [
      { name: 'arch/data.pkl', data: pkl },
      { name: 'arch/data/0', data: new Uint8Array(256), method: 8 },
    ];
    const r = await parseTorchCheckpoint(new MemorySource('c.pt', buildZip(members).bytes));
    expect(r.tensors).toEqual([]);
    expect(r.problems.map((p) => p.code)).toEqual(['torch_storage_compressed']);
    expect(r.findings.map((f) => `${f.kind}:${f.code}`)).toContain('zip-anomaly:compressed-member');
  });

  it('a view past the end of its storage, and a storage shorter than declared', async () => {
    const r = await parseTorchCheckpoint(
      checkpoint(
        stateDict([
          ['past', (b) => b.tensor({ key: '0', numel: 4, size: [3], stride: [1], offset: 2 })],
          ['short', (b) => b.tensor({ key: '1', numel: 8, size: [8], stride: [1] })],
        ]),
        { '0': f32(1, 2, 3, 4), '1': f32(1, 2) },
      ),
    );
    expect(r.tensors).toEqual([]);
    expect(r.problems.map((p) => p.code).sort()).toEqual(['torch_storage_too_small', 'torch_storage_too_small']);
  });

  it('big-endian checkpoints are flagged, tensors still listed', async () => {
    const r = await parseTorchCheckpoint(checkpoint(stateDict([['w', (b) => b.tensor({ key: '0', numel: 1, size: [1], stride: [1] })]]), { '0': f32(1) }, [], 'big'));
    expect(r.byteOrder).toBe('big');
    expect(r.problems.map((p) => p.code)).toEqual(['torch_big_endian']);
    expect(r.tensors).toHaveLength(1);
  });

  it('unreferenced storages and members outside the archive folder are anomalies', async () => {
    const r = await parseTorchCheckpoint(
      checkpoint(stateDict([['w', (b) => b.tensor({ key: '0', numel: 1, size: [1], stride: [1] })]]), { '0': f32(1), '9': f32(6, 6) }, [{ name: 'payload.sh', data: enc('rm -rf /') }]),
    );
    const codes = r.findings.map((f) => `${f.code}:${f.member ?? ''}`);
    expect(codes).toContain('unreferenced-member:arch/data/9');
    expect(codes).toContain('unexpected-member:payload.sh');
  });

  it('_rebuild_tensor_v3 over an UntypedStorage: uint16 and float8 tensors', async () => {
    const v3 = (key: string, dtype: string, n: number) => (b: PickleBuilder) => {
      b.global('torch._utils', '_rebuild_tensor_v3').mark();
      b.mark().str('storage').global('torch', 'UntypedStorage').str(key).str('cpu').int(n * (dtype === 'uint16' ? 2 : 1)).raw('t').raw('Q');
      b.int(0).mark().int(n).raw('t').mark().int(1).raw('t').raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce().global('torch', dtype).raw('t');
      return b.reduce();
    };
    const r = await parseTorchCheckpoint(checkpoint(stateDict([['u', v3('0', 'uint16', 4)], ['f8', v3('1', 'float8_e4m3fn', 3)], ['fnuz', v3('2', 'float8_e5m2fnuz', 2)]]), { '0': new Uint8Array(8), '1': new Uint8Array(3), '2': new Uint8Array(2) }));
    expect(r.tensors.map((t) => `${t.name}:${t.dtype}:${t.byteLength}`)).toEqual(['u:U16:8', 'f8:F8_E4M3:3']);
    expect(r.problems.map((p) => p.code)).toEqual(['torch_unsupported_dtype']);
    expect(r.findings).toEqual([]);
  });

  it('a second pickle hidden after STOP in data.pkl is scanned', async () => {
    const first = stateDict([['w', (b) => b.tensor({ key: '0', numel: 1, size: [1], stride: [1] })]]);
    const second = pk().proto(2).global('os', 'system').str('id').tuple(1).reduce().stop().bytes();
    const r = await parseTorchCheckpoint(checkpoint(Uint8Array.from([...first, ...second]), { '0': f32(1) }));
    expect(r.tensors).toHaveLength(1);
    expect(r.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(expect.arrayContaining(['medium:opcodes-after-stop', 'critical:os.system']));
  });

  it('an archive without data.pkl is not a checkpoint', async () => {
    const src = new MemorySource('x.zip', buildZip([{ name: 'x/readme.txt', data: enc('hi') }]).bytes);
    await expect(parseTorchCheckpoint(src)).rejects.toMatchObject({ code: 'torch_no_data_pkl' });
  });

  it('a truncated data.pkl: globals kept, scan marked incomplete', async () => {
    const whole = stateDict([['w', (b) => b.tensor({ key: '0', numel: 1, size: [1], stride: [1] })]]);
    const cut = Uint8Array.from([...pk().proto(2).global('os', 'system').bytes(), ...whole.subarray(2, 20)]);
    const r = await parseTorchCheckpoint(checkpoint(cut, { '0': f32(1) }));
    expect(r.problems.map((p) => p.code)).toContain('torch_scan_incomplete');
    expect(r.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['os.system', 'scan-incomplete']));
  });
});

describe('legacy streams built by hand', () => {
  const magic = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  const proto = pk().proto(2).raw('M', 0xe9, 0x03).stop().bytes();
  const sysInfo = (le: boolean): Uint8Array => pk().proto(2).emptyDict().str('little_endian').raw(le ? 0x88 : 0x89).setitem().stop().bytes();
  const legacyTensor = (b: PickleBuilder, key: string, numel: number, size: number[], offset = 0): PickleBuilder => {
    b.global('torch._utils', '_rebuild_tensor_v2').mark();
    b.mark().str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(numel).none().raw('t').raw('Q');
    b.int(offset).mark();
    for (const d of size) b.int(d);
    b.raw('t').mark().int(1).raw('t').raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce().raw('t');
    return b.reduce();
  };
  const count = (n: number): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  };
  const build = (parts: Uint8Array[]): MemorySource => new MemorySource('legacy.pt', Uint8Array.from(parts.flatMap((p) => [...p])));

  const main = pk().proto(2).emptyDict().str('a');
  legacyTensor(main, '140', 4, [2], 1).setitem().str('b');
  legacyTensor(main, '140', 4, [2], 2).setitem().stop();
  const mainBytes = main.bytes();
  const keys = pk().proto(2).emptyList().str('140').raw('a').stop().bytes();

  it('computes every storage offset; views share the storage', async () => {
    const src = build([magic, proto, sysInfo(true), mainBytes, keys, count(4), f32(1, 2, 3, 4)]);
    expect(sniffTorch(await src.read(0, 16))).toBe('legacy');
    const r = await parseTorchCheckpoint(src);
    expect(r.format).toBe('pytorch-legacy');
    expect(r.problems).toEqual([]);
    const dataAt = magic.length + proto.length + sysInfo(true).length + mainBytes.length + keys.length + 8;
    expect(r.storages).toEqual([{ key: '140', storageType: 'FloatStorage', location: 'cpu', byteOffset: dataAt, byteLength: 16 }]);
    expect(r.tensors.map((t) => [t.name, t.byteOffset - dataAt, t.byteLength])).toEqual([
      ['a', 4, 8],
      ['b', 8, 8],
    ]);
  });
  it('element count disagreeing with the pickle', async () => {
    const r = await parseTorchCheckpoint(build([magic, proto, sysInfo(true), mainBytes, keys, count(5), f32(1, 2, 3, 4, 5)]));
    expect(r.problems.map((p) => p.code)).toEqual(['torch_legacy_storage_mismatch', 'torch_missing_storage', 'torch_missing_storage']);
  });
  it('truncated storage data', async () => {
    const r = await parseTorchCheckpoint(build([magic, proto, sysInfo(true), mainBytes, keys, count(4), f32(1, 2)]));
    expect(r.problems.map((p) => p.code)[0]).toBe('truncated');
  });
  it('bytes after the last storage', async () => {
    const r = await parseTorchCheckpoint(build([magic, proto, sysInfo(true), mainBytes, keys, count(4), f32(1, 2, 3, 4), enc('EXTRA')]));
    expect(r.findings.map((f) => f.code)).toEqual(['data-after-storages']);
  });
  it('big-endian sys_info', async () => {
    const be = new Uint8Array(8);
    new DataView(be.buffer).setBigUint64(0, 4n, false);
    const r = await parseTorchCheckpoint(build([magic, proto, sysInfo(false), mainBytes, keys, be, f32(1, 2, 3, 4)]));
    expect(r.byteOrder).toBe('big');
    expect(r.problems.map((p) => p.code)).toEqual(['torch_big_endian']);
    expect(r.tensors).toHaveLength(2);
  });
  it('a wrong magic is reported and the rest is still scanned for globals', async () => {
    const fake = pk().proto(2).int(7).stop().bytes();
    const evil = pk().proto(2).global('posix', 'system').str('id').tuple(1).reduce().stop().bytes();
    const r = await parseTorchCheckpoint(build([fake, proto, sysInfo(true), mainBytes, keys, evil]));
    expect(r.problems.map((p) => p.code)).toContain('torch_legacy_bad_magic');
    expect(r.findings.map((f) => f.code)).toContain('posix.system');
  });
});

describe('viewSpan', () => {
  it('contiguity and spans', () => {
    expect(viewSpan([2, 3], [3, 1], 0, 4)).toEqual({ numel: 6n, startByte: 0n, spanBytes: 24n, contiguous: true });
    expect(viewSpan([3, 2], [1, 3], 0, 4)).toMatchObject({ spanBytes: 24n, contiguous: false });
    expect(viewSpan([1, 5], [99, 1], 2, 2)).toMatchObject({ startByte: 4n, spanBytes: 10n, contiguous: true });
    expect(viewSpan([0, 5], [5, 1], 3, 4)).toMatchObject({ numel: 0n, spanBytes: 0n, contiguous: true });
    expect(viewSpan([], [], 7, 8)).toMatchObject({ numel: 1n, startByte: 56n, spanBytes: 8n, contiguous: true });
    expect(viewSpan([4, 3], [0, 1], 0, 4)).toMatchObject({ spanBytes: 12n, contiguous: false });
  });
});
