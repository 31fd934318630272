/**
 * safetensors reader: header only, every rule of the reference implementation enforced
 * (huggingface/safetensors safetensors/src/tensor.rs `read_metadata` + `Metadata::validate`), plus
 * duplicate-key detection that serde/JSON.parse do not do.
 *
 * Layout: u64 little-endian N · N bytes of UTF-8 JSON starting with "{" · data section. The JSON maps
 * tensor names to {dtype, shape, data_offsets:[begin,end]} (offsets relative to the data section)
 * and may hold "__metadata__": {string: string}. Tensors, sorted by offsets, must tile the data
 * section exactly: first begin = 0, each begin = previous end, end - begin = numel × dtype size,
 * last end = data section length.
 *
 * The header need not be padded to 8 bytes (real files written by safetensors ≤ 0.2 are not), so
 * tensor data may start at any byte: nothing here or downstream assumes aligned views.
 */
import { view, decodeUtf8Strict } from '../bytes.ts';
import { byteLengthOf, elementCount, isDType, type DType } from '../dtype.ts';
import { SleuthError, type ErrorCode } from '../errors.ts';
import { MAX_SAFETENSORS_HEADER_BYTES, MAX_TENSOR_DIMS, MAX_TENSOR_NAME_LENGTH, MAX_TENSORS_PER_FILE } from '../limits.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from '../strict-json.ts';
import type { ByteSource } from '../../io/byte-source.ts';

export interface SafetensorsTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Offsets relative to the data section, as in the header. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  headerLength: number;
  /** Absolute offset of the data section (8 + headerLength). */
  dataStart: number;
  /** Sorted by begin offset. */
  tensors: SafetensorsTensor[];
  metadata: Record<string, string> | undefined;
}

/** Cheap check on the first bytes: a plausible header length followed by "{". */
export function sniffSafetensors(head: Uint8Array, fileSize: number): boolean {
  if (head.byteLength < 9) return false;
  const n = view(head).getBigUint64(0, true);
  return n > 0n && n <= BigInt(Math.min(MAX_SAFETENSORS_HEADER_BYTES, fileSize - 8)) && head[8] === 0x7b;
}

export async function parseSafetensors(source: ByteSource): Promise<SafetensorsHeader> {
  const file = source.path;
  const err = (code: ErrorCode, message: string, offset: number): SleuthError => new SleuthError(code, message, { offset, file });

  if (source.size < 8) {
    throw err('safetensors_header_too_small', `The file is ${source.size} bytes; a safetensors file starts with an 8-byte header length`, 0);
  }
  const n = view(await source.read(0, 8)).getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw err('safetensors_header_too_large', `Header length is ${n} bytes; expected at most ${MAX_SAFETENSORS_HEADER_BYTES} (the reference implementation's cap)`, 0);
  }
  const headerLength = Number(n);
  if (8 + headerLength > source.size) {
    throw err('safetensors_header_length', `Header length is ${headerLength} bytes but only ${source.size - 8} bytes follow the length field`, 0);
  }
  const headerBytes = await source.read(8, headerLength);
  if (headerLength === 0 || headerBytes[0] !== 0x7b) {
    throw err('safetensors_header_start', `The header starts with ${headerLength === 0 ? 'nothing' : `byte 0x${(headerBytes[0] ?? 0).toString(16).padStart(2, '0')}`}; expected "{"`, 8);
  }
  const text = decodeUtf8Strict(headerBytes);
  if (text === undefined) throw err('json_not_utf8', 'The header is not valid UTF-8; expected a UTF-8 JSON object', 8);
  // One member per tensor, plus __metadata__: the parse stops at the first entry past the cap.
  let root: JsonValue;
  try {
    root = parseStrictJson(text, { baseOffset: 8, file, integers: 'bigint', maxMembers: MAX_TENSORS_PER_FILE + 1 });
  } catch (e) {
    if (!(e instanceof SleuthError) || e.code !== 'json_too_large') throw e;
    const at = e.offset ?? 8;
    throw err('json_too_large', `The header lists more than ${MAX_TENSORS_PER_FILE} tensors (the entry at byte ${at} is one too many); expected at most ${MAX_TENSORS_PER_FILE}`, at);
  }
  if (!isJsonObject(root)) throw err('safetensors_header_start', 'The header is not a JSON object', 8);

  const dataStart = 8 + headerLength;
  const dataLength = source.size - dataStart;
  /** Byte offset of an entry's key in the file (computed on the error path only). */
  const keyOffset = (key: string): number => {
    const at = text.indexOf(JSON.stringify(key));
    return at < 0 ? 8 : 8 + new TextEncoder().encode(text.slice(0, at)).byteLength;
  };

  let metadata: Record<string, string> | undefined;
  const entries: SafetensorsTensor[] = [];
  const keys = Object.keys(root);
  const tensorCount = keys.length - (Object.hasOwn(root, '__metadata__') ? 1 : 0);
  if (tensorCount > MAX_TENSORS_PER_FILE) {
    throw err('json_too_large', `The header lists ${tensorCount} tensors; expected at most ${MAX_TENSORS_PER_FILE}`, 8);
  }
  for (const name of keys) {
    const value = root[name] as JsonValue;
    if (name === '__metadata__') {
      // The reference deserialises it as Option<HashMap<String, String>>: null means absent
      // (MLX writes "__metadata__": null).
      if (value !== null) metadata = readMetadata(value, () => keyOffset(name), file);
      continue;
    }
    if (name.length > MAX_TENSOR_NAME_LENGTH) {
      throw err('safetensors_bad_entry', `A tensor name is ${name.length} characters long; expected at most ${MAX_TENSOR_NAME_LENGTH}`, keyOffset(name));
    }
    entries.push(readEntry(name, value, () => keyOffset(name), file));
  }

  // Sort by offsets like the reference (older writers ordered by name, not offset), then demand
  // an exact tiling of the data section.
  // Ties (empty tensors share an offset) by name: the order must not depend on JS key order,
  // which lists integer-like names ("0") before others whatever the header says.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let expected = 0;
  for (const t of entries) {
    const at = dataStart + t.begin;
    if (t.begin > expected) {
      // The offset is where the uncovered bytes start (always inside the file), not where the tensor
      // claims to begin, which a hostile header can put far past the end.
      throw err('safetensors_offsets_gap', `Tensor "${t.name}" begins at data offset ${t.begin} but the previous tensor ended at ${expected}; expected contiguous tensors with no gap`, dataStart + expected);
    }
    if (t.begin < expected) {
      throw err('safetensors_offsets_overlap', `Tensor "${t.name}" begins at data offset ${t.begin}, inside the previous tensor (which ends at ${expected}); expected non-overlapping tensors`, at);
    }
    if (t.end > dataLength) {
      throw err('truncated', `Tensor "${t.name}" ends at byte ${dataStart + t.end}, past the end of the file (${source.size} bytes)`, at);
    }
    expected = t.end;
  }
  if (expected !== dataLength) {
    throw err(
      'safetensors_incomplete_buffer',
      `The tensors cover ${expected} bytes of data but the file holds ${dataLength} after the header; expected the last tensor to end at the end of the file (${dataLength - expected} unexplained trailing bytes)`,
      dataStart + expected,
    );
  }
  return { headerLength, dataStart, tensors: entries, metadata };
}

function readMetadata(value: JsonValue, at: () => number, file: string): Record<string, string> {
  if (!isJsonObject(value)) {
    throw new SleuthError('safetensors_bad_metadata', '__metadata__ is not an object; expected a map of strings to strings', { offset: at(), file });
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SleuthError('safetensors_bad_metadata', `__metadata__["${k.slice(0, 100)}"] is ${describe(v)}; expected a string`, { offset: at(), file });
    }
    out[k] = v;
  }
  return out;
}

function readEntry(name: string, value: JsonValue, at: () => number, file: string): SafetensorsTensor {
  const fail = (code: ErrorCode, msg: string): never => {
    throw new SleuthError(code, `Tensor "${name.slice(0, 200)}": ${msg}`, { offset: at(), file });
  };
  if (!isJsonObject(value)) return fail('safetensors_bad_entry', `entry is ${describe(value)}; expected {"dtype", "shape", "data_offsets"}`);
  const dtype = value['dtype'];
  const shape = value['shape'];
  const offsets = value['data_offsets'];
  if (typeof dtype !== 'string') return fail('safetensors_bad_entry', `"dtype" is ${describe(dtype)}; expected a string`);
  if (!isDType(dtype) || !SAFETENSORS_DTYPES.has(dtype)) return fail('safetensors_unknown_dtype', `dtype "${dtype.slice(0, 40)}" is not a safetensors dtype; expected one of ${[...SAFETENSORS_DTYPES].join(', ')}`);
  if (!Array.isArray(shape)) return fail('safetensors_bad_shape', `"shape" is ${describe(shape)}; expected a list of integers`);
  if (shape.length > MAX_TENSOR_DIMS) return fail('safetensors_bad_shape', `shape has ${shape.length} dimensions; expected at most ${MAX_TENSOR_DIMS}`);
  const dims: bigint[] = [];
  for (const d of shape) {
    if (typeof d !== 'bigint' || d < 0n) return fail('safetensors_bad_shape', `shape contains ${describe(d)}; expected non-negative integers`);
    dims.push(d);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || typeof offsets[0] !== 'bigint' || typeof offsets[1] !== 'bigint') {
    return fail('safetensors_bad_offsets', `"data_offsets" is ${describe(offsets)}; expected [begin, end] integers`);
  }
  const [b, e] = offsets as [bigint, bigint];
  if (b < 0n || e < b) return fail('safetensors_bad_offsets', `data_offsets [${b}, ${e}] is not a valid range; expected 0 <= begin <= end`);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (e > limit) return fail('safetensors_size_overflow', `data_offsets end ${e} is beyond 2^53; no real file is that large`);
  const count = elementCount(dims);
  const bytes = byteLengthOf(dtype, count);
  if (bytes === undefined) return fail('safetensors_span_mismatch', `${count} elements of ${dtype} do not fill whole storage blocks`);
  if (bytes > limit) return fail('safetensors_size_overflow', `shape [${dims.join(', ')}] × ${dtype} is ${bytes} bytes, beyond 2^53 (an overflow in a 64-bit reader)`);
  if (bytes !== e - b) {
    return fail('safetensors_span_mismatch', `shape [${dims.join(', ')}] of ${dtype} needs ${bytes} bytes but data_offsets [${b}, ${e}] span ${e - b}`);
  }
  return { name, dtype, shape: dims.map(Number), begin: Number(b), end: Number(e) };
}

/** The dtypes the safetensors spec defines (tensor.rs `Dtype`, incl. the sub-byte and F8 additions). */
export const SAFETENSORS_DTYPES: ReadonlySet<DType> = new Set<DType>([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
]);

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v === 'bigint' ? 'the integer' : typeof v} ${String(v)}`;
}
