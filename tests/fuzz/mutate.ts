/**
 * Mutation operators for the fuzzers (AFL-style "havoc", format-aware where it is cheap):
 * bit flips; bytes set to 0x00/0xff/0x7f/0x80; length-field targeting (u16/u32/u64 little- and
 * big-endian fields that look like a length, count or offset — their value is small next to the
 * file — set to boundary values: 0, 1, the file size ± 1, 2^31, 2^32 - 1, 2^53, 2^63, 2^64 - 1 …);
 * chunk duplication and deletion; truncation; splicing two seeds; format tokens inserted or
 * overwritten (magic numbers, pickle opcodes, JSON punctuation). Each mutant stacks 1–4 operators.
 */
import type { Rng } from './rng.ts';

export type MutationName = 'bit-flip' | 'byte-set' | 'length-field' | 'chunk-duplicate' | 'chunk-delete' | 'truncate' | 'splice' | 'token' | 'byte-run';

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

const enc = new TextEncoder();
/** Tokens of the formats under test: magic numbers, structure markers, opcodes that open deep paths. */
const TOKENS: readonly Uint8Array[] = [
  'GGUF', 'PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'PK\x06\x07', 'PK\x07\x08', '\x93NUMPY', '{"', '":', '"dtype":"F32"', '"shape":[', '"data_offsets":[',
  '"__metadata__"', '\\u0000', '\\ud800', '[[[[[[[[', '{}', '[]', 'null', '1e999', '-0', '9007199254740993', 'cos\nsystem\n', 'c__builtin__\neval\n', '(((((', ')', '.', 'R', 'b', '\x80\x02', '\x80\x05',
  '\x95', '\x93', '\x8c\x05posix\x94', 'h\x00', 'q\x00', 'r\xff\xff\xff\xff', 'j\xff\xff\xff\x7f', 'X\xff\xff\xff\xff', '\x8e\xff\xff\xff\xff\xff\xff\xff\x7f', 'Q', 'P0\n',
  "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "(-1,)", "'<f4'", 'archive/data.pkl', 'archive/data/0', '../', 'torch._utils\n_rebuild_tensor_v2\n', 'general.alignment',
].map((t) => {
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t.charCodeAt(i) & 0xff;
  return out;
}).concat([enc.encode('😀'), Uint8Array.of(0xc3, 0x28), Uint8Array.of(0xed, 0xa0, 0x80)]);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Boundary values for a field of `width` bytes, given the file size and the field's current value. */
function boundaryValues(width: 2 | 4 | 8, size: number, current: bigint): bigint[] {
  const s = BigInt(size);
  const common = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, s, s - 1n, s + 1n, current + 1n, current - 1n, current * 2n, current + 0x10000n];
  const max = (1n << BigInt(width * 8)) - 1n;
  const wide: bigint[] =
    width === 2
      ? [0x7fffn, 0x8000n, 0xfffen, 0xffffn]
      : width === 4
        ? [0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x10000n]
        : [0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 62n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 2n, (1n << 64n) - 1n];
  return [...common, ...wide].filter((v) => v >= 0n && v <= max);
}

function readField(b: Uint8Array, at: number, width: number, le: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < width; i++) {
    const byte = BigInt(b[le ? at + width - 1 - i : at + i] as number);
    v = (v << 8n) | byte;
  }
  return v;
}

function writeField(b: Uint8Array, at: number, width: number, le: boolean, v: bigint): void {
  let x = v;
  for (let i = 0; i < width; i++) {
    b[le ? at + i : at + width - 1 - i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/**
 * Finds a field that looks like a length, count or offset (its value is non-zero and at most a
 * few times the file size) and sets it to a boundary value. Falls back to any position.
 */
function lengthField(b: Uint8Array, rng: Rng): Uint8Array {
  const out = b.slice();
  const width = rng.pick([2, 4, 4, 8, 8] as const);
  if (out.length < width) return out;
  const le = rng.chance(0.85);
  let at = rng.int(out.length - width + 1);
  for (let tries = 0; tries < 48; tries++) {
    const cand = rng.int(out.length - width + 1);
    const v = readField(out, cand, width, le);
    if (v > 0n && v <= BigInt(out.length) * 4n + 64n) {
      at = cand;
      break;
    }
  }
  const values = boundaryValues(width, out.length, readField(out, at, width, le));
  writeField(out, at, width, le, rng.pick(values));
  return out;
}

export function mutateOnce(b: Uint8Array, rng: Rng, other: () => Uint8Array): { bytes: Uint8Array; op: MutationName } {
  const ops: MutationName[] = ['bit-flip', 'byte-set', 'length-field', 'length-field', 'chunk-duplicate', 'chunk-delete', 'truncate', 'splice', 'token', 'token', 'byte-run'];
  const op = b.length === 0 ? 'token' : rng.pick(ops);
  switch (op) {
    case 'bit-flip': {
      const out = b.slice();
      for (let n = rng.range(1, 4); n > 0; n--) {
        const i = rng.int(out.length);
        out[i] = (out[i] as number) ^ (1 << rng.int(8));
      }
      return { bytes: out, op };
    }
    case 'byte-set': {
      const out = b.slice();
      for (let n = rng.range(1, 4); n > 0; n--) out[rng.int(out.length)] = rng.chance(0.8) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      return { bytes: out, op };
    }
    case 'length-field':
      return { bytes: lengthField(b, rng), op };
    case 'chunk-duplicate': {
      const start = rng.int(b.length);
      const len = Math.min(b.length - start, rng.range(1, Math.max(1, Math.min(256, b.length))));
      const at = rng.int(b.length + 1);
      return { bytes: concat(b.subarray(0, at), b.subarray(start, start + len), b.subarray(at)), op };
    }
    case 'chunk-delete': {
      const start = rng.int(b.length);
      const len = Math.min(b.length - start, rng.range(1, Math.max(1, Math.min(512, b.length))));
      return { bytes: concat(b.subarray(0, start), b.subarray(start + len)), op };
    }
    case 'truncate':
      return { bytes: b.slice(0, rng.int(b.length)), op };
    case 'splice': {
      const o = other();
      return { bytes: concat(b.subarray(0, rng.int(b.length + 1)), o.subarray(rng.int(o.length + 1))), op };
    }
    case 'token': {
      const t = rng.pick(TOKENS);
      const at = rng.int(b.length + 1);
      if (rng.chance(0.5)) return { bytes: concat(b.subarray(0, at), t, b.subarray(at)), op };
      const out = b.slice();
      out.set(t.subarray(0, Math.max(0, out.length - at)), at);
      return { bytes: out, op };
    }
    case 'byte-run': {
      // A run of one byte inserted: deep nesting ("((((", "[[[["), long strings, zero padding.
      const byte = rng.pick([0x28, 0x5b, 0x7b, 0x5d, 0x00, 0xff, 0x71, 0x94, 0x61, 0x20]);
      const run = new Uint8Array(rng.pick([16, 100, 1000, 20_000])).fill(byte);
      const at = rng.int(b.length + 1);
      return { bytes: concat(b.subarray(0, at), run, b.subarray(at)), op };
    }
  }
}

/** A mutant of `seed`: 1–4 stacked operators (splices take their second half from `other()`). */
export function mutate(seed: Uint8Array, rng: Rng, other: () => Uint8Array, maxBytes = 1 << 20): { bytes: Uint8Array; ops: MutationName[] } {
  let bytes = seed;
  const ops: MutationName[] = [];
  for (let n = rng.range(1, 4); n > 0; n--) {
    const r = mutateOnce(bytes, rng, other);
    bytes = r.bytes.length > maxBytes ? r.bytes.subarray(0, maxBytes) : r.bytes;
    ops.push(r.op);
  }
  return { bytes, ops };
}
