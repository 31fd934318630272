/**
 * GGUF reader: header, metadata key-values and tensor infos only — tensor data is never read.
 *
 * Layout (ggml/docs/gguf.md): "GGUF" · u32 version · tensor_count · kv_count · kv_count × {key string,
 * u32 value type, value} · tensor_count × {name string, u32 n_dims, n_dims × dim, u32 ggml type,
 * u64 offset} · padding to `general.alignment` (default 32) · data section. Strings are a length
 * then UTF-8 bytes; arrays are a u32 element type, a length, then the elements.
 *
 * Versions: v2 and v3 use u64 for counts, string lengths, array lengths and dims; v1 (Aug–Oct 2023,
 * the first llama.cpp files) used u32 for all of those (the tensor offset was already u64). v3 only
 * added big-endian files, which carry no marker: like llama.cpp and huggingface.js we detect them by
 * a version whose low 16 bits read as zero, and read them (every field and every tensor is
 * big-endian); the manifest step then refuses to compare their tensor values (`gguf_big_endian`).
 *
 * Validation follows llama.cpp's hardened reader (ggml/src/gguf.cpp `gguf_init_from_reader`): keys
 * non-empty and unique, `general.alignment` a u32 power of two, tensor names unique and short,
 * n_dims ≤ 4, dims inside int64 and their product overflow-checked, the type id defined, the row
 * length a whole number of blocks, the byte size overflow-checked. Where llama.cpp demands more than
 * the spec (tensors contiguous and in file order), we accept the spec's rules — offsets aligned, data
 * inside the file, no two tensors overlapping — and report the bytes nothing claims (`unclaimed`),
 * since a gap in the data section is where a payload would hide. Every count and length is checked
 * against its cap (./limits.ts) and the bytes remaining before anything is allocated.
 *
 * Deliberate differences from llama.cpp, each in the direction of reading more real files:
 * v1 files are read (llama.cpp refuses them); nested arrays are read to MAX_GGUF_ARRAY_DEPTH
 * (llama.cpp refuses them; the spec allows them); a zero dimension is allowed, as in llama.cpp;
 * on request (`duplicateKeys: 'keep-first'`) a file with a repeated key is read and the repeats are
 * listed instead of refused — a real gguf-py v3 big-endian file does this (shared/real-models).
 * Scalar string values and string arrays may hold invalid UTF-8 (it is reported, not fatal: token
 * lists are data); keys and tensor names must be valid UTF-8.
 */
import { checkedLength, decodeUtf8Strict, toSafeNumber, view } from '../bytes.ts';
import type { DType } from '../dtype.ts';
import { SleuthError, type ErrorCode } from '../errors.ts';
import {
  MAX_GGUF_ARRAY_DEPTH,
  MAX_GGUF_ARRAY_LENGTH,
  MAX_GGUF_DIMS,
  MAX_GGUF_HEADER_BYTES,
  MAX_GGUF_KEY_BYTES,
  MAX_GGUF_KV_COUNT,
  MAX_GGUF_STRING_BYTES,
  MAX_GGUF_TENSOR_NAME_BYTES,
  MAX_GGUF_TENSORS,
} from '../limits.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import { ggmlType, removedGgmlTypeName } from './ggml-types.ts';

export const GGUF_MAGIC = new Uint8Array([0x47, 0x47, 0x55, 0x46]);
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_ALIGNMENT_KEY = 'general.alignment';

/** Metadata value type ids (`enum gguf_type`), by their gguf.cpp short names. */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'str', 'arr', 'u64', 'i64', 'f64'] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export function ggufValueTypeId(type: GgufValueType): number {
  return GGUF_VALUE_TYPES.indexOf(type);
}

export type GgufValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string; validUtf8: boolean }
  | { type: 'arr'; value: GgufArray };

interface ArrayBase {
  /** Absolute file offset of the array's element-type field. */
  offset: number;
  length: number;
}
export type GgufArray = ArrayBase &
  (
    | { elementType: 'u8'; values: Uint8Array }
    | { elementType: 'i8'; values: Int8Array }
    | { elementType: 'u16'; values: Uint16Array }
    | { elementType: 'i16'; values: Int16Array }
    | { elementType: 'u32'; values: Uint32Array }
    | { elementType: 'i32'; values: Int32Array }
    | { elementType: 'f32'; values: Float32Array }
    | { elementType: 'f64'; values: Float64Array }
    | { elementType: 'u64'; values: BigUint64Array }
    | { elementType: 'i64'; values: BigInt64Array }
    /** 0 or 1 per element. */
    | { elementType: 'bool'; values: Uint8Array }
    | { elementType: 'str'; values: GgufStringTable }
    | { elementType: 'arr'; values: GgufArray[] }
  );

const utf8Lenient = new TextDecoder('utf-8');

/**
 * A string array kept as its raw bytes plus per-string positions: a 262,144-entry token list costs
 * its own bytes and 2 MB of indices, and strings are decoded only when asked for (token names for
 * a handful of embedding rows, not the whole vocabulary).
 */
export class GgufStringTable {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly starts: Uint32Array,
    private readonly lengths: Uint32Array,
    /** Absolute file offset of `bytes[0]`. */
    private readonly fileOffset: number,
  ) {}

  get length(): number {
    return this.starts.length;
  }

  /** String `i`, decoded leniently (invalid UTF-8 becomes U+FFFD; see `isValidUtf8`). */
  get(i: number): string {
    return utf8Lenient.decode(this.bytesOf(i));
  }

  bytesOf(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.starts.length) {
      throw new SleuthError('internal_error', `String index ${i} is outside the table of ${this.starts.length}`);
    }
    const s = this.starts[i] as number;
    return this.bytes.subarray(s, s + (this.lengths[i] as number));
  }

  isValidUtf8(i: number): boolean {
    return decodeUtf8Strict(this.bytesOf(i)) !== undefined;
  }

  /** Absolute file offset of string `i`'s first byte. */
  offsetOf(i: number): number {
    this.bytesOf(i);
    return this.fileOffset + (this.starts[i] as number);
  }

  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.starts.length; i++) out.push(this.get(i));
    return out;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.starts.length; i++) yield this.get(i);
  }
}

export interface GgufMetadataEntry {
  key: string;
  /** Absolute offset of the key's length field (the start of the key-value record). */
  offset: number;
  value: GgufValue;
}

export interface GgufTensorInfo {
  /** Name as stored (e.g. "blk.0.attn_q.weight"). */
  name: string;
  /** Absolute offset of the tensor-info record. */
  infoOffset: number;
  /** Dimensions in ggml order: ne[0] is the row length (fastest varying). Row-major shape = reversed. */
  ne: number[];
  ggmlType: number;
  /** ggml type name ("Q4_K", "F16", "NVFP4" …). */
  typeName: string;
  /** Undefined for types ggml defines but Model Sleuth's DType does not. */
  dtype: DType | undefined;
  /** Offset relative to the data section, as stored. */
  offset: number;
  /** Absolute offset of the first data byte in the file. */
  byteOffset: number;
  byteLength: number;
  elements: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface GgufFile {
  path: string;
  size: number;
  version: 1 | 2 | 3;
  byteOrder: 'little' | 'big';
  alignment: number;
  /** In file order (Map iteration order). */
  metadata: ReadonlyMap<string, GgufMetadataEntry>;
  /** In file order. */
  tensors: readonly GgufTensorInfo[];
  /** Offset just past the last tensor info. */
  headerEnd: number;
  /** Start of the data section: headerEnd rounded up to the alignment. Vocab-only files (no
   *  tensors) often end at headerEnd without padding; that is valid. */
  dataStart: number;
  /**
   * Bytes after the header that no tensor claims, beyond the alignment padding that follows the
   * header and each tensor: gaps between tensors and trailing bytes. Empty for a clean writer.
   */
  unclaimed: ByteRange[];
  /**
   * Later occurrences of repeated keys, only with `{ duplicateKeys: 'keep-first' }` (otherwise a
   * repeat is an error). Readers disagree on which value wins — llama.cpp refuses the file, gguf-py
   * keeps the first, huggingface.js the last — so both values matter to an investigation.
   */
  duplicateKeys: GgufMetadataEntry[];
}

export interface ParseGgufOptions {
  /** 'reject' (default, as llama.cpp): a repeated key is `gguf_duplicate_key`. 'keep-first': the
   *  first value stays in `metadata`, later ones are listed in `duplicateKeys`. */
  duplicateKeys?: 'reject' | 'keep-first';
}

/** Cheap check on the first bytes: the GGUF magic. */
export function sniffGguf(head: Uint8Array): boolean {
  return head.byteLength >= 4 && head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46;
}

/** Bytes read at once while walking the header. */
const READ_AHEAD = 256 * 1024;
const TWO_POW_32 = 4294967296;
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Sequential reader over a ByteSource with a read-ahead window. `has(n)` is synchronous so that
 * walking a 262,144-entry array costs one await per window, not per element.
 */
class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = view(this.buf);
  private bufStart = 0;

  constructor(
    private readonly source: ByteSource,
    readonly le: boolean,
  ) {}

  get size(): number {
    return this.source.size;
  }
  get remaining(): number {
    return this.source.size - this.pos;
  }

  has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.byteLength;
  }

  /** Makes `n` bytes at `pos` available, or throws `truncated` naming `what` (which started at `at`). */
  async fill(n: number, what: string, at: number = this.pos): Promise<void> {
    if (this.has(n)) return;
    if (this.pos + n > this.source.size) {
      throw new SleuthError('truncated', `${what} at byte ${at} needs ${this.pos + n - at} bytes but the file ends at byte ${this.source.size}`, {
        offset: at,
        file: this.source.path,
      });
    }
    const len = Math.min(Math.max(n, READ_AHEAD), this.source.size - this.pos);
    this.buf = await this.source.read(this.pos, len);
    this.bufStart = this.pos;
    this.dv = view(this.buf);
  }

  /** `n` raw bytes at `pos` (a view; copy before keeping). Caller has checked `has(n)`/`fill(n)`. */
  bytes(n: number): Uint8Array {
    const o = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(o, o + n);
  }

  u8(): number {
    return this.dv.getUint8(this.pos++ - this.bufStart);
  }
  u32(): number {
    const v = this.dv.getUint32(this.pos - this.bufStart, this.le);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.dv.getInt32(this.pos - this.bufStart, this.le);
    this.pos += 4;
    return v;
  }
  /** u64 as a number when exact (< 2^53), else as a bigint: lengths compare against caps either way. */
  u64Length(): number | bigint {
    const o = this.pos - this.bufStart;
    this.pos += 8;
    const lo = this.dv.getUint32(this.le ? o : o + 4, this.le);
    const hi = this.dv.getUint32(this.le ? o + 4 : o, this.le);
    return hi < 0x200000 ? hi * TWO_POW_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }
  u64(): bigint {
    const v = this.dv.getBigUint64(this.pos - this.bufStart, this.le);
    this.pos += 8;
    return v;
  }
}

type Fail = (code: ErrorCode, message: string, offset: number) => never;

export async function parseGguf(source: ByteSource, options: ParseGgufOptions = {}): Promise<GgufFile> {
  const file = source.path;
  const fail: Fail = (code, message, offset) => {
    throw new SleuthError(code, message, { offset, file });
  };

  if (source.size === 0) fail('empty_file', 'The file is empty; a GGUF file starts with the 4-byte magic "GGUF"', 0);
  const headLen = Math.min(8, source.size);
  const head = await source.read(0, headLen);
  const magicBytes = Math.min(4, headLen);
  for (let i = 0; i < magicBytes; i++) {
    if (head[i] !== GGUF_MAGIC[i]) {
      fail('gguf_bad_magic', `The file starts with ${hex(head.subarray(0, magicBytes))}; expected the GGUF magic 47 47 55 46 ("GGUF")`, 0);
    }
  }
  if (source.size < 8) fail('truncated', `The file is ${source.size} bytes: it ends inside the GGUF header (magic and version need 8 bytes)`, 0);

  // Version, and with it the byte order: a big-endian v3 file reads as 0x03000000 little-endian.
  const hv = view(head);
  const versionLe = hv.getUint32(4, true);
  let le = true;
  let version = versionLe;
  if ((versionLe & 0xffff) === 0 && versionLe !== 0) {
    le = false;
    version = hv.getUint32(4, false);
  }
  if (version !== 1 && version !== 2 && version !== 3) {
    fail('gguf_bad_version', `GGUF version is ${versionLe} (read little-endian; ${hv.getUint32(4, false)} big-endian); expected 1, 2 or 3`, 4);
  }
  const v1 = version === 1;
  const lenSize = v1 ? 4 : 8;
  const cur = new Cursor(source, le);
  cur.pos = 8;

  /** A count or length field: u32 in v1, u64 otherwise. */
  const readLen = async (what: string): Promise<number | bigint> => {
    if (!cur.has(lenSize)) await cur.fill(lenSize, what);
    return v1 ? cur.u32() : cur.u64Length();
  };
  const checkHeaderSize = (at: number): void => {
    if (cur.pos > MAX_GGUF_HEADER_BYTES) {
      fail('gguf_header_too_large', `The GGUF header runs past byte ${MAX_GGUF_HEADER_BYTES} (the cap for metadata and tensor infos)`, at);
    }
  };

  // ── counts ─────────────────────────────────────────────────────────────
  const tensorCountAt = cur.pos;
  const tensorCountRaw = await readLen('The tensor count');
  const kvCountAt = cur.pos;
  const kvCountRaw = await readLen('The key-value count');
  // Smallest encodings: a tensor info is name length + n_dims + type + offset; a key-value is a
  // 1-byte key with its length, a type, and a 1-byte value.
  const tensorCount = checkedLength(tensorCountRaw, {
    cap: MAX_GGUF_TENSORS,
    remaining: cur.remaining,
    unit: lenSize + 4 + 4 + 8,
    what: 'The tensor count',
    offset: tensorCountAt,
    file,
    capCode: 'gguf_count_too_large',
  });
  const kvCount = checkedLength(kvCountRaw, {
    cap: MAX_GGUF_KV_COUNT,
    remaining: cur.remaining,
    unit: lenSize + 1 + 4 + 1,
    what: 'The key-value count',
    offset: kvCountAt,
    file,
    capCode: 'gguf_count_too_large',
  });

  // ── strings ────────────────────────────────────────────────────────────
  const readStringBytes = async (what: string, cap: number, capCode: ErrorCode): Promise<{ at: number; bytes: Uint8Array }> => {
    const at = cur.pos;
    const raw = await readLen(`${what} length`);
    const n = checkedLength(raw, { cap, remaining: cur.remaining, what: `${what} length`, offset: at, file, capCode });
    if (!cur.has(n)) await cur.fill(n, what, at);
    return { at, bytes: cur.bytes(n) };
  };

  // ── values ─────────────────────────────────────────────────────────────
  const readValueType = async (what: string): Promise<{ at: number; type: GgufValueType }> => {
    const at = cur.pos;
    if (!cur.has(4)) await cur.fill(4, what);
    const id = cur.u32();
    const type = GGUF_VALUE_TYPES[id];
    if (type === undefined) fail('gguf_bad_value_type', `${what} is ${id}; expected a GGUF value type 0…12`, at);
    return { at, type };
  };

  const readScalar = async (type: Exclude<GgufValueType, 'arr'>, key: string): Promise<GgufValue> => {
    const at = cur.pos;
    if (type === 'str') {
      const { bytes } = await readStringBytes(`The string value of "${clip(key)}"`, MAX_GGUF_STRING_BYTES, 'gguf_string_too_long');
      const strict = decodeUtf8Strict(bytes);
      return strict === undefined ? { type, value: utf8Lenient.decode(bytes), validUtf8: false } : { type, value: strict, validUtf8: true };
    }
    const size = SCALAR_SIZE[type];
    if (!cur.has(size)) await cur.fill(size, `The ${type} value of "${clip(key)}"`);
    return scalarFrom(view(cur.bytes(size)), type, cur.le, key, at, fail);
  };

  const readArray = async (key: string, depth: number): Promise<GgufArray> => {
    const offset = cur.pos;
    if (depth > MAX_GGUF_ARRAY_DEPTH) {
      fail('gguf_array_too_deep', `The value of "${clip(key)}" nests arrays ${depth} deep; expected at most ${MAX_GGUF_ARRAY_DEPTH}`, offset);
    }
    const { type: elementType } = await readValueType(`The element type of array "${clip(key)}"`);
    const countAt = cur.pos;
    const raw = await readLen(`The length of array "${clip(key)}"`);
    const unit = elementType === 'str' ? lenSize : elementType === 'arr' ? 4 + lenSize : SCALAR_SIZE[elementType];
    const length = checkedLength(raw, {
      cap: MAX_GGUF_ARRAY_LENGTH,
      remaining: cur.remaining,
      unit,
      what: `The length of array "${clip(key)}"`,
      offset: countAt,
      file,
      capCode: 'gguf_count_too_large',
    });

    if (elementType === 'arr') {
      const items: GgufArray[] = [];
      for (let i = 0; i < length; i++) {
        checkHeaderSize(cur.pos);
        items.push(await readArray(key, depth + 1));
      }
      return { offset, length, elementType, values: items };
    }

    if (elementType === 'str') {
      // Walk the lengths (the window refills as needed), then take the whole run in one read.
      const starts = new Uint32Array(length);
      const lengths = new Uint32Array(length);
      const first = cur.pos;
      for (let i = 0; i < length; i++) {
        const at = cur.pos;
        if (!cur.has(lenSize)) await cur.fill(lenSize, `The length of string ${i} of array "${clip(key)}"`);
        const n = checkedLength(v1 ? cur.u32() : cur.u64Length(), {
          cap: MAX_GGUF_STRING_BYTES,
          remaining: cur.remaining,
          what: `The length of string ${i} of array "${clip(key)}"`,
          offset: at,
          file,
          capCode: 'gguf_string_too_long',
        });
        starts[i] = cur.pos - first;
        lengths[i] = n;
        cur.pos += n;
        if (cur.pos > MAX_GGUF_HEADER_BYTES) checkHeaderSize(at);
      }
      const bytes = cur.pos > first ? copy(await source.read(first, cur.pos - first)) : new Uint8Array(0);
      return { offset, length, elementType, values: new GgufStringTable(bytes, starts, lengths, first) };
    }

    const size = SCALAR_SIZE[elementType];
    const byteLength = length * size;
    if (cur.pos + byteLength > MAX_GGUF_HEADER_BYTES) {
      fail('gguf_header_too_large', `Array "${clip(key)}" runs past byte ${MAX_GGUF_HEADER_BYTES} (the cap for metadata and tensor infos)`, offset);
    }
    const raw8 = byteLength === 0 ? new Uint8Array(0) : await source.read(cur.pos, byteLength);
    const start = cur.pos;
    cur.pos += byteLength;
    const entry = decodeNumericArray(raw8, elementType, length, le);
    if (entry.elementType === 'bool') {
      for (let i = 0; i < length; i++) {
        const b = entry.values[i] as number;
        if (b > 1) fail('gguf_bad_value', `Element ${i} of bool array "${clip(key)}" is ${b}; expected 0 or 1`, start + i);
      }
    }
    return { offset, length, ...entry };
  };

  // ── key-values ─────────────────────────────────────────────────────────
  const metadata = new Map<string, GgufMetadataEntry>();
  const duplicateKeys: GgufMetadataEntry[] = [];
  const keepFirst = options.duplicateKeys === 'keep-first';
  for (let i = 0; i < kvCount; i++) {
    checkHeaderSize(cur.pos);
    const { at, bytes } = await readStringBytes(`Key ${i}`, MAX_GGUF_KEY_BYTES, 'gguf_bad_key');
    const key = decodeUtf8Strict(bytes);
    if (key === undefined) fail('gguf_bad_key', `Key ${i} is not valid UTF-8 (bytes ${hex(bytes.subarray(0, 16))}…); expected an ASCII key`, at);
    if (key.length === 0) fail('gguf_bad_key', `Key ${i} is empty; expected a non-empty key such as "general.architecture"`, at);
    const earlier = metadata.get(key);
    if (earlier !== undefined && !keepFirst) {
      fail('gguf_duplicate_key', `Key "${clip(key)}" appears twice (first at byte ${earlier.offset}); expected unique keys, as llama.cpp requires`, at);
    }
    const { type } = await readValueType(`The value type of "${clip(key)}"`);
    const value: GgufValue = type === 'arr' ? { type, value: await readArray(key, 1) } : await readScalar(type, key);
    if (earlier === undefined) metadata.set(key, { key, offset: at, value });
    else duplicateKeys.push({ key, offset: at, value });
  }

  // ── alignment ──────────────────────────────────────────────────────────
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignEntry = metadata.get(GGUF_ALIGNMENT_KEY);
  if (alignEntry !== undefined) {
    const v = alignEntry.value;
    if (v.type !== 'u32') {
      fail('gguf_bad_alignment', `"${GGUF_ALIGNMENT_KEY}" is of type ${v.type}; expected u32`, alignEntry.offset);
    }
    if (v.value === 0 || (v.value & (v.value - 1)) !== 0) {
      fail('gguf_bad_alignment', `"${GGUF_ALIGNMENT_KEY}" is ${v.value}; expected a power of two`, alignEntry.offset);
    }
    alignment = v.value;
  }

  // ── tensor infos ───────────────────────────────────────────────────────
  interface Pending {
    info: Omit<GgufTensorInfo, 'byteOffset' | 'elements' | 'ne'>;
    ne: bigint[];
    elements: bigint;
    bytes: bigint;
    offset: bigint;
  }
  const pending: Pending[] = [];
  const names = new Map<string, number>();
  for (let i = 0; i < tensorCount; i++) {
    checkHeaderSize(cur.pos);
    const infoOffset = cur.pos;
    const { bytes: nameBytes } = await readStringBytes(`The name of tensor ${i}`, MAX_GGUF_TENSOR_NAME_BYTES, 'gguf_bad_tensor_name');
    const name = decodeUtf8Strict(nameBytes);
    if (name === undefined) fail('gguf_bad_tensor_name', `The name of tensor ${i} is not valid UTF-8 (bytes ${hex(nameBytes.subarray(0, 16))}…)`, infoOffset);
    if (name.length === 0) fail('gguf_bad_tensor_name', `Tensor ${i} has an empty name; expected a name such as "blk.0.attn_q.weight"`, infoOffset);
    const earlier = names.get(name);
    if (earlier !== undefined) {
      fail('gguf_duplicate_tensor', `Tensor "${name}" is declared twice (first at byte ${earlier}); expected unique tensor names`, infoOffset);
    }
    names.set(name, infoOffset);
    const label = `Tensor "${name}"`;

    const nDimsAt = cur.pos;
    if (!cur.has(4)) await cur.fill(4, `${label}: the dimension count`);
    const nDims = cur.u32();
    if (nDims > MAX_GGUF_DIMS) fail('gguf_bad_dims', `${label} has ${nDims} dimensions; expected at most ${MAX_GGUF_DIMS} (GGML_MAX_DIMS)`, nDimsAt);
    const ne: bigint[] = [];
    for (let d = 0; d < nDims; d++) {
      const dimAt = cur.pos;
      if (!cur.has(lenSize)) await cur.fill(lenSize, `${label}: dimension ${d}`);
      const dim = v1 ? BigInt(cur.u32()) : cur.u64();
      if (dim > INT64_MAX) fail('gguf_bad_dims', `${label}: dimension ${d} is ${dim}, negative as the int64 ggml reads; expected 0 … 2^63-1`, dimAt);
      ne.push(dim);
    }
    let elements = 1n;
    for (const d of ne) elements *= d;
    if (elements >= INT64_MAX) {
      fail('gguf_size_overflow', `${label}: dimensions [${ne.join(', ')}] hold ${elements} elements, over int64; expected fewer than 2^63-1`, nDimsAt);
    }

    const typeAt = cur.pos;
    if (!cur.has(4)) await cur.fill(4, `${label}: the type`);
    const typeId = cur.u32();
    const t = ggmlType(typeId);
    if (t === undefined) {
      const removed = removedGgmlTypeName(typeId);
      fail(
        'gguf_unknown_type',
        removed === undefined
          ? `${label} has ggml type ${typeId}, which ggml does not define; expected a type id such as 0 (F32), 1 (F16) or 8 (Q8_0)`
          : `${label} has ggml type ${typeId} (${removed}), which was removed from GGUF files; re-convert the model`,
        typeAt,
      );
    }
    const row = ne[0] ?? 1n;
    if (row % BigInt(t.blockElements) !== 0n) {
      fail('gguf_bad_block', `${label} (${t.name}) has rows of ${row} elements; expected a multiple of the ${t.blockElements}-element block`, typeAt);
    }
    const bytes = (elements / BigInt(t.blockElements)) * BigInt(t.blockBytes);
    if (bytes > INT64_MAX) fail('gguf_size_overflow', `${label}: ${elements} elements of ${t.name} take ${bytes} bytes, over int64`, typeAt);

    const offsetAt = cur.pos;
    if (!cur.has(8)) await cur.fill(8, `${label}: the data offset`);
    const offset = cur.u64();
    if (offset % BigInt(alignment) !== 0n) {
      fail('gguf_misaligned_offset', `${label} has data offset ${offset}; expected a multiple of the alignment ${alignment}`, offsetAt);
    }
    // offset + size past int64 wraps in a reader that adds them unchecked (llama.cpp's ctx->size
    // and data-offset accumulation overflows): an overflow, not a short file.
    if (offset + bytes > INT64_MAX) {
      fail('gguf_size_overflow', `${label} has data offset ${offset} and ${bytes} bytes of data, which end past int64 (2^63-1); expected data inside the file`, offsetAt);
    }
    pending.push({
      info: { name, infoOffset, ggmlType: typeId, typeName: t.name, dtype: t.dtype, offset: 0, byteLength: 0 },
      ne,
      elements,
      bytes,
      offset,
    });
  }
  const headerEnd = cur.pos;
  checkHeaderSize(headerEnd);
  const dataStart = alignUp(headerEnd, alignment);

  // ── data section: inside the file, no overlaps ─────────────────────────
  const size = BigInt(source.size);
  const tensors: GgufTensorInfo[] = [];
  for (const p of pending) {
    const start = BigInt(dataStart) + p.offset;
    const end = start + p.bytes;
    const label = `Tensor "${p.info.name}"`;
    if (end > size) {
      // Point at the missing data when it starts inside the file, else at the tensor info that
      // places it beyond the end (an offset outside the file means nothing to the user).
      const at = start < size ? Number(start) : p.info.infoOffset;
      fail('truncated', `${label} (${p.bytes} bytes at data offset ${p.offset}, declared at byte ${p.info.infoOffset}) ends at byte ${end}, past the end of the file (${source.size} bytes)`, at);
    }
    const ne = p.ne.map((d, i) => toSafeNumber(d, `${label}: dimension ${i}`, p.info.infoOffset, 'gguf_size_overflow', file));
    tensors.push({
      ...p.info,
      ne,
      offset: Number(p.offset),
      byteOffset: Number(start),
      byteLength: Number(p.bytes),
      elements: toSafeNumber(p.elements, `${label}: element count`, p.info.infoOffset, 'gguf_size_overflow', file),
    });
  }
  const byStart = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  const unclaimed: ByteRange[] = [];
  let claimedTo = dataStart;
  let prev: GgufTensorInfo | undefined;
  for (const t of byStart) {
    if (prev !== undefined && t.byteOffset < prev.byteOffset + prev.byteLength) {
      fail(
        'gguf_overlap',
        `Tensor "${t.name}" (bytes ${t.byteOffset}–${t.byteOffset + t.byteLength}) overlaps tensor "${prev.name}" (bytes ${prev.byteOffset}–${prev.byteOffset + prev.byteLength}); expected disjoint tensor data`,
        t.byteOffset,
      );
    }
    if (t.byteOffset > claimedTo) unclaimed.push({ offset: claimedTo, length: t.byteOffset - claimedTo });
    claimedTo = alignUp(t.byteOffset + t.byteLength, alignment);
    prev = t;
  }
  if (source.size > claimedTo) unclaimed.push({ offset: claimedTo, length: source.size - claimedTo });

  return {
    path: file,
    size: source.size,
    version,
    byteOrder: le ? 'little' : 'big',
    alignment,
    metadata,
    tensors,
    headerEnd,
    dataStart,
    unclaimed,
    duplicateKeys,
  };
}

const SCALAR_SIZE: Readonly<Record<Exclude<GgufValueType, 'str' | 'arr'>, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  bool: 1,
  u64: 8,
  i64: 8,
  f64: 8,
};

function scalarFrom(b: DataView, type: Exclude<GgufValueType, 'str' | 'arr'>, le: boolean, key: string, at: number, fail: Fail): GgufValue {
  switch (type) {
    case 'u8':
      return { type, value: b.getUint8(0) };
    case 'i8':
      return { type, value: b.getInt8(0) };
    case 'u16':
      return { type, value: b.getUint16(0, le) };
    case 'i16':
      return { type, value: b.getInt16(0, le) };
    case 'u32':
      return { type, value: b.getUint32(0, le) };
    case 'i32':
      return { type, value: b.getInt32(0, le) };
    case 'f32':
      return { type, value: b.getFloat32(0, le) };
    case 'f64':
      return { type, value: b.getFloat64(0, le) };
    case 'u64':
      return { type, value: b.getBigUint64(0, le) };
    case 'i64':
      return { type, value: b.getBigInt64(0, le) };
    case 'bool': {
      const v = b.getUint8(0);
      if (v > 1) fail('gguf_bad_value', `The bool value of "${clip(key)}" is ${v}; expected 0 or 1`, at);
      return { type, value: v === 1 };
    }
  }
}

type NumericArrayEntry = Extract<GgufArray, { elementType: Exclude<GgufValueType, 'str' | 'arr'> }> extends infer U
  ? U extends ArrayBase
    ? Omit<U, keyof ArrayBase>
    : never
  : never;

function decodeNumericArray(raw: Uint8Array, type: Exclude<GgufValueType, 'str' | 'arr'>, n: number, le: boolean): NumericArrayEntry {
  const c = copy(raw);
  const size = SCALAR_SIZE[type];
  if (!le && size > 1) {
    // Byte-swap each element of the copy, then view it natively (JS typed arrays are little-endian
    // on every platform a browser or Node runs on).
    for (let i = 0; i < n; i++) c.subarray(i * size, (i + 1) * size).reverse();
  }
  const buf = c.buffer;
  switch (type) {
    case 'u8':
      return { elementType: type, values: c };
    case 'bool':
      return { elementType: type, values: c };
    case 'i8':
      return { elementType: type, values: new Int8Array(buf, 0, n) };
    case 'u16':
      return { elementType: type, values: new Uint16Array(buf, 0, n) };
    case 'i16':
      return { elementType: type, values: new Int16Array(buf, 0, n) };
    case 'u32':
      return { elementType: type, values: new Uint32Array(buf, 0, n) };
    case 'i32':
      return { elementType: type, values: new Int32Array(buf, 0, n) };
    case 'f32':
      return { elementType: type, values: new Float32Array(buf, 0, n) };
    case 'f64':
      return { elementType: type, values: new Float64Array(buf, 0, n) };
    case 'u64':
      return { elementType: type, values: new BigUint64Array(buf, 0, n) };
    case 'i64':
      return { elementType: type, values: new BigInt64Array(buf, 0, n) };
  }
}

/** An owned, 0-offset copy (ByteSource results may be views into larger buffers or Node Buffers). */
function copy(bytes: Uint8Array): Uint8Array {
  const c = new Uint8Array(bytes.byteLength);
  c.set(bytes);
  return c;
}

export function alignUp(offset: number, alignment: number): number {
  const r = offset % alignment;
  return r === 0 ? offset : offset + (alignment - r);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
