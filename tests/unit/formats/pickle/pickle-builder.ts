/**
 * Hand-assembles pickle byte streams for the malformed-input tests (opcode bytes from
 * CPython's Lib/pickletools.py). Deliberately dumb: it writes exactly what it is told.
 */
export class PickleBuilder {
  private readonly parts: number[] = [];

  raw(...bytes: (number | string)[]): this {
    for (const b of bytes) {
      if (typeof b === 'number') this.parts.push(b);
      else for (let i = 0; i < b.length; i++) this.parts.push(b.charCodeAt(i) & 0xff);
    }
    return this;
  }
  proto(p: number): this {
    return this.raw(0x80, p);
  }
  mark(): this {
    return this.raw('(');
  }
  stop(): this {
    return this.raw('.');
  }
  none(): this {
    return this.raw('N');
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw('K', n);
    const b = new DataView(new ArrayBuffer(4));
    b.setInt32(0, n, true);
    return this.raw('J', ...new Uint8Array(b.buffer));
  }
  str(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    if (utf8.length < 256) return this.raw(0x8c, utf8.length, ...utf8);
    const b = new DataView(new ArrayBuffer(4));
    b.setUint32(0, utf8.length, true);
    return this.raw('X', ...new Uint8Array(b.buffer), ...utf8);
  }
  global(module: string, name: string): this {
    return this.raw('c', `${module}\n${name}\n`);
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  put(i: number): this {
    return i < 256 ? this.raw('q', i) : this.raw('r', i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, (i >>> 24) & 0xff);
  }
  get(i: number): this {
    return i < 256 ? this.raw('h', i) : this.raw('j', i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, (i >>> 24) & 0xff);
  }
  tuple(n: 0 | 1 | 2 | 3): this {
    return this.raw([0x29, 0x85, 0x86, 0x87][n] as number);
  }
  reduce(): this {
    return this.raw('R');
  }
  emptyDict(): this {
    return this.raw('}');
  }
  emptyList(): this {
    return this.raw(']');
  }
  setitem(): this {
    return this.raw('s');
  }
  /** A torch storage persistent id and the rebuild of a tensor over it (zip-format data.pkl). */
  tensor(opts: { storage?: string; key: string; location?: string; numel: number; offset?: number; size: number[]; stride: number[] }): this {
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.mark();
    this.mark().str('storage').global('torch', opts.storage ?? 'FloatStorage').str(opts.key).str(opts.location ?? 'cpu').int(opts.numel).raw('t').raw('Q');
    this.int(opts.offset ?? 0);
    this.mark();
    for (const d of opts.size) this.int(d);
    this.raw('t').mark();
    for (const d of opts.stride) this.int(d);
    this.raw('t').raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce();
    return this.raw('t').reduce();
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function pk(): PickleBuilder {
  return new PickleBuilder();
}
