/**
 * Property-based fuzzing (fast-check): instead of mutating bytes, generate *structures* — GGUF
 * key-values and tensor infos with hostile counts and dims, pickle opcode programs, .npy headers,
 * ZIP member lists with lying sizes, torch state dicts with arbitrary views, safetensors headers,
 * tokenizer.json documents, JSON values — build their bytes with the same builders as the corpus,
 * and run each through the watchdog worker (tests/fuzz/pool.ts) against the properties of
 * tests/fuzz/targets.ts. fast-check shrinks any failure to a minimal structure. FUZZ_SEED pins the
 * generator seed (printed on failure by fast-check).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32, utf8 } from '../../corpus/builders/bytes.ts';
import { npy } from '../../corpus/builders/numpy.ts';
import { asm, stateDictPickle, type PickleAsm } from '../../corpus/builders/pickle.ts';
import { torchZip } from '../../corpus/builders/torch.ts';
import { buildZip, type ZipMember } from '../../corpus/builders/zip.ts';
import { buildGguf, type GgufValueInput } from '../../fixtures/gguf-builder.ts';
import { assemble } from '../../fixtures/safetensors-builder.ts';
import { parseStrictJson } from '../../../src/lib/formats/strict-json.ts';
import { FuzzPool } from '../../fuzz/pool.ts';
import type { TargetName } from '../../fuzz/targets.ts';

const SEED = process.env['FUZZ_SEED'] === undefined ? 424242 : Number(process.env['FUZZ_SEED']);
const RUNS = 150;

let pool: FuzzPool;
beforeAll(() => {
  pool = new FuzzPool({ workers: 1, timeoutMs: 10_000 });
});
afterAll(async () => {
  await pool.close();
});

/** Runs bytes through the watchdog for each target; the property holds when no case breaks any rule. */
async function holds(bytes: Uint8Array, targets: readonly [TargetName, string][]): Promise<void> {
  for (const [target, name] of targets) {
    const r = await pool.run(target, bytes, name);
    expect(r.violations, `${target}: ${r.status}`).toEqual([]);
    expect(['ok', 'input-error'], target).toContain(r.status);
    // 250 ms is the per-case budget (tests/unit/fuzz/fuzz-ci.test.ts); here a single wall-clock
    // sample on a shared machine, so only gross slowness fails.
    expect(r.ms, `${target}: ${r.ms.toFixed(0)} ms`).toBeLessThan(1000);
  }
}

const opts = (): fc.Parameters<unknown> => ({ numRuns: RUNS, seed: SEED, endOnFailure: false });

// ── generators ────────────────────────────────────────────────────────────────
const u64Edge = fc.constantFrom(0n, 1n, 4n, 31n, 32n, 255n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, 1n << 53n, (1n << 62n) + 4n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n);
const smallOrEdge = fc.oneof(fc.bigInt({ min: 0n, max: 64n }), u64Edge);

const ggufScalar: fc.Arbitrary<GgufValueInput> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((value): GgufValueInput => ({ type: 'u8', value })),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value): GgufValueInput => ({ type: 'i32', value })),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((value): GgufValueInput => ({ type: 'u32', value })),
  fc.double().map((value): GgufValueInput => ({ type: 'f64', value })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): GgufValueInput => ({ type: 'u64', value })),
  fc.integer({ min: 0, max: 3 }).map((value): GgufValueInput => ({ type: 'bool', value })),
  fc.string({ unit: 'binary', maxLength: 12 }).map((value): GgufValueInput => ({ type: 'str', value })),
  fc.uint8Array({ maxLength: 12 }).map((value): GgufValueInput => ({ type: 'str', value })),
  fc.record({ typeId: fc.integer({ min: 0, max: 20 }), bytes: fc.uint8Array({ maxLength: 16 }) }).map((r): GgufValueInput => ({ type: 'raw', ...r })),
);
const ggufValue: fc.Arbitrary<GgufValueInput> = fc.letrec<{ v: GgufValueInput }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ggufScalar,
    fc.record({ items: fc.array(tie('v'), { maxLength: 4 }), lengthOverride: fc.option(smallOrEdge, { nil: undefined }), elementType: fc.constantFrom('u8' as const, 'str' as const, 'arr' as const, 'u64' as const, 'bool' as const) }).map(
      (r): GgufValueInput => (r.lengthOverride === undefined ? { type: 'arr', elementType: r.elementType, items: r.items } : { type: 'arr', elementType: r.elementType, items: r.items, lengthOverride: r.lengthOverride }),
    ),
  ),
})).v;
const ggufSpec = fc.record({
  version: fc.constantFrom(1, 2, 3, 3, 4),
  bigEndian: fc.boolean(),
  // The builder pads with this (it must be > 0); hostile alignments come through the general.alignment key-value.
  alignment: fc.constantFrom(1, 8, 32, 32, 64, 48),
  kvs: fc.array(fc.record({ key: fc.oneof(fc.constantFrom('general.architecture', 'general.alignment', 'tokenizer.ggml.tokens', 'llama.block_count', 'llama.attention.head_count'), fc.string({ maxLength: 8 })), value: ggufValue }), { maxLength: 5 }),
  tensors: fc.array(
    fc.record({
      name: fc.oneof(fc.constantFrom('token_embd.weight', 'blk.0.attn_q.weight', 'blk.0.attn_k.weight', 'output.weight'), fc.string({ maxLength: 70 })),
      ne: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }).map(BigInt), u64Edge), { minLength: 0, maxLength: 5 }),
      type: fc.oneof(fc.constantFrom('F32' as const, 'F16' as const, 'Q8_0' as const, 'Q4_K' as const, 'BF16' as const), fc.integer({ min: 0, max: 50 })),
      offset: fc.option(smallOrEdge, { nil: undefined }),
      nDims: fc.option(fc.constantFrom(0, 1, 4, 5, 0xffffffff), { nil: undefined }),
      // An explicit small payload: the builder would otherwise write the bytes the dims imply.
      data: fc.uint8Array({ maxLength: 96 }),
    }),
    { maxLength: 4 },
  ),
  tensorCountOverride: fc.option(smallOrEdge, { nil: undefined }),
  kvCountOverride: fc.option(smallOrEdge, { nil: undefined }),
  cut: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
});

/** One pickle instruction; a program is a list of them. */
const pickleOp: fc.Arbitrary<(p: PickleAsm) => PickleAsm> = fc.oneof(
  fc.constantFrom(
    (p: PickleAsm) => p.mark(),
    (p: PickleAsm) => p.stop(),
    (p: PickleAsm) => p.none(),
    (p: PickleAsm) => p.pop(),
    (p: PickleAsm) => p.popMark(),
    (p: PickleAsm) => p.dup(),
    (p: PickleAsm) => p.reduce(),
    (p: PickleAsm) => p.build(),
    (p: PickleAsm) => p.newobj(),
    (p: PickleAsm) => p.newobjEx(),
    (p: PickleAsm) => p.obj(),
    (p: PickleAsm) => p.tupleMark(),
    (p: PickleAsm) => p.tuple(0),
    (p: PickleAsm) => p.tuple(2),
    (p: PickleAsm) => p.emptyList(),
    (p: PickleAsm) => p.emptyDict(),
    (p: PickleAsm) => p.append(),
    (p: PickleAsm) => p.appends(),
    (p: PickleAsm) => p.setitem(),
    (p: PickleAsm) => p.setitems(),
    (p: PickleAsm) => p.memoize(),
    (p: PickleAsm) => p.binpersid(),
    (p: PickleAsm) => p.raw(0x93),
    (p: PickleAsm) => p.global('posix', 'system'),
    (p: PickleAsm) => p.global('collections', 'OrderedDict'),
    (p: PickleAsm) => p.global('torch._utils', '_rebuild_tensor_v2'),
    (p: PickleAsm) => p.global('torch', 'FloatStorage'),
    (p: PickleAsm) => p.inst('subprocess', 'Popen'),
    (p: PickleAsm) => p.tensor({ key: '0', numel: 4, size: [2, 2], stride: [2, 1] }),
  ),
  fc.integer({ min: 0, max: 6 }).map((n) => (p: PickleAsm) => p.proto(n)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => (p: PickleAsm) => p.int(n)),
  fc.string({ maxLength: 10 }).map((s) => (p: PickleAsm) => p.str(s)),
  fc.constantFrom('0', '1', '00', '-5', '0x10', 'abc', '9'.repeat(5000)).map((s) => (p: PickleAsm) => p.int0(s)),
  fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(255, 256, 70000, 0xfffffffe)).map((i) => (p: PickleAsm) => p.put(i)),
  fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(255, 256, 0xffffffff)).map((i) => (p: PickleAsm) => p.get(i)),
  fc.integer({ min: 0, max: 255 }).map((b) => (p: PickleAsm) => p.raw(b)),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((b) => (p: PickleAsm) => p.long1(b)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => (p: PickleAsm) => p.frame(Number(n & 0xfffffn))),
  fc.integer({ min: 0, max: 255 }).map((c) => (p: PickleAsm) => p.ext1(c)),
);

describe('property-based fuzzing through the watchdog', () => {
  it('GGUF: any key-values, tensor infos, counts, versions and cut points', async () => {
    await fc.assert(
      fc.asyncProperty(ggufSpec, async (s) => {
        const built = buildGguf({
          version: s.version,
          bigEndian: s.bigEndian,
          ...(s.alignment === 32 ? {} : { alignment: s.alignment }),
          kvs: s.kvs,
          tensors: s.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type, data: t.data, ...(t.offset === undefined ? {} : { offset: t.offset }), ...(t.nDims === undefined ? {} : { nDims: t.nDims }) })),
          ...(s.tensorCountOverride === undefined ? {} : { tensorCountOverride: s.tensorCountOverride }),
          ...(s.kvCountOverride === undefined ? {} : { kvCountOverride: s.kvCountOverride }),
        }).bytes;
        await holds(s.cut === undefined ? built : built.subarray(0, s.cut), [['gguf', 'model.gguf'], ['loader', 'model.gguf']]);
      }),
      opts(),
    );
  }, 120_000);

  it('pickle: any opcode program (protocols 0-6, globals, memo, persistent ids)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pickleOp, { maxLength: 40 }), fc.boolean(), async (ops, stop) => {
        const p = asm();
        for (const op of ops) op(p);
        if (stop) p.stop();
        const bytes = p.bytesOut();
        await holds(bytes, [['pickle', 'model.pkl'], ['torch', 'model.pkl'], ['loader', 'model.pkl']]);
      }),
      opts(),
    );
  }, 120_000);

  it('.npy: any header dict, version, declared length and data length', async () => {
    const literal = fc.oneof(fc.constantFrom("'<f4'", "'|O'", "'>f8'", "'<f3'", "'|V2'", "[('a', '<f4')]", 'True', 'None', '(2,)', '(-1,)', '()', `(${'1,'.repeat(40)})`, '(4294967296, 4294967296)', "__import__('os')"), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          dict: fc.oneof(
            fc.tuple(literal, literal, literal).map(([d, f, s]) => `{'descr': ${d}, 'fortran_order': ${f}, 'shape': ${s}, }`),
            fc.string({ maxLength: 60 }),
          ),
          version: fc.constantFrom<1 | 2 | 3 | readonly [number, number]>(1, 2, 3, [0, 0], [1, 1]),
          declaredLength: fc.option(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(0xffff, 0xffffffff)), { nil: undefined }),
          data: fc.uint8Array({ maxLength: 64 }),
        }),
        async (s) => {
          const bytes = npy({ dict: s.dict, version: s.version, data: s.data, ...(s.declaredLength === undefined ? {} : { declaredLength: s.declaredLength }) });
          await holds(bytes, [['npy', 'a.npy'], ['loader', 'a.npy']]);
        },
      ),
      opts(),
    );
  }, 120_000);

  it('ZIP/npz/torch: any member list with lying sizes, methods, flags, offsets and end records', async () => {
    const member: fc.Arbitrary<ZipMember> = fc
      .record({
        name: fc.constantFrom('archive/data.pkl', 'archive/data/0', 'archive/byteorder', 'w.npy', '../x', 'a'.repeat(300), ''),
        data: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(stateDictPickle([['w', (p) => p.tensor({ key: '0', numel: 2, size: [2], stride: [1] })]]).stop().bytesOut()), fc.constant(npy({ descr: '<f4', shape: '(2,)', data: f32(1, 2) }))),
        method: fc.constantFrom(0, 0, 8, 12),
        declaredSize: fc.option(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom(0xffffffff, 2 ** 40)), { nil: undefined }),
        flags: fc.constantFrom(0, 0, 1, 0x40),
        descriptor: fc.boolean(),
        align: fc.constantFrom(0, 64),
        localHeaderOf: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      })
      .map((m) => {
        const out: ZipMember = { name: m.name, data: m.data, method: m.method, flags: m.flags, descriptor: m.descriptor, align: m.align };
        if (m.declaredSize !== undefined) out.declaredSize = m.declaredSize;
        if (m.localHeaderOf !== undefined) out.localHeaderOf = m.localHeaderOf;
        return out;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.array(member, { maxLength: 4 }),
        fc.record({ zip64: fc.boolean(), comment: fc.string({ maxLength: 8 }), entryCount: fc.option(smallOrEdge, { nil: undefined }), trailing: fc.uint8Array({ maxLength: 8 }) }),
        async (members, spec) => {
          const safe = members.map((m) => (m.localHeaderOf !== undefined && m.localHeaderOf >= members.length ? { ...m, localHeaderOf: 0 } : m));
          const bytes = buildZip(safe, { zip64: spec.zip64, comment: spec.comment, trailing: spec.trailing, ...(spec.entryCount === undefined ? {} : { entryCount: spec.entryCount }) }).bytes;
          await holds(bytes, [['zip', 'a.zip'], ['torch', 'model.pt'], ['npz', 'a.npz'], ['loader', 'model.pt']]);
        },
      ),
      opts(),
    );
  }, 120_000);

  it('torch checkpoints: state dicts with any size, stride, offset, numel and storage lengths', async () => {
    const dims = fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(2 ** 31 - 1, 2 ** 30)), { maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: dims, stride: dims, offset: fc.integer({ min: 0, max: 20 }), numel: fc.integer({ min: 0, max: 40 }), key: fc.constantFrom('0', '1', '9'), storage: fc.constantFrom('FloatStorage', 'HalfStorage', 'BFloat16Storage', 'UntypedStorage', 'NoSuchStorage') }), { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 2, maxLength: 2 }),
        async (tensors, lengths) => {
          const pkl = stateDictPickle(tensors.map((t, i) => [`t${i}`, (p: PickleAsm) => p.tensor(t)] as const)).stop().bytesOut();
          const bytes = torchZip({ dataPkl: pkl, storages: { '0': new Uint8Array(lengths[0] ?? 0), '1': new Uint8Array(lengths[1] ?? 0) } }).bytes;
          await holds(bytes, [['torch', 'model.pt'], ['loader', 'model.pt']]);
        },
      ),
      opts(),
    );
  }, 120_000);

  it('safetensors: any header object (dtypes, shapes, offsets, metadata) over any data length', async () => {
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'U8', 'F4', 'F8_E4M3', 'Q4_0'), fc.string({ maxLength: 5 })),
      shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(-1, 2 ** 53, 2 ** 62)), { maxLength: 4 }),
      data_offsets: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(-1, 2 ** 53 + 1)), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }))), { maxKeys: 4 }), fc.integer({ min: 0, max: 80 }), async (header, dataLength) => {
        const bytes = assemble(JSON.stringify(header), [new Uint8Array(dataLength)], false);
        await holds(bytes, [['safetensors', 'model.safetensors'], ['loader', 'model.safetensors']]);
      }),
      opts(),
    );
  }, 120_000);

  it('tokenizer.json: any model type, vocabulary, merges and added tokens', async () => {
    const vocab = fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer({ min: -2, max: 20 }), fc.string({ maxLength: 2 }), fc.constant(null))), fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.double()), { maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          model: fc.oneof(fc.record({ type: fc.constantFrom('BPE', 'WordPiece', 'Unigram', 'WordLevel', 'Nope'), vocab, merges: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 2 }), { maxLength: 3 })), { maxLength: 5 }) }), fc.constant(null)),
          added_tokens: fc.array(fc.record({ id: fc.oneof(fc.integer({ min: -1, max: 30 }), fc.constant(2 ** 40)), content: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), special: fc.boolean() }), { maxLength: 4 }),
        }),
        async (doc) => {
          await holds(utf8(JSON.stringify(doc)), [['tokenizer-json', 'tokenizer.json']]);
        },
      ),
      opts(),
    );
  }, 120_000);

  it('strict JSON: any text is parsed or rejected with a catalogued code, in the watchdog', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 40 }), fc.json().map((j) => `${j}${j}`)), async (text) => {
        await holds(utf8(text), [['strict-json', 'x.json']]);
      }),
      opts(),
    );
  }, 120_000);

  it('strict JSON agrees with JSON.parse on every document without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const text = JSON.stringify(v);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500, seed: SEED },
    );
  });
});
