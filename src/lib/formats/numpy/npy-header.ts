/**
 * The .npy header (numpy/lib/format.py, NEP 1): "\x93NUMPY", major, minor, a little-endian header
 * length (u16 for 1.0, u32 for 2.0/3.0), then a Python dict literal padded with spaces and ended
 * by "\n": {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. Version 3.0 allows UTF-8
 * in the header (field names of structured dtypes); 1.0/2.0 are latin-1.
 *
 * numpy reads the dict with `ast.literal_eval`; here a strict little parser accepts only literals
 * (strings, integers, True/False/None, tuples, lists, dicts) — no names, calls or expressions.
 * Like numpy's `_filter_header`, it accepts Python 2's long suffix ("(2L,)" in real files written
 * on Win64 Python 2) and, like literal_eval, any spacing ("(16, )" from MLX's writer).
 */
import { decodeUtf8Strict } from '../bytes.ts';
import { elementCount, type DType } from '../dtype.ts';
import { SleuthError, type ErrorCode } from '../errors.ts';
import { MAX_NPY_HEADER_BYTES, MAX_NPY_HEADER_DEPTH, MAX_TENSOR_DIMS } from '../limits.ts';

export type PyLiteral = string | bigint | boolean | null | PyLiteral[] | { tuple: PyLiteral[] } | Map<string | bigint, PyLiteral>;

export interface NpyDescr {
  /** The descr as written ("<f4", "|O", or a printed structured descr). */
  text: string;
  dtype: DType | undefined;
  itemSize: number;
  byteOrder: 'little' | 'big' | 'none';
  /** Object arrays: the payload after the header is a pickle. */
  object: boolean;
  /** Why `dtype` is undefined (structured, string, datetime …). */
  unsupported?: string;
}

export interface NpyHeader {
  version: string;
  /** Bytes from the magic to the first data byte. */
  headerLength: number;
  descr: NpyDescr;
  fortranOrder: boolean;
  shape: number[];
  numel: bigint;
  /** Deviations numpy tolerates (alignment, missing newline). */
  notes: string[];
}

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function sniffNpy(head: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => head[i] === b);
}

/**
 * Bytes needed to parse the header, from its first 12 bytes (undefined until the magic and
 * length are known). Throws for a bad magic/version or an oversized header.
 */
export function npyHeaderSize(prefix: Uint8Array, base: number, file: string): number {
  const err = (code: ErrorCode, msg: string, at: number): SleuthError => new SleuthError(code, msg, { offset: base + at, file });
  if (prefix.length >= 6 && prefix.length < 10 && sniffNpy(prefix)) {
    throw err('truncated', `The data ends at byte ${prefix.length}, inside the ${prefix.length < 8 ? 'version' : 'header length'} that follows the NumPy magic`, prefix.length < 8 ? 6 : 8);
  }
  if (prefix.length < 10 || !sniffNpy(prefix)) {
    throw err('npy_bad_magic', `The data starts with ${hex(prefix.subarray(0, 6))}; expected the NumPy magic 93 4e 55 4d 50 59 ("\\x93NUMPY") and a version`, 0);
  }
  const major = prefix[6] as number;
  const minor = prefix[7] as number;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) throw err('npy_bad_version', `Format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`, 6);
  let len: number;
  let fixed: number;
  if (major === 1) {
    len = (prefix[8] as number) | ((prefix[9] as number) << 8);
    fixed = 10;
  } else {
    if (prefix.length < 12) throw err('truncated', 'The header length field is cut short', 8);
    len = ((prefix[8] as number) | ((prefix[9] as number) << 8) | ((prefix[10] as number) << 16)) + (prefix[11] as number) * 2 ** 24;
    fixed = 12;
  }
  if (len > MAX_NPY_HEADER_BYTES) throw err('npy_header_too_large', `The header is ${len} bytes; expected at most ${MAX_NPY_HEADER_BYTES}`, 8);
  return fixed + len;
}

/** Parses the full header (magic through padding); `base` is its absolute offset for messages. */
export function parseNpyHeader(bytes: Uint8Array, base: number, file: string): NpyHeader {
  const total = npyHeaderSize(bytes, base, file);
  const err = (code: ErrorCode, msg: string, at = 0): SleuthError => new SleuthError(code, msg, { offset: base + at, file });
  if (bytes.length < total) throw err('truncated', `The header declares ${total} bytes but only ${bytes.length} are present`, 8);
  const major = bytes[6] as number;
  const fixed = major === 1 ? 10 : 12;
  const raw = bytes.subarray(fixed, total);
  let text: string;
  if (major === 3) {
    const t = decodeUtf8Strict(raw);
    if (t === undefined) throw err('npy_header_syntax', 'The version 3.0 header is not valid UTF-8', fixed);
    text = t;
  } else {
    text = '';
    for (const b of raw) text += String.fromCharCode(b);
  }
  const notes: string[] = [];
  if (total % 64 !== 0) notes.push(total % 16 === 0 ? `header total ${total} bytes: 16-aligned (numpy < 1.14 writer), not 64-aligned` : `header total ${total} bytes: not aligned to 64 (nor 16) as the NPY spec asks; data is misaligned`);
  if (!text.endsWith('\n')) notes.push('header does not end with "\\n"');

  let value: PyLiteral;
  try {
    value = parseLiteral(text);
  } catch (e) {
    if (e instanceof LiteralError) throw err('npy_header_syntax', `The header ${JSON.stringify(text.slice(0, 120))} is not a Python literal: ${e.message} at character ${e.at}`, fixed + e.at);
    throw e;
  }
  if (!(value instanceof Map)) throw err('npy_header_syntax', `The header is ${describe(value)}; expected a dict`, fixed);
  const keys = [...value.keys()].map(String).sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw err('npy_header_keys', `The header has keys [${keys.join(', ')}]; expected exactly descr, fortran_order, shape`, fixed);
  }
  const fo = value.get('fortran_order');
  if (typeof fo !== 'boolean') throw err('npy_header_keys', `fortran_order is ${describe(fo ?? null)}; expected True or False`, fixed);
  const shapeV = value.get('shape');
  if (!(shapeV && typeof shapeV === 'object' && 'tuple' in shapeV)) throw err('npy_bad_shape', `shape is ${describe(shapeV ?? null)}; expected a tuple of integers`, fixed);
  if (shapeV.tuple.length > MAX_TENSOR_DIMS) throw err('npy_bad_shape', `shape has ${shapeV.tuple.length} dimensions; expected at most ${MAX_TENSOR_DIMS}`, fixed);
  const shape: number[] = [];
  for (const d of shapeV.tuple) {
    if (typeof d !== 'bigint' || d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw err('npy_bad_shape', `shape contains ${describe(d)}; expected non-negative integers`, fixed);
    shape.push(Number(d));
  }
  const descr = readDescr(value.get('descr') ?? null, () => err('npy_bad_descr', `descr is ${describe(value.get('descr') ?? null)}; expected a dtype string such as '<f4'`, fixed));
  return { version: `${major}.0`, headerLength: total, descr, fortranOrder: fo, shape, numel: elementCount(shape), notes };
}

/** numpy type characters → DType by (kind, size). */
const KINDS: Record<string, Record<number, DType>> = {
  f: { 2: 'F16', 4: 'F32', 8: 'F64' },
  i: { 1: 'I8', 2: 'I16', 4: 'I32', 8: 'I64' },
  u: { 1: 'U8', 2: 'U16', 4: 'U32', 8: 'U64' },
  b: { 1: 'BOOL' },
  c: { 8: 'C64' },
};
/** Item sizes numpy accepts per numeric kind. */
const VALID_SIZES: Record<string, readonly number[]> = { f: [2, 4, 8, 10, 12, 16], c: [8, 16, 20, 24, 32], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };
/** One-letter type codes numpy also accepts (dtype.char), normalised to kind + size. */
const CHAR_CODES: Record<string, [string, number]> = {
  '?': ['b', 1], b: ['i', 1], B: ['u', 1], h: ['i', 2], H: ['u', 2], i: ['i', 4], I: ['u', 4], l: ['i', 8], L: ['u', 8], q: ['i', 8], Q: ['u', 8],
  e: ['f', 2], f: ['f', 4], d: ['f', 8], g: ['f', 16], F: ['c', 8], D: ['c', 16], O: ['O', 8],
};

function readDescr(v: PyLiteral, bad: () => SleuthError): NpyDescr {
  if (typeof v !== 'string') {
    if (Array.isArray(v)) return { text: printLiteral(v), dtype: undefined, itemSize: 0, byteOrder: 'none', object: false, unsupported: 'structured (record) dtype' };
    throw bad();
  }
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(v);
  if (!m) {
    if (/^[<>|=]?[mM]8/.test(v)) return { text: v, dtype: undefined, itemSize: 8, byteOrder: 'none', object: false, unsupported: 'datetime/timedelta dtype' };
    throw bad();
  }
  const order = m[1] ?? '';
  let kind = m[2] as string;
  let size = m[3] ? Number(m[3]) : 0;
  if (!m[3]) {
    const cc = CHAR_CODES[kind];
    if (!cc) throw bad();
    [kind, size] = cc;
  }
  // '=' is the writer's native order; numpy writers always write an explicit order, and a native
  // big-endian writer would have written '>': read '=' as little-endian, as numpy on x86/ARM does.
  const byteOrder: NpyDescr['byteOrder'] = size <= 1 || order === '|' ? 'none' : order === '>' ? 'big' : 'little';
  if (kind === 'O') return { text: v, dtype: undefined, itemSize: size || 8, byteOrder: 'none', object: true, unsupported: 'object array (a pickle of Python objects)' };
  if (kind === 'S' || kind === 'U' || kind === 'a' || kind === 'V') {
    return { text: v, dtype: undefined, itemSize: kind === 'U' ? size * 4 : size, byteOrder, object: false, unsupported: kind === 'V' ? 'raw void bytes (e.g. bfloat16 saved through ml_dtypes)' : 'string dtype' };
  }
  if (kind === 'M' || kind === 'm') return { text: v, dtype: undefined, itemSize: size, byteOrder, object: false, unsupported: 'datetime/timedelta dtype' };
  const dtype = KINDS[kind]?.[size];
  if (dtype === undefined) {
    // Sizes numpy itself defines (f10/f12/f16 and c20/c24/c32 are long doubles on some platforms);
    // anything else ('<f3') is refused by numpy ("data type not understood").
    if ((VALID_SIZES[kind] ?? []).includes(size)) {
      return { text: v, dtype: undefined, itemSize: size, byteOrder, object: false, unsupported: `${kind}${size} has no comparable dtype here` };
    }
    throw bad();
  }
  return { text: v, dtype, itemSize: size, byteOrder, object: false };
}

// ── the literal parser ─────────────────────────────────────────────────────────────────────

class LiteralError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

export function parseLiteral(text: string): PyLiteral {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r\f\v'.includes(text[i] as string)) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > MAX_NPY_HEADER_DEPTH) throw new LiteralError(`nesting deeper than ${MAX_NPY_HEADER_DEPTH}`, i);
    ws();
    const c = text[i];
    if (c === undefined) throw new LiteralError('unexpected end', i);
    if (c === '{') {
      i++;
      const map = new Map<string | bigint, PyLiteral>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return map;
        }
        const keyAt = i;
        const k = value(depth + 1);
        if (typeof k !== 'string' && typeof k !== 'bigint') throw new LiteralError('dict key is not a string or integer', keyAt);
        if (map.has(k)) throw new LiteralError(`duplicate key ${JSON.stringify(String(k))}`, keyAt);
        ws();
        if (text[i] !== ':') throw new LiteralError('expected ":"', i);
        i++;
        map.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') throw new LiteralError('expected "," or "}"', i);
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLiteral[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          // (x) is x, not a tuple; (x,) and () are tuples.
          if (c === '(') return items.length === 1 && !sawComma ? (items[0] as PyLiteral) : { tuple: items };
          return items;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          sawComma = true;
          i++;
        } else if (text[i] !== close) throw new LiteralError(`expected "," or "${close}"`, i);
      }
    }
    if (c === "'" || c === '"') return str();
    if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?\d+[lL]?/.exec(text.slice(i, i + 40));
      if (!m) throw new LiteralError('bad number', i);
      const digits = m[0].replace(/[lL]$/, '');
      i += m[0].length;
      if (/^[.eEjJxX_]/.test(text[i] ?? '')) throw new LiteralError('only integer numbers are expected', i);
      return BigInt(digits);
    }
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return v;
      }
    }
    throw new LiteralError(`unexpected ${JSON.stringify(c)}`, i);
  };
  const str = (): string => {
    const q = text[i] as string;
    const start = i;
    i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') throw new LiteralError('unterminated string', start);
      i++;
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const n = e === 'x' ? 2 : 4;
        const h = text.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new LiteralError('bad escape', i - 2);
        out += String.fromCharCode(parseInt(h, 16));
        i += n;
      } else throw new LiteralError('unsupported escape', i - 2);
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw new LiteralError('unexpected text after the value', i);
  return v;
}

function describe(v: PyLiteral): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Map) return 'a dict';
  return `a tuple of ${v.tuple.length}`;
}

function printLiteral(v: PyLiteral): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(printLiteral).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${printLiteral(k)}: ${printLiteral(x)}`).join(', ')}}`;
  return `(${v.tuple.map(printLiteral).join(', ')}${v.tuple.length === 1 ? ',' : ''})`;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
