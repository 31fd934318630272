/**
 * A 200 GB torch checkpoint that exists only as a few byte ranges: the reader must handle 64-bit
 * (ZIP64) sizes and offsets past 2^32 and locate the tensor reading a few hundred KB — never the
 * payload (checkpoints can be 100+ GB; nothing may read a whole file).
 */
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../../src/lib/io/byte-source.ts';
import { checkRange } from '../../../../src/lib/io/byte-source.ts';
import { parseTorchCheckpoint } from '../../../../src/lib/formats/pytorch/parse-torch.ts';
import { crc32 } from '../../../../src/lib/formats/zip/crc32.ts';
import { pk } from '../pickle/pickle-builder.ts';

/** Zeros everywhere except the given segments; counts what is read. */
class SparseSource implements ByteSource {
  reads = 0;
  bytesRead = 0;
  constructor(
    readonly path: string,
    readonly size: number,
    private readonly segments: { at: number; bytes: Uint8Array }[],
  ) {}
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    this.reads++;
    this.bytesRead += length;
    const out = new Uint8Array(length);
    for (const s of this.segments) {
      const from = Math.max(offset, s.at);
      const to = Math.min(offset + length, s.at + s.bytes.length);
      if (from < to) out.set(s.bytes.subarray(from - s.at, to - s.at), from - offset);
    }
    return Promise.resolve(out);
  }
}

class LE {
  b: number[] = [];
  u16(v: number): this {
    this.b.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 65536) & 0xffff);
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  raw(x: Uint8Array | number[]): this {
    this.b.push(...x);
    return this;
  }
  get bytes(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

describe('a 200 GB ZIP64 checkpoint', () => {
  it('is located from its headers alone', async () => {
    const numel = 50_000_000_000; // float32 → 200 GB
    const long1 = (n: number): number[] => {
      const out: number[] = [];
      let v = BigInt(n);
      do {
        out.push(Number(v & 0xffn));
        v >>= 8n;
      } while (v > 0n || ((out[out.length - 1] as number) & 0x80) !== 0);
      return [0x8a, out.length, ...out];
    };
    const pkl = pk().proto(2).emptyDict().str('w').global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').raw(...long1(numel)).raw('t').raw('Q')
      .int(0).raw(...long1(numel)).raw(0x85).int(1).raw(0x85).raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce().raw('t').reduce().raw('s').stop().bytes();
    const name = (s: string): Uint8Array => new TextEncoder().encode(s);
    const segments: { at: number; bytes: Uint8Array }[] = [];
    const central: { n: Uint8Array; size: number; at: number; crc: number }[] = [];
    let at = 0;
    for (const [n, data, size] of [
      ['huge/data.pkl', pkl, pkl.length],
      ['huge/data/0', undefined, numel * 4],
      ['huge/version', name('3\n'), 2],
    ] as const) {
      const nb = name(n);
      const crc = data ? crc32(data) : 0;
      const local = new LE().u32(0x04034b50).u16(45).u16(0x800).u16(0).u16(0).u16(0).u32(crc).u32(0xffffffff).u32(0xffffffff).u16(nb.length).u16(20).raw(nb).u16(1).u16(16).u64(size).u64(size).bytes;
      segments.push({ at, bytes: local });
      if (data) segments.push({ at: at + local.length, bytes: data });
      central.push({ n: nb, size, at, crc });
      at += local.length + size;
    }
    const cdAt = at;
    const cd = new LE();
    for (const c of central) {
      cd.u32(0x02014b50).u16(45).u16(45).u16(0x800).u16(0).u16(0).u16(0).u32(c.crc).u32(0xffffffff).u32(0xffffffff).u16(c.n.length).u16(28).u16(0).u16(0).u16(0).u32(0).u32(0xffffffff).raw(c.n);
      cd.u16(1).u16(24).u64(c.size).u64(c.size).u64(c.at);
    }
    const z64At = cdAt + cd.b.length;
    const tail = new LE()
      .raw(cd.bytes)
      .u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(3).u64(3).u64(cd.b.length).u64(cdAt)
      .u32(0x07064b50).u32(0).u64(z64At).u32(1)
      .u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0).bytes;
    segments.push({ at: cdAt, bytes: tail });
    const src = new SparseSource('huge.pt', cdAt + tail.length, segments);

    const r = await parseTorchCheckpoint(src);
    expect(r.problems).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.tensors).toHaveLength(1);
    const t = r.tensors[0];
    expect(t?.shape).toEqual([numel]);
    expect(t?.byteLength).toBe(numel * 4);
    expect(t?.byteOffset).toBe((segments[1]?.at ?? 0) + pkl.length + 30 + 11 + 20);
    expect((t?.byteOffset ?? 0) + (t?.byteLength ?? 0)).toBeGreaterThan(2 ** 32);
    expect(r.zip?.entries.find((e) => e.name === 'huge/data.pkl')?.crcOk).toBe(true);
    expect(src.bytesRead).toBeLessThan(2 * 1024 * 1024);
    expect(src.reads).toBeLessThan(40);
  });
});
