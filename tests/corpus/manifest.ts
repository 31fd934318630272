/**
 * The bad-input corpus, as data (CONVENTIONS.md habit 9, Netron's test list): every entry is a
 * small hermetic builder of one hostile or broken file, the file name it is saved under, what the
 * loader must report for it, and where the case comes from. Nothing is downloaded: malformed files
 * are built, byte by byte, so each one documents exactly what is wrong with it.
 *
 * Layout: safetensors, shard-index and format-independent entries live here; the other formats
 * have a folder each — gguf/, zip/, pytorch/ (zip and legacy checkpoints), pickle/, numpy/ — with
 * their hermetic builders in builders/ (a pickle-opcode assembler, a ZIP writer with its own
 * deflate, .npy and torch.save layouts). Entry shape: ./types.ts.
 *
 * tests/unit/corpus/corpus.test.ts runs every entry through `loadModel` (in-process), the in-process
 * comparison and the real CLI, and holds each to a time budget.
 *
 * Adding an entry: give it a unique `id` ("<format>/<slug>"), build the smallest file that shows the
 * problem (≤ 64 KiB), and name the `source`. An unreadable file sets `expect.code` (and
 * `expect.offset` when the byte offset is part of the contract; `expect.cause` when the code wraps a
 * more precise one); a payload file sets `expect.notice` (the global that would run) and
 * `expect.verdict: 'malicious-code'`; a file the reader can read but must flag sets `expect.notice`
 * and `expect.verdict: 'inconclusive'`. Multi-file cases (a shard index and its shards) put the other
 * files in `siblings`; the runner saves them all in one folder. Tensor names must be unique across
 * entries: the CLI test loads every entry as one model.
 */
import { assemble, buildSafetensors, f32Bytes } from '../fixtures/safetensors-builder.ts';
import { GGUF_ENTRIES } from './gguf/entries.ts';
import { NUMPY_ENTRIES } from './numpy/entries.ts';
import { PICKLE_ENTRIES } from './pickle/entries.ts';
import { PYTORCH_ENTRIES } from './pytorch/entries.ts';
import type { CorpusEntry } from './types.ts';
import { ZIP_ENTRIES } from './zip/entries.ts';

export type { CorpusEntry, CorpusExpectation, CorpusFormat, CorpusSource, NoticeExpectation } from './types.ts';
export { DEFAULT_BUDGET_MS, MAX_CORPUS_FILE_BYTES } from './types.ts';

// ── builders ────────────────────────────────────────────────────────────────

const encoder = new TextEncoder();
const utf8 = (text: string): Uint8Array => encoder.encode(text);

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Deterministic filler bytes (0, 1, 2, …). */
function filler(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i & 0xff);
}

/** u64 little-endian. */
function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** A safetensors file from raw header text (unpadded: byte offsets stay easy to state) and `dataLength` filler bytes. */
function st(header: string, dataLength: number): Uint8Array {
  return assemble(header, [filler(dataLength)], false);
}

/** A safetensors file from raw header bytes (for headers that are not valid UTF-8). */
function stBytes(header: Uint8Array, dataLength: number): Uint8Array {
  return concat(u64(BigInt(header.byteLength)), header, filler(dataLength));
}

/** Absolute file offset of the `nth` occurrence of `marker` in a header placed at byte 8. */
function at(header: string, marker: string, nth = 1): number {
  let index = -1;
  for (let k = 0; k < nth; k++) {
    index = header.indexOf(marker, index + 1);
    if (index < 0) throw new Error(`corpus: marker ${JSON.stringify(marker)} not found`);
  }
  return 8 + utf8(header.slice(0, index)).byteLength;
}

const entry = (dtype: string, shape: readonly (number | string)[], begin: number | string, end: number | string): string =>
  `{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${end}]}`;

/** A valid two-tensor file: "a" F32 [2,2] at data [0,16), "b" F16 [3] at [16,22). */
const VALID_HEADER = `{"a":${entry('F32', [2, 2], 0, 16)},"b":${entry('F16', [3], 16, 22)}}`;
const VALID_DATA = 22;
const VALID_DATA_START = 8 + utf8(VALID_HEADER).byteLength;
const valid = (): Uint8Array => st(VALID_HEADER, VALID_DATA);

/** A minimal ZIP archive (one stored, empty member "x" and its end-of-central-directory record). */
function tinyZip(): Uint8Array {
  const local = concat(utf8('PK\x03\x04'), new Uint8Array(22), new Uint8Array([1, 0, 0, 0]), utf8('x'));
  const central = concat(utf8('PK\x01\x02'), new Uint8Array(24), new Uint8Array([1, 0]), new Uint8Array(16), utf8('x'));
  const eocd = concat(utf8('PK\x05\x06'), new Uint8Array([0, 0, 0, 0, 1, 0, 1, 0]), u64(BigInt(central.byteLength)).subarray(0, 4), u64(BigInt(local.byteLength)).subarray(0, 4), new Uint8Array(2));
  return concat(local, central, eocd);
}

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 4400000000\n';

/** `count` one-byte U8 tensors named in base 36, the file one byte short of the last one. */
function manyTinyTensors(count: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"${i.toString(36)}":{"dtype":"U8","shape":[],"data_offsets":[${i},${i + 1}]}`);
  return assemble(`{${parts.join(',')}}`, [new Uint8Array(count - 1)], false);
}

/** A small valid shard holding F32 [2] tensors with the given names. */
function shard(names: readonly string[]): Uint8Array {
  return buildSafetensors(names.map((name, i) => ({ name, dtype: 'F32' as const, shape: [2], data: f32Bytes([i, -i]) })));
}

function index(weightMap: Record<string, string>): Uint8Array {
  return utf8(JSON.stringify({ metadata: { total_size: 8 * Object.keys(weightMap).length }, weight_map: weightMap }, null, 2));
}

const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';
const INDEX = 'model.safetensors.index.json';

// Headers the entries below share with their expected offsets.
const H = {
  dupTensor: `{"a":${entry('F32', [2, 2], 0, 16)},"a":${entry('F16', [3], 16, 22)}}`,
  dupInEntry: `{"a":{"dtype":"F32","shape":[2,2],"dtype":"F16","data_offsets":[0,16]}}`,
  dupMetadata: `{"__metadata__":{"format":"pt"},"a":${entry('F32', [2, 2], 0, 16)},"__metadata__":{"format":"np"}}`,
  dupEscaped: `{"a":${entry('F32', [2, 2], 0, 16)},"\\u0061":${entry('F16', [3], 16, 22)}}`,
  dupAfterUnicode: `{"é":${entry('F32', [2, 2], 0, 16)},"😀":${entry('F16', [3], 16, 22)},"é":${entry('F16', [3], 16, 22)}}`,
  trailingComma: `{"a":${entry('F32', [2, 2], 0, 16)},}`,
  singleQuotes: `{'a':${entry('F32', [2, 2], 0, 16)}}`,
  nanOffset: `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,NaN]}}`,
  comment: `{/* weights */"a":${entry('F32', [2, 2], 0, 16)}}`,
  trailingGarbage: `{"a":${entry('F32', [2, 2], 0, 16)}}}`,
  unterminated: `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F1`,
  unknownDtype: `{"a":${entry('F31', [2, 2], 0, 16)}}`,
  ggufDtype: `{"a":${entry('Q4_0', [32], 0, 18)}}`,
  lowerDtype: `{"a":${entry('f32', [2, 2], 0, 16)}}`,
  negativeDim: `{"a":${entry('F32', [-1, 4], 0, 16)}}`,
  floatDim: `{"a":${entry('F32', ['2.0', 2], 0, 16)}}`,
  exponentDim: `{"a":${entry('F32', ['2e0', 2], 0, 16)}}`,
  stringDim: `{"a":${entry('F32', ['"2"', 2], 0, 16)}}`,
  tooManyDims: `{"a":${entry('F32', [...Array<number>(17).fill(1), 4], 0, 16)}}`,
  hugeDims: `{"a":${entry('F32', [1099511627776, 1099511627776], 0, 16)}}`,
  wrapToZero: `{"a":${entry('F32', ['4611686018427387904'], 0, 0)}}`,
  wrapTo16: `{"a":${entry('F32', ['4611686018427387908'], 0, 16)}}`,
  endBeyond2p53: `{"a":${entry('U8', ['1152921504606846976'], 0, '1152921504606846976')}}`,
  spanMismatch: `{"a":${entry('F32', [2, 2], 0, 12)}}`,
  partialBlock: `{"a":${entry('F4', [3], 0, 2)}}`,
  reversed: `{"a":${entry('F32', [2, 2], 16, 0)}}`,
  threeOffsets: `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8,16]}}`,
  gapAtStart: `{"a":${entry('F32', [2, 2], 4, 20)}}`,
  gapBetween: `{"a":${entry('F32', [2, 2], 0, 16)},"b":${entry('F16', [3], 20, 26)}}`,
  beginPastEof: `{"a":${entry('F32', [2, 2], 0, 16)},"b":${entry('F32', [2, 2], 5000, 5016)}}`,
  overlap: `{"a":${entry('F32', [2, 2], 0, 16)},"b":${entry('F16', [3], 10, 16)}}`,
  aliased: `{"a":${entry('F32', [2, 2], 0, 16)},"c":${entry('F32', [4], 0, 16)}}`,
  metaNumber: `{"__metadata__":{"format":1},"a":${entry('F32', [2, 2], 0, 16)}}`,
  metaArray: `{"__metadata__":["pt"],"a":${entry('F32', [2, 2], 0, 16)}}`,
  metaNested: `{"a":${entry('F32', [2, 2], 0, 16)},"__metadata__":{"x":{"y":"z"}}}`,
  entryList: `{"a":[0,16]}`,
  missingDtype: `{"a":{"shape":[2,2],"data_offsets":[0,16]}}`,
  protoDtype: `{"a":{"__proto__":{"dtype":"F32"},"shape":[2,2],"data_offsets":[0,16]}}`,
  protoTwice: `{"__proto__":${entry('F32', [2, 2], 0, 16)},"__proto__":${entry('F16', [3], 16, 22)}}`,
  longName: `{"${'w'.repeat(5000)}":${entry('F32', [2, 2], 0, 16)}}`,
  deepArrays: `{"__metadata__":{"x":${'['.repeat(60_000)}`,
  deepObjects: `{${'"a":{'.repeat(12_000)}`,
  nulPadded: `${VALID_HEADER}\u0000\u0000`,
};

const INDEX_TEXT = {
  trailingComma: `{"weight_map": {"x": "${SHARD1}",}}`,
  duplicate: `{"weight_map": {"dk.x": "${SHARD1}", "dk.x": "${SHARD2}"}}`,
};

const SAFETENSORS_ENTRIES: readonly CorpusEntry[] = [
  // ── any file ──────────────────────────────────────────────────────────────
  {
    id: 'generic/empty-file',
    format: 'generic',
    name: 'model.safetensors',
    build: () => new Uint8Array(0),
    expect: { code: 'empty_file', offset: 0 },
    source: 'spec rule: a weights file holds at least its format header (an interrupted download leaves 0 bytes)',
  },
  {
    id: 'generic/git-lfs-pointer',
    format: 'generic',
    name: 'model.safetensors',
    build: () => utf8(LFS_POINTER),
    expect: { code: 'git_lfs_pointer', offset: 0 },
    source: 'spec rule: Git LFS pointer file (git-lfs docs/spec.md) committed or cloned without `git lfs pull`',
  },
  {
    id: 'generic/html-error-page',
    format: 'generic',
    name: 'model.safetensors',
    build: () => utf8('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Entry not found</body></html>\n'),
    expect: { code: 'html_page', offset: 0 },
    source: 'spec rule: an HTTP error body saved under the model name (wget/curl without --fail)',
  },
  {
    id: 'generic/html-with-utf8-bom',
    format: 'generic',
    name: 'model.safetensors',
    build: () => concat(new Uint8Array([0xef, 0xbb, 0xbf]), utf8('\r\n<html><body>Access denied</body></html>')),
    expect: { code: 'html_page', offset: 0 },
    source: 'fuzz find',
    note: 'The sniffer decoded Latin-1 and missed a UTF-8 byte-order mark before "<html" (fixed in sniff.ts).',
  },
  {
    id: 'generic/html-page-as-pytorch-bin',
    format: 'generic',
    name: 'pytorch_model.bin',
    build: () => utf8('<html>\n<head><title>Sign in</title></head>\n<body><form action="/login">…</form></body>\n</html>\n'),
    expect: { code: 'html_page', offset: 0 },
    source: 'spec rule: a login page saved under the checkpoint name (a gated model downloaded without a token)',
  },
  {
    id: 'generic/lfs-pointer-as-pt',
    format: 'generic',
    name: 'model.pt',
    build: () => utf8(LFS_POINTER),
    expect: { code: 'git_lfs_pointer', offset: 0 },
    source: 'spec rule: Git LFS pointer file (git-lfs docs/spec.md) in place of a torch checkpoint',
  },
  {
    id: 'generic/random-bytes-bin',
    format: 'generic',
    name: 'weights.bin',
    build: () => Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0x7f),
    expect: { code: 'unknown_format', offset: 0 },
    source: 'spec rule: a weights file must match a supported format by its magic bytes',
  },

  // ── safetensors: the length prefix (safetensors README "Format": 8 bytes, u64 LE, header size N) ──
  {
    id: 'safetensors/truncated-inside-length',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, 5),
    expect: { code: 'safetensors_header_too_small', offset: 0 },
    source: 'spec rule: README "Format" — the file starts with an 8-byte header size',
  },
  {
    id: 'safetensors/truncated-after-length',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, 8),
    expect: { code: 'safetensors_header_length', offset: 0 },
    source: 'spec rule: tensor.rs read_metadata — N bytes of header must follow the size (InvalidHeaderLength)',
  },
  {
    id: 'safetensors/truncated-inside-header',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, 8 + Math.floor(utf8(VALID_HEADER).byteLength / 2)),
    expect: { code: 'safetensors_header_length', offset: 0 },
    source: 'spec rule: tensor.rs read_metadata — N bytes of header must follow the size (InvalidHeaderLength)',
  },
  {
    id: 'safetensors/header-length-past-eof',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(u64(BigInt(utf8(VALID_HEADER).byteLength + 100)), valid().subarray(8)),
    expect: { code: 'safetensors_header_length', offset: 0 },
    source: 'spec rule: tensor.rs read_metadata — N bytes of header must follow the size (InvalidHeaderLength)',
  },
  {
    id: 'safetensors/header-length-over-cap',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(u64(100_000_001n), valid().subarray(8)),
    expect: { code: 'safetensors_header_too_large', offset: 0 },
    source: 'spec rule: tensor.rs MAX_HEADER_SIZE = 100,000,000 (HeaderTooLarge) — CWE-770 allocation from a declared size',
  },
  {
    id: 'safetensors/header-length-u64-max',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(u64(0xffff_ffff_ffff_ffffn), valid().subarray(8)),
    expect: { code: 'safetensors_header_too_large', offset: 0 },
    source: 'spec rule: tensor.rs MAX_HEADER_SIZE; a u64 that does not fit a JS number or a 32-bit usize',
  },
  {
    id: 'safetensors/header-length-zero',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(u64(0n), utf8(VALID_HEADER), filler(VALID_DATA)),
    expect: { code: 'safetensors_header_start', offset: 8 },
    source: 'spec rule: tensor.rs read_metadata — the header is a JSON object starting with "{" (InvalidHeaderStart)',
  },

  // ── safetensors: header bytes ───────────────────────────────────────────────
  {
    id: 'safetensors/header-not-an-object',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(`[${VALID_HEADER}]`, VALID_DATA),
    expect: { code: 'safetensors_header_start', offset: 8 },
    source: 'spec rule: tensor.rs read_metadata — the header is a JSON object starting with "{" (InvalidHeaderStart)',
  },
  {
    id: 'safetensors/header-leading-space',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(` ${VALID_HEADER}`, VALID_DATA),
    expect: { code: 'safetensors_header_start', offset: 8 },
    source: 'spec rule: tensor.rs read_metadata — the header is a JSON object starting with "{" (InvalidHeaderStart)',
  },
  {
    id: 'safetensors/header-not-utf8',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => stBytes(concat(utf8('{"a'), new Uint8Array([0xff]), utf8(`":${entry('F32', [2, 2], 0, 16)}}`)), 16),
    expect: { code: 'json_not_utf8', offset: 8 },
    source: 'spec rule: tensor.rs read_metadata — the header is UTF-8 (InvalidHeader)',
  },
  {
    id: 'safetensors/header-utf8-encoded-surrogate',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => stBytes(concat(utf8('{"a'), new Uint8Array([0xed, 0xa0, 0x80]), utf8(`":${entry('F32', [2, 2], 0, 16)}}`)), 16),
    expect: { code: 'json_not_utf8', offset: 8 },
    source: 'scanner bypass: CESU-8/WTF-8 surrogate bytes that lenient decoders turn into U+FFFD, so two names compare equal',
  },
  {
    id: 'safetensors/json-trailing-comma',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.trailingComma, 16),
    expect: { code: 'json_syntax', offset: at(H.trailingComma, ',}') + 1 },
    source: 'spec rule: RFC 8259 §4 — no trailing comma in an object',
  },
  {
    id: 'safetensors/json-single-quotes',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.singleQuotes, 16),
    expect: { code: 'json_syntax', offset: 9 },
    source: 'spec rule: RFC 8259 §7 — strings use double quotes',
  },
  {
    id: 'safetensors/json-nan-offset',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.nanOffset, 16),
    expect: { code: 'json_syntax', offset: at(H.nanOffset, 'NaN') },
    source: 'spec rule: RFC 8259 §6 — NaN is not a JSON number (Python json.dumps writes it)',
  },
  {
    id: 'safetensors/json-comment',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.comment, 16),
    expect: { code: 'json_syntax', offset: 9 },
    source: 'spec rule: RFC 8259 — JSON has no comments (JSON5/serde lenient modes accept them)',
  },
  {
    id: 'safetensors/json-trailing-garbage',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.trailingGarbage, 16),
    expect: { code: 'json_syntax', offset: 8 + utf8(H.trailingGarbage).byteLength - 1 },
    source: 'spec rule: RFC 8259 §2 — one value per text; only whitespace may pad the header',
  },
  {
    id: 'safetensors/json-nul-padding',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.nulPadded, VALID_DATA),
    expect: { code: 'json_syntax', offset: 8 + utf8(VALID_HEADER).byteLength },
    source: 'spec rule: README "Format" — the header may be padded with spaces (0x20) only',
  },
  {
    id: 'safetensors/json-unterminated',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.unterminated, 22),
    expect: { code: 'json_syntax', offset: 8 + utf8(H.unterminated).byteLength },
    source: 'spec rule: RFC 8259 §7 — a string ends with a quote',
  },

  // ── safetensors: duplicate keys (JSON.parse and serde keep the last; another reader the first) ──
  {
    id: 'safetensors/duplicate-tensor-key',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.dupTensor, 22),
    expect: { code: 'json_duplicate_key', offset: at(H.dupTensor, '"a"', 2) },
    source: 'CVE-2017-12635',
    note: 'Parser differential on duplicate keys (CouchDB "roles"): two definitions of one tensor, each reader picks another.',
  },
  {
    id: 'safetensors/duplicate-key-inside-entry',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.dupInEntry, 16),
    expect: { code: 'json_duplicate_key', offset: at(H.dupInEntry, '"dtype"', 2) },
    source: 'CVE-2017-12635',
    note: 'F32 to one reader, F16 to another: the same bytes decode to different weights.',
  },
  {
    id: 'safetensors/duplicate-metadata',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.dupMetadata, 16),
    expect: { code: 'json_duplicate_key', offset: at(H.dupMetadata, '"__metadata__"', 2) },
    source: 'CVE-2017-12635',
  },
  {
    id: 'safetensors/duplicate-key-escaped',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.dupEscaped, 22),
    expect: { code: 'json_duplicate_key', offset: at(H.dupEscaped, '"\\u0061"') },
    source: 'scanner bypass: "\\u0061" and "a" are one key; a byte-level duplicate check misses it',
  },
  {
    id: 'safetensors/duplicate-key-after-multibyte-names',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.dupAfterUnicode, 22),
    expect: { code: 'json_duplicate_key', offset: at(H.dupAfterUnicode, '"é"', 2) },
    source: 'spec rule: error offsets count UTF-8 bytes, not UTF-16 units (2-byte é, 4-byte emoji before the key)',
  },

  // ── safetensors: entries (tensor.rs TensorInfo {dtype, shape, data_offsets}) ──
  {
    id: 'safetensors/unknown-dtype',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.unknownDtype, 16),
    expect: { code: 'safetensors_unknown_dtype', offset: at(H.unknownDtype, '"a"') },
    source: 'spec rule: tensor.rs Dtype enum — serde rejects unknown variants',
  },
  {
    id: 'safetensors/gguf-dtype-name',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.ggufDtype, 18),
    expect: { code: 'safetensors_unknown_dtype', offset: at(H.ggufDtype, '"a"') },
    source: 'spec rule: tensor.rs Dtype enum — a ggml block type is not a safetensors dtype',
  },
  {
    id: 'safetensors/lowercase-dtype',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.lowerDtype, 16),
    expect: { code: 'safetensors_unknown_dtype', offset: at(H.lowerDtype, '"a"') },
    source: 'spec rule: tensor.rs Dtype enum — variant names are case-sensitive',
  },
  {
    id: 'safetensors/negative-dim',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.negativeDim, 16),
    expect: { code: 'safetensors_bad_shape', offset: at(H.negativeDim, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo.shape is Vec<usize>',
  },
  {
    id: 'safetensors/float-dim',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.floatDim, 16),
    expect: { code: 'safetensors_bad_shape', offset: at(H.floatDim, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo.shape is Vec<usize> (2.0 is not an integer to serde)',
  },
  {
    id: 'safetensors/exponent-dim',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.exponentDim, 16),
    expect: { code: 'safetensors_bad_shape', offset: at(H.exponentDim, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo.shape is Vec<usize> (2e0 is a float to serde)',
  },
  {
    id: 'safetensors/string-dim',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.stringDim, 16),
    expect: { code: 'safetensors_bad_shape', offset: at(H.stringDim, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo.shape is Vec<usize>',
  },
  {
    id: 'safetensors/too-many-dims',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.tooManyDims, 16),
    expect: { code: 'safetensors_bad_shape', offset: at(H.tooManyDims, '"a"') },
    source: 'spec rule: limits.ts MAX_TENSOR_DIMS = 16 (per-dim arrays sized by a hostile count)',
  },
  {
    id: 'safetensors/huge-dims',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.hugeDims, 16),
    expect: { code: 'safetensors_size_overflow', offset: at(H.hugeDims, '"a"') },
    source: 'spec rule: tensor.rs validate — numel × dtype size is checked (checked_mul → ValidationOverflow)',
  },
  {
    id: 'safetensors/shape-bytes-wrap-2p64-to-zero',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.wrapToZero, 0),
    expect: { code: 'safetensors_size_overflow', offset: at(H.wrapToZero, '"a"') },
    source: 'scanner bypass: 2^62 F32 elements are 2^64 bytes, which wraps to 0 in an unchecked u64 multiply',
  },
  {
    id: 'safetensors/shape-bytes-wrap-2p64-to-16',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.wrapTo16, 16),
    expect: { code: 'safetensors_size_overflow', offset: at(H.wrapTo16, '"a"') },
    source: 'scanner bypass: (2^62 + 4) F32 elements wrap to exactly the 16 bytes stored, so a wrapping reader accepts the file',
  },
  {
    id: 'safetensors/offsets-beyond-2p53',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.endBeyond2p53, 0),
    expect: { code: 'safetensors_size_overflow', offset: at(H.endBeyond2p53, '"a"') },
    source: 'spec rule: offsets past 2^53 cannot be addressed exactly by a JavaScript reader',
  },
  {
    id: 'safetensors/span-mismatch',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.spanMismatch, 12),
    expect: { code: 'safetensors_span_mismatch', offset: at(H.spanMismatch, '"a"') },
    source: 'spec rule: tensor.rs validate — end - begin = numel × dtype size (TensorInvalidInfo)',
  },
  {
    id: 'safetensors/sub-byte-partial-block',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.partialBlock, 2),
    expect: { code: 'safetensors_span_mismatch', offset: at(H.partialBlock, '"a"') },
    source: 'spec rule: tensor.rs validate — sub-byte dtypes (F4) must fill whole bytes (MisalignedSlice)',
  },
  {
    id: 'safetensors/offsets-reversed',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.reversed, 16),
    expect: { code: 'safetensors_bad_offsets', offset: at(H.reversed, '"a"') },
    source: 'spec rule: tensor.rs validate — begin <= end (InvalidOffset)',
  },
  {
    id: 'safetensors/offsets-three-values',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.threeOffsets, 16),
    expect: { code: 'safetensors_bad_offsets', offset: at(H.threeOffsets, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo.data_offsets is (usize, usize)',
  },
  {
    id: 'safetensors/offsets-gap-at-start',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.gapAtStart, 20),
    expect: { code: 'safetensors_offsets_gap', offset: 8 + utf8(H.gapAtStart).byteLength },
    source: 'spec rule: tensor.rs validate — the first tensor begins at 0 and each begins where the previous ended (InvalidOffset)',
  },
  {
    id: 'safetensors/offsets-gap-between',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.gapBetween, 26),
    expect: { code: 'safetensors_offsets_gap', offset: 8 + utf8(H.gapBetween).byteLength + 16 },
    source: 'scanner bypass: bytes hidden between tensors are read by no loader and seen by no tensor scanner',
  },
  {
    id: 'safetensors/offsets-begin-past-eof',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.beginPastEof, 16),
    expect: { code: 'safetensors_offsets_gap', offset: 8 + utf8(H.beginPastEof).byteLength + 16 },
    source: 'fuzz find',
    note: 'The gap error used to carry the offset the tensor claims (byte ~5000 of a 140-byte file); it now points at the first uncovered byte.',
  },
  {
    id: 'safetensors/offsets-overlap',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.overlap, 16),
    expect: { code: 'safetensors_offsets_overlap', offset: 8 + utf8(H.overlap).byteLength + 10 },
    source: 'spec rule: tensor.rs validate — tensors do not overlap (InvalidOffset)',
  },
  {
    id: 'safetensors/two-tensors-alias-one-range',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.aliased, 16),
    expect: { code: 'safetensors_offsets_overlap', offset: 8 + utf8(H.aliased).byteLength },
    source: 'scanner bypass: two names for the same bytes, so editing one silently edits the other',
  },

  // ── safetensors: the data section ─────────────────────────────────────────
  {
    id: 'safetensors/truncated-at-data-start',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, VALID_DATA_START),
    expect: { code: 'truncated', offset: VALID_DATA_START },
    source: 'spec rule: tensor.rs validate — the data section holds every tensor (MetadataIncompleteBuffer)',
  },
  {
    id: 'safetensors/truncated-inside-tensor',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, VALID_DATA_START + 10),
    expect: { code: 'truncated', offset: VALID_DATA_START },
    source: 'spec rule: tensor.rs validate — the data section holds every tensor (MetadataIncompleteBuffer)',
  },
  {
    id: 'safetensors/truncated-last-byte',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => valid().subarray(0, VALID_DATA_START + VALID_DATA - 1),
    expect: { code: 'truncated', offset: VALID_DATA_START + 16 },
    source: 'spec rule: tensor.rs validate — the data section holds every tensor (MetadataIncompleteBuffer)',
  },
  {
    id: 'safetensors/trailing-byte',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(valid(), new Uint8Array([0])),
    expect: { code: 'safetensors_incomplete_buffer', offset: VALID_DATA_START + VALID_DATA },
    source: 'spec rule: tensor.rs validate — the last tensor ends at the end of the file (MetadataIncompleteBuffer)',
  },
  {
    id: 'safetensors/polyglot-zip-appended',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => concat(valid(), tinyZip()),
    expect: { code: 'safetensors_incomplete_buffer', offset: VALID_DATA_START + VALID_DATA },
    source: 'scanner bypass: a safetensors+ZIP polyglot — safetensors loaders ignore the tail, ZIP tools (and torch.load) read only it',
  },

  // ── safetensors: __metadata__ (tensor.rs Metadata: HashMap<String, String>) ──
  {
    id: 'safetensors/metadata-number-value',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.metaNumber, 16),
    expect: { code: 'safetensors_bad_metadata', offset: at(H.metaNumber, '"__metadata__"') },
    source: 'spec rule: tensor.rs — __metadata__ is a map of strings to strings',
  },
  {
    id: 'safetensors/metadata-array',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.metaArray, 16),
    expect: { code: 'safetensors_bad_metadata', offset: at(H.metaArray, '"__metadata__"') },
    source: 'spec rule: tensor.rs — __metadata__ is a map of strings to strings',
  },
  {
    id: 'safetensors/metadata-nested-object',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.metaNested, 16),
    expect: { code: 'safetensors_bad_metadata', offset: at(H.metaNested, '"__metadata__"') },
    source: 'spec rule: tensor.rs — __metadata__ is a map of strings to strings',
  },

  // ── safetensors: hostile structure ────────────────────────────────────────
  {
    id: 'safetensors/entry-is-a-list',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.entryList, 16),
    expect: { code: 'safetensors_bad_entry', offset: at(H.entryList, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo is an object {dtype, shape, data_offsets}',
  },
  {
    id: 'safetensors/entry-missing-dtype',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.missingDtype, 16),
    expect: { code: 'safetensors_bad_entry', offset: at(H.missingDtype, '"a"') },
    source: 'spec rule: tensor.rs TensorInfo — dtype is required',
  },
  {
    id: 'safetensors/proto-key-smuggles-dtype',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.protoDtype, 16),
    expect: { code: 'safetensors_bad_entry', offset: at(H.protoDtype, '"a"') },
    source: 'scanner bypass: prototype pollution — a naive JS reader lets "__proto__" supply the missing dtype (CVE-2019-10744 class)',
  },
  {
    id: 'safetensors/proto-tensor-name-twice',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.protoTwice, 22),
    expect: { code: 'json_duplicate_key', offset: at(H.protoTwice, '"__proto__"', 2) },
    source: 'scanner bypass: "__proto__" is a plain key to JSON.parse but a setter to object literals; duplicates must still be caught',
  },
  {
    id: 'safetensors/tensor-name-too-long',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.longName, 16),
    expect: { code: 'safetensors_bad_entry', offset: 8 + 1 },
    source: 'spec rule: limits.ts MAX_TENSOR_NAME_LENGTH = 4096 (memory blow-up in every table that shows names)',
  },
  {
    id: 'safetensors/deep-nesting-arrays',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.deepArrays, 0),
    // Root object depth 1, __metadata__ object depth 2: the 63rd "[" is depth 65.
    expect: { code: 'json_too_deep', offset: at(H.deepArrays, '[') + 62 },
    source: 'spec rule: limits.ts MAX_JSON_DEPTH = 64 — stack exhaustion by nesting (CWE-674)',
  },
  {
    id: 'safetensors/deep-nesting-objects',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => st(H.deepObjects, 0),
    expect: { code: 'json_too_deep', offset: 8 + 64 * 5 },
    source: 'spec rule: limits.ts MAX_JSON_DEPTH = 64 — stack exhaustion by nesting (CWE-674)',
  },
  {
    id: 'safetensors/ten-thousand-tiny-tensors',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => manyTinyTensors(10_000),
    expect: { code: 'truncated' },
    source: 'spec rule: limits.ts MAX_TENSORS_PER_FILE — validation stays linear in the tensor count',
    oversize: 'linearity needs many tensors: a 600 kB header of 10,000 entries',
  },
  {
    id: 'safetensors/million-tiny-tensors',
    format: 'safetensors',
    name: 'model.safetensors',
    build: () => manyTinyTensors(1_000_000),
    expect: { code: 'json_too_large' },
    source: 'spec rule: limits.ts MAX_TENSORS_PER_FILE = 65,536; a 64 MB header (under the 100 MB cap) of 10^6 entries is refused at the first entry past it',
    // Reading and decoding 64 MB of header text comes first (~0.3 s), whatever the cap.
    budgetMs: 3_000,
    oversize: 'a 64 MB header of 10^6 entries, past MAX_TENSORS_PER_FILE',
  },

  // ── sharded checkpoints (transformers' model.safetensors.index.json) ─────────
  {
    id: 'safetensors-index/missing-shard',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'ms.x': SHARD1, 'ms.y': SHARD2 }),
    siblings: () => ({ [SHARD1]: shard(['ms.x']) }),
    expect: { code: 'index_missing_shard' },
    source: 'spec rule: transformers modeling_utils — every shard the weight_map names must be present',
  },
  {
    id: 'safetensors-index/tensor-in-wrong-shard',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'ws.x': SHARD2, 'ws.y': SHARD1, 'ws.z': SHARD2 }),
    siblings: () => ({ [SHARD1]: shard(['ws.x', 'ws.y']), [SHARD2]: shard(['ws.z']) }),
    expect: { code: 'index_tensor_missing', alsoCodes: ['index_tensor_unlisted'] },
    source: 'spec rule: transformers load_state_dict — a tensor is read from the shard the index names',
  },
  {
    id: 'safetensors-index/tensor-in-two-shards',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'ts.x': SHARD1, 'ts.y': SHARD1, 'ts.z': SHARD2 }),
    siblings: () => ({ [SHARD1]: shard(['ts.x', 'ts.y']), [SHARD2]: shard(['ts.x', 'ts.z']) }),
    expect: { code: 'duplicate_tensor', file: SHARD2, alsoCodes: ['index_tensor_unlisted'] },
    source: 'scanner bypass: a second copy of a tensor in another shard; which one loads depends on the loader',
  },
  {
    id: 'safetensors-index/unlisted-tensor',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'ul.x': SHARD1 }),
    siblings: () => ({ [SHARD1]: shard(['ul.x', 'ul.extra']) }),
    expect: { code: 'index_tensor_unlisted', file: SHARD1 },
    source: 'scanner bypass: a tensor the index does not list is skipped by index-driven tools yet loaded by others',
  },
  {
    id: 'safetensors-index/shard-is-lfs-pointer',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'lp.x': SHARD1 }),
    siblings: () => ({ [SHARD1]: utf8(LFS_POINTER) }),
    expect: { code: 'index_missing_shard', alsoCodes: ['git_lfs_pointer'] },
    source: 'spec rule: Git LFS pointer file (git-lfs docs/spec.md) in place of a shard',
  },
  {
    id: 'safetensors-index/path-traversal',
    format: 'safetensors-index',
    name: INDEX,
    build: () => index({ 'pt.x': '../../outside.safetensors' }),
    expect: { code: 'index_missing_shard' },
    source: 'scanner bypass: a weight_map entry that points outside the model folder',
  },
  {
    id: 'safetensors-index/json-syntax',
    format: 'safetensors-index',
    name: INDEX,
    build: () => utf8(INDEX_TEXT.trailingComma),
    expect: { code: 'json_syntax', offset: INDEX_TEXT.trailingComma.indexOf(',}') + 1 },
    source: 'spec rule: RFC 8259 §4 — no trailing comma in an object',
  },
  {
    id: 'safetensors-index/duplicate-weight-map-key',
    format: 'safetensors-index',
    name: INDEX,
    build: () => utf8(INDEX_TEXT.duplicate),
    expect: { code: 'json_duplicate_key', offset: at(INDEX_TEXT.duplicate, '"dk.x"', 2) - 8 },
    source: 'CVE-2017-12635',
  },
  {
    id: 'safetensors-index/no-weight-map',
    format: 'safetensors-index',
    name: INDEX,
    build: () => utf8('{"metadata": {"total_size": 0}}'),
    expect: { code: 'index_bad_weight_map' },
    source: 'spec rule: transformers — the index maps tensor names to shard files under "weight_map"',
  },
  {
    id: 'safetensors-index/weight-map-value-not-a-string',
    format: 'safetensors-index',
    name: INDEX,
    build: () => utf8('{"weight_map": {"x": 1}}'),
    expect: { code: 'index_bad_weight_map' },
    source: 'spec rule: transformers — the index maps tensor names to shard file names',
  },
  {
    id: 'safetensors-index/not-utf8',
    format: 'safetensors-index',
    name: INDEX,
    build: () => concat(utf8('{"weight_map": {"x'), new Uint8Array([0xc3, 0x28]), utf8('": "a.safetensors"}}')),
    expect: { code: 'json_not_utf8', offset: 0 },
    source: 'spec rule: RFC 8259 §8.1 — JSON exchanged between systems is UTF-8',
  },
];

export const CORPUS: readonly CorpusEntry[] = [...SAFETENSORS_ENTRIES, ...GGUF_ENTRIES, ...ZIP_ENTRIES, ...PYTORCH_ENTRIES, ...PICKLE_ENTRIES, ...NUMPY_ENTRIES];
