/**
 * A pickle-opcode assembler for the corpus: writes exactly the opcodes it is told (byte values and
 * argument encodings from CPython's Lib/pickletools.py), so a hostile pickle is spelled out opcode
 * by opcode in its entry — no pickler decides the form, nothing is ever unpickled.
 */
import { concatAll, latin1, u32, utf8 } from './bytes.ts';

export class PickleAsm {
  private readonly parts: Uint8Array[] = [];

  /** Raw bytes: numbers are single bytes, strings are Latin-1. */
  raw(...items: (number | string | Uint8Array)[]): this {
    for (const x of items) this.parts.push(typeof x === 'number' ? Uint8Array.of(x & 0xff) : typeof x === 'string' ? latin1(x) : x);
    return this;
  }
  /** PROTO n (protocol 2+). */
  proto(n: number): this {
    return this.raw(0x80, n);
  }
  /** FRAME with an 8-byte length (protocol 4+). */
  frame(length: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(length), true);
    return this.raw(0x95, b);
  }
  stop(): this {
    return this.raw('.');
  }
  mark(): this {
    return this.raw('(');
  }
  none(): this {
    return this.raw('N');
  }
  pop(): this {
    return this.raw('0');
  }
  popMark(): this {
    return this.raw('1');
  }
  dup(): this {
    return this.raw('2');
  }
  /** BININT1 / BININT2 / BININT. */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw('K', n);
    if (n >= 0 && n < 65536) return this.raw('M', n & 0xff, n >>> 8);
    const b = new DataView(new ArrayBuffer(4));
    b.setInt32(0, n, true);
    return this.raw('J', new Uint8Array(b.buffer));
  }
  /** Protocol-0 INT: a decimal line. */
  int0(text: string): this {
    return this.raw(`I${text}\n`);
  }
  /** LONG1 of raw two's-complement little-endian bytes. */
  long1(bytes: readonly number[]): this {
    return this.raw(0x8a, bytes.length, Uint8Array.from(bytes));
  }
  /** SHORT_BINUNICODE (< 256 UTF-8 bytes) or BINUNICODE. */
  str(s: string): this {
    const b = utf8(s);
    return b.length < 256 ? this.raw(0x8c, b.length, b) : this.raw('X', u32(b.length), b);
  }
  /** BINUNICODE with a declared length (for lengths that lie). */
  binunicodeDeclared(length: number, body: Uint8Array): this {
    return this.raw('X', u32(length), body);
  }
  /** Protocol-0 STRING: a quoted Python 2 str literal on one line. */
  string0(s: string): this {
    return this.raw(`S'${s}'\n`);
  }
  /** Protocol-0 UNICODE: raw-unicode-escape text on one line. */
  unicode0(s: string): this {
    return this.raw(`V${s}\n`);
  }
  /** SHORT_BINBYTES (protocol 3+). */
  bytes(b: Uint8Array): this {
    return b.length < 256 ? this.raw('C', b.length, b) : this.raw('B', u32(b.length), b);
  }
  /** GLOBAL "module\nname\n" (protocol 0+). */
  global(module: string, name: string): this {
    return this.raw('c', `${module}\n${name}\n`);
  }
  /** Two strings and STACK_GLOBAL (protocol 4+). */
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  /** INST "module\nname\n": calls the class with the items since the last MARK (protocol 0). */
  inst(module: string, name: string): this {
    return this.raw('i', `${module}\n${name}\n`);
  }
  /** OBJ: class and arguments since the last MARK (protocol 1). */
  obj(): this {
    return this.raw('o');
  }
  newobj(): this {
    return this.raw(0x81);
  }
  newobjEx(): this {
    return this.raw(0x92);
  }
  reduce(): this {
    return this.raw('R');
  }
  build(): this {
    return this.raw('b');
  }
  /** EMPTY_TUPLE / TUPLE1 / TUPLE2 / TUPLE3. */
  tuple(n: 0 | 1 | 2 | 3): this {
    return this.raw([0x29, 0x85, 0x86, 0x87][n] as number);
  }
  /** TUPLE: the items since the last MARK. */
  tupleMark(): this {
    return this.raw('t');
  }
  emptyList(): this {
    return this.raw(']');
  }
  append(): this {
    return this.raw('a');
  }
  appends(): this {
    return this.raw('e');
  }
  emptyDict(): this {
    return this.raw('}');
  }
  setitem(): this {
    return this.raw('s');
  }
  setitems(): this {
    return this.raw('u');
  }
  /** BINPUT / LONG_BINPUT. */
  put(i: number): this {
    return i < 256 ? this.raw('q', i) : this.raw('r', u32(i));
  }
  /** Protocol-0 PUT. */
  put0(i: number): this {
    return this.raw(`p${i}\n`);
  }
  memoize(): this {
    return this.raw(0x94);
  }
  /** BINGET / LONG_BINGET. */
  get(i: number): this {
    return i < 256 ? this.raw('h', i) : this.raw('j', u32(i));
  }
  /** EXT1 code. */
  ext1(code: number): this {
    return this.raw(0x82, code);
  }
  binpersid(): this {
    return this.raw('Q');
  }
  /**
   * A torch tensor over a persistent-id storage, as torch.save writes it in a zip data.pkl:
   * _rebuild_tensor_v2(('storage', <Storage class>, key, location, numel), offset, size, stride,
   * requires_grad, OrderedDict()).
   */
  tensor(opts: { key: string; numel: number; size: readonly number[]; stride: readonly number[]; storage?: string; offset?: number; location?: string }): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', opts.storage ?? 'FloatStorage').str(opts.key).str(opts.location ?? 'cpu').int(opts.numel).tupleMark().binpersid();
    this.int(opts.offset ?? 0).mark();
    for (const d of opts.size) this.int(d);
    this.tupleMark().mark();
    for (const d of opts.stride) this.int(d);
    this.tupleMark().raw(0x89).global('collections', 'OrderedDict').tuple(0).reduce();
    return this.tupleMark().reduce();
  }
  bytesOut(): Uint8Array {
    return concatAll(this.parts);
  }
}

export const asm = (): PickleAsm => new PickleAsm();

/** An OrderedDict state dict (protocol 2) whose values are written by the given callbacks. */
export function stateDictPickle(entries: readonly (readonly [string, (p: PickleAsm) => PickleAsm])[], protocol = 2): PickleAsm {
  const p = asm().proto(protocol).global('collections', 'OrderedDict').tuple(0).reduce().mark();
  for (const [k, v] of entries) v(p.str(k));
  return p.setitems();
}

/** `posix.system(command)` as protocol 0 writes a reduce: the classic payload. */
export function systemCall(command: string, module = 'posix', name = 'system'): PickleAsm {
  return asm().global(module, name).mark().string0(command).tupleMark().reduce();
}
