import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { disassemblePickle, scanPickle, scanPickleStream, type PickleScan } from '../../../../src/lib/formats/pickle/scan-pickle.ts';
import { latin1, type PValue } from '../../../../src/lib/formats/pickle/values.ts';
import { generate } from '../pytorch/generate.ts';
import { pk } from './pickle-builder.ts';

/** The JSON normal form of tests/fixtures/torch/make_pickle_corpus.py. */
function normalise(v: PValue): unknown {
  switch (v.t) {
    case 'none':
      return null;
    case 'bool':
      return v.v;
    case 'int':
      return typeof v.v === 'bigint' ? { int: v.v.toString() } : v.v;
    case 'float':
      return Number.isNaN(v.v) ? { float: 'nan' } : v.v === Infinity ? { float: 'inf' } : v.v === -Infinity ? { float: '-inf' } : v.v;
    case 'str':
      return v.v;
    case 'bytes':
      return { bytes: Array.from(v.data ?? [], (b) => b.toString(16).padStart(2, '0')).join('') };
    case 'list':
      return v.items.map(normalise);
    case 'tuple':
      return { tuple: v.items.map(normalise) };
    case 'dict':
      return { dict: v.entries.map(([k, x]) => [normalise(k), normalise(x)]) };
    case 'set':
      return { set: v.items.map(normalise), frozen: v.frozen };
    case 'object':
      return { call: v.callee.t === 'global' ? `${v.callee.module}.${v.callee.name}` : '?', args: v.args.map(normalise), ...(v.entries ? { entries: v.entries.map(([k, x]) => [normalise(k), normalise(x)]) } : {}) };
    default:
      return `<${v.t}>`;
  }
}

const corpus = generate('make_pickle_corpus.py', ['python3', '/usr/bin/python3']);
afterAll(() => {
  if ('cleanup' in corpus) corpus.cleanup();
});

describe.skipIf('skip' in corpus)('known answers: CPython pickles of every protocol', () => {
  if ('skip' in corpus) {
    console.warn(`SKIPPED known-answer pickle corpus: ${corpus.skip}`);
    return;
  }
  const { dir, expected } = corpus as { dir: string; expected: { files: Record<string, unknown>; ops: Record<string, [number, string][]> } };
  const files = readdirSync(dir).filter((f) => f.endsWith('.pkl')).sort();

  it('has the whole corpus (16 cases × protocols)', () => {
    expect(files.length).toBeGreaterThan(70);
  });

  it.each(files)('%s: value, disassembly, no anomalies', async (f) => {
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const { ops, scan } = await disassemblePickle(bytes);
    expect(scan.error).toBeUndefined();
    expect(scan.complete).toBe(true);
    expect(scan.anomalies).toEqual([]);
    expect(scan.endOffset).toBe(bytes.length);
    expect(ops.map((o) => [o.offset, o.name])).toEqual(expected.ops[f]);
    const again = await scanPickle(bytes);
    expect(again.root && normalise(again.root)).toEqual(expected.files[f]);
  });

  it('reads the same from a file range as from bytes (windowed input)', async () => {
    for (const f of files.filter((x) => x.startsWith('lists') || x.startsWith('dicts'))) {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      const padded = new Uint8Array(bytes.length + 7);
      padded.set(bytes, 7);
      const fromSource = await scanPickle({ source: new MemorySource(f, padded), offset: 7 });
      const fromBytes = await scanPickle(bytes, { baseOffset: 7 });
      expect(fromSource.root && normalise(fromSource.root)).toEqual(fromBytes.root && normalise(fromBytes.root));
      expect(fromSource.endOffset).toBe(fromBytes.endOffset);
    }
  });
});

describe('globals, calls and offsets', () => {
  it('reports GLOBAL, STACK_GLOBAL (also from memoized strings) and INST with byte offsets', async () => {
    // proto 4: STACK_GLOBAL of two memoized strings, read back through BINGET.
    const b = pk().proto(4).str('posix').put(0).str('system').put(1).get(0).get(1).raw(0x93).str('id').tuple(1).reduce();
    const instAt = b.bytes().length;
    b.mark().str('ls').raw('i', 'subprocess\ncall\n').raw('0').stop();
    const bytes = b.bytes();
    const scan = await scanPickle(bytes, { baseOffset: 1000 });
    expect(scan.complete).toBe(true);
    expect(scan.globals).toEqual([
      { module: 'posix', name: 'system', offset: 1000 + 25, opcode: 'STACK_GLOBAL' },
      { module: 'subprocess', name: 'call', offset: 1000 + instAt + 5, opcode: 'INST' },
    ]);
    expect(scan.calls.map((c) => `${c.callee}${c.args}`)).toEqual(['posix.system("id",)', 'subprocess.call("ls",)']);
  });

  it('keeps every global seen before a fatal error', async () => {
    const bytes = pk().proto(2).global('os', 'system').global('builtins', 'eval').raw(0xff).global('never', 'reached').stop().bytes();
    const scan = await scanPickle(bytes);
    expect(scan.complete).toBe(false);
    expect(scan.error?.code).toBe('pickle_unknown_opcode');
    expect(scan.error?.offset).toBe(2 + 11 + 15);
    expect(scan.globals.map((g) => `${g.module}.${g.name}@${g.offset}`)).toEqual(['os.system@2', 'builtins.eval@13']);
    expect(scan.anomalies.map((a) => a.code)).toContain('scan-incomplete');
  });

  it('records BUILD as a __setstate__ call and NEWOBJ/OBJ as calls', async () => {
    const bytes = pk().proto(2).global('evil', 'Thing').tuple(0).raw(0x81).emptyDict().str('a').int(1).setitem().raw('b').stop().bytes();
    const scan = await scanPickle(bytes);
    expect(scan.calls.map((c) => [c.callee, c.how])).toEqual([
      ['evil.Thing', 'newobj'],
      ['evil.Thing.__setstate__', 'build'],
    ]);
    expect(scan.root?.t === 'object' && scan.root.state?.t).toBe('dict');
  });
});

describe('anomalies', () => {
  const codes = (s: PickleScan): string[] => s.anomalies.map((a) => a.code);

  it('stack left non-empty at STOP (modelscan unsafe_zip_pytorch)', async () => {
    const s = await scanPickle(pk().proto(2).global('posix', 'system').str('x').tuple(1).reduce().emptyDict().stop().bytes());
    expect(s.complete).toBe(true);
    expect(codes(s)).toEqual(['stack-not-empty']);
    expect(s.anomalies[0]?.message).toContain('posix.system');
  });
  it('missing STOP', async () => {
    const s = await scanPickle(pk().proto(2).none().bytes());
    expect(s.complete).toBe(false);
    expect(s.error?.code).toBe('pickle_truncated');
    expect(codes(s)).toContain('missing-stop');
  });
  it('opcodes after STOP', async () => {
    const s = await scanPickle(pk().proto(2).none().stop().global('os', 'system').stop().bytes());
    expect(codes(s)).toEqual(['opcodes-after-stop']);
    const all = await scanPickleStream(pk().proto(2).none().stop().global('os', 'system').stop().bytes(), { maxPickles: 10 });
    expect(all.flatMap((x) => x.globals.map((g) => g.name))).toEqual(['system']);
  });
  it('unknown opcode', async () => {
    const s = await scanPickle(Uint8Array.from([0x80, 2, 0xfe, 0x2e]));
    expect(s.error?.code).toBe('pickle_unknown_opcode');
    expect(s.error?.offset).toBe(2);
  });
  it('stack underflow, missing memo, EXT, duplicate keys, odd DICT, out-of-band buffer are reported and reading goes on', async () => {
    const bytes = pk()
      .proto(5)
      .reduce() // underflow
      .raw('0')
      .get(7) // missing memo
      .raw('0')
      .raw(0x82, 3) // EXT1
      .raw('0')
      .raw(0x97) // NEXT_BUFFER
      .raw('0')
      .emptyDict()
      .str('k')
      .int(1)
      .setitem()
      .str('k')
      .int(2)
      .setitem()
      .mark()
      .str('lonely')
      .raw('d')
      .raw('0')
      .global('after', 'all')
      .raw('0')
      .stop()
      .bytes();
    const s = await scanPickle(bytes);
    expect(s.complete).toBe(true);
    expect(new Set(codes(s))).toEqual(new Set(['stack-underflow', 'memo-missing', 'ext-opcode', 'out-of-band-buffer', 'duplicate-key', 'odd-dict-items']));
    expect(s.globals.map((g) => `${g.module}.${g.name}`)).toEqual(['copyreg._extension_registry[3]', 'after.all']);
  });
  it('protocol 0 text opcodes: INT booleans, LONG with L, STRING escapes, UNICODE escapes, PERSID, GET/PUT', async () => {
    const text = "(I01\nI00\nL123456789012345678901234567890L\nS'a\\'b\\x41\\n'\nVcaf\\u00e9 \\U0001f600\np0\ng0\nF2.5\nt.";
    const s = await scanPickle(new TextEncoder().encode(text));
    expect(s.error).toBeUndefined();
    expect(s.root && normalise(s.root)).toEqual({ tuple: [true, false, { int: '123456789012345678901234567890' }, "a'bA\n", 'café 😀', 'café 😀', 2.5] });
    const p = await scanPickle(new TextEncoder().encode('P0\n.'));
    expect(p.root?.t).toBe('persid');
    expect(codes(p)).toEqual(['non-storage-persistent-id']);
  });
  it('bad protocol-0 arguments fail with pickle_bad_argument', async () => {
    for (const text of ['Iabc\n.', "S'unterminated\n.", 'F1.2.3\n.', 'g-1\n.', "S'\\x4'\n."]) {
      const s = await scanPickle(new TextEncoder().encode(text));
      expect(s.error?.code, text).toBe('pickle_bad_argument');
    }
  });
  it('a PROTO above 5 is flagged (CPython refuses it)', async () => {
    const s = await scanPickle(Uint8Array.from([0x80, 9, 0x4e, 0x2e]));
    expect(codes(s)).toEqual(['unsupported-protocol']);
  });
});

describe('torch tensors and state-dict keys', () => {
  it('names tensors in nested dicts, lists, OrderedDict SETITEMS, and ignores _metadata', async () => {
    const b = pk().proto(2).emptyDict().str('state_dict').global('collections', 'OrderedDict').tuple(0).reduce().put(0);
    b.mark().str('layer.weight').tensor({ key: '0', numel: 6, size: [2, 3], stride: [3, 1] }).str('layer.bias').tensor({ key: '1', numel: 2, size: [2], stride: [1] }).raw('u');
    b.emptyDict().str('_metadata').emptyDict().setitem().raw('b'); // OrderedDict BUILD state: ignored
    b.setitem().str('heads').emptyList().tensor({ key: '2', numel: 4, size: [4], stride: [1], storage: 'HalfStorage' }).raw('a').setitem().stop();
    const s = await scanPickle(b.bytes());
    expect(s.anomalies).toEqual([]);
    expect(s.tensors.map((t) => t.name)).toEqual(['state_dict.layer.weight', 'state_dict.layer.bias', 'heads.0']);
    expect(s.tensors[2]?.tensor.storage).toMatchObject({ key: '2', storageType: 'HalfStorage', location: 'cpu', numel: 4 });
    expect(s.storages.length).toBe(3);
  });
  it('locates tensors left unreferenced on the stack or in the memo', async () => {
    const b = pk().proto(2).tensor({ key: '0', numel: 1, size: [1], stride: [1] }).put(0).raw('0').emptyDict().stop();
    const s = await scanPickle(b.bytes());
    expect(s.tensors.map((t) => t.name)).toEqual([expect.stringMatching(/^<unreferenced@\d+>$/)]);
    expect(s.anomalies.map((a) => a.code)).toEqual(['unreferenced-tensor']);
  });
  it('recognises _rebuild_tensor_v3 (UntypedStorage + dtype) and _rebuild_parameter', async () => {
    const b = pk().proto(2).emptyDict().str('p').global('torch._utils', '_rebuild_parameter').mark();
    b.global('torch._utils', '_rebuild_tensor_v3').mark();
    b.mark().str('storage').global('torch', 'UntypedStorage').str('0').str('cuda:0').int(8).raw('t').raw('Q');
    b.int(0).mark().int(4).raw('t').mark().int(1).raw('t').raw(0x88).global('collections', 'OrderedDict').tuple(0).reduce().global('torch', 'uint16').raw('t').reduce();
    b.raw(0x88).global('collections', 'OrderedDict').tuple(0).reduce().raw('t').reduce().setitem().stop();
    const s = await scanPickle(b.bytes());
    expect(s.tensors).toHaveLength(1);
    expect(s.tensors[0]?.name).toBe('p');
    expect(s.tensors[0]?.tensor).toMatchObject({ rebuild: 'torch._utils._rebuild_tensor_v3', dtypeName: 'uint16', parameter: true, requiresGrad: true, size: [4], stride: [1] });
    expect(s.tensors[0]?.tensor.storage).toMatchObject({ storageType: 'UntypedStorage', location: 'cuda:0', numel: 8 });
  });
  it('a tensor reached by two keys (tied weights) gets both names', async () => {
    const b = pk().proto(2).emptyDict().str('a').tensor({ key: '0', numel: 4, size: [4], stride: [1] }).put(9).setitem().str('b').get(9).setitem().stop();
    const s = await scanPickle(b.bytes());
    expect(s.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(s.tensors[0]?.tensor).toBe(s.tensors[1]?.tensor);
  });
  it('bad rebuild arguments are an anomaly, not a crash', async () => {
    const b = pk().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().str('not a storage').int(0).str('x').none().raw('t').reduce().stop();
    const s = await scanPickle(b.bytes());
    expect(s.complete).toBe(true);
    expect(s.anomalies.map((a) => a.code)).toContain('bad-tensor');
    expect(s.tensors[0]?.tensor.problem).toMatch(/persistent storage/);
  });
});

describe('caps: bombs fail fast with their code', () => {
  const fast = async (bytes: Uint8Array, limits?: Parameters<typeof scanPickle>[1]): Promise<{ s: PickleScan; ms: number }> => {
    const t0 = performance.now();
    const s = await scanPickle(bytes, limits);
    return { s, ms: performance.now() - t0 };
  };

  it('MARK bomb (20 MB of "(") → pickle_mark_too_deep', async () => {
    const bytes = new Uint8Array(20_000_000).fill(0x28);
    const { s, ms } = await fast(bytes);
    expect(s.error?.code).toBe('pickle_mark_too_deep');
    expect(ms).toBeLessThan(5000); // ~40 ms on an idle machine; generous for loaded CI runners
  });
  it('memo bomb (sequential MEMOIZE) → pickle_memo_too_large at the default cap', async () => {
    const n = 4_000_001;
    const bytes = new Uint8Array(n + 4);
    bytes.set([0x80, 4, 0x4e], 0);
    bytes.fill(0x94, 3, 3 + n);
    bytes[3 + n] = 0x2e;
    const { s, ms } = await fast(bytes);
    expect(s.error?.code).toBe('pickle_memo_too_large');
    expect(ms).toBeLessThan(20_000); // ~1–3 s: 4M entries are legal up to the cap
  });
  it('memo bomb at scattered indices → pickle_memo_too_large long before memory matters', async () => {
    const b = pk().proto(2).none();
    for (let i = 0; i < 70_000; i++) b.put(0x10000000 + i * 7);
    const { s } = await fast(b.stop().bytes());
    expect(s.error?.code).toBe('pickle_memo_too_large');
  });
  it('stack and opcode caps', async () => {
    const nones = new Uint8Array(5000).fill(0x4e);
    expect((await fast(nones, { limits: { stack: 1000 } })).s.error?.code).toBe('pickle_stack_too_deep');
    const churn = new Uint8Array(10_000);
    for (let i = 0; i < churn.length; i += 2) churn.set([0x4e, 0x30], i);
    expect((await fast(churn, { limits: { opcodes: 1000 } })).s.error?.code).toBe('pickle_too_many_opcodes');
  });
  it('deep nesting (400k nested lists) is read, named shallowly, and never overflows the JS stack', async () => {
    const n = 400_000;
    const bytes = new Uint8Array(2 + n + (n - 1) + 1);
    bytes.set([0x80, 2]);
    bytes.fill(0x5d, 2, 2 + n);
    bytes.fill(0x61, 2 + n, 2 + n + n - 1);
    bytes[bytes.length - 1] = 0x2e;
    const { s, ms } = await fast(bytes);
    expect(s.complete).toBe(true);
    expect(ms).toBeLessThan(10_000);
  });
  it('billion laughs through the memo is cut by the walk budget', async () => {
    const b = pk().proto(2).tensor({ key: '0', numel: 1, size: [1], stride: [1] }).put(0);
    for (let i = 1; i <= 40; i++) b.raw('0').emptyList().get(i - 1).raw('a').get(i - 1).raw('a').put(i);
    const { s, ms } = await fast(b.stop().bytes(), { limits: { walkNodes: 100_000 } });
    expect(s.anomalies.map((a) => a.code)).toContain('walk-limit');
    expect(ms).toBeLessThan(10_000);
  });
  it('a list containing itself terminates', async () => {
    const s = await scanPickle(pk().proto(2).emptyList().put(0).get(0).raw('a').stop().bytes());
    expect(s.complete).toBe(true);
  });
  it('declared lengths beyond the input are truncation, never allocation', async () => {
    const huge8 = Uint8Array.from([0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x2e]);
    expect((await scanPickle(huge8)).error?.code).toBe('pickle_truncated');
    const long4 = Uint8Array.from([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x2e]);
    expect((await scanPickle(long4)).error?.code).toBe('pickle_truncated');
    const neg = Uint8Array.from([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0xff, 0x2e]);
    expect((await scanPickle(neg)).error?.code).toBe('pickle_bad_argument');
  });
  it('large payloads are skipped, not kept', async () => {
    const n = 3 * 1024 * 1024;
    const bytes = new Uint8Array(3 + 8 + n + 1);
    bytes.set([0x80, 4, 0x8e]);
    new DataView(bytes.buffer).setBigUint64(3, BigInt(n), true);
    bytes[bytes.length - 1] = 0x2e;
    const s = await scanPickle({ source: new MemorySource('big.pkl', bytes), offset: 0 });
    expect(s.complete).toBe(true);
    expect(s.root).toMatchObject({ t: 'bytes', byteLength: n, offset: 11 });
    expect(s.root?.t === 'bytes' && s.root.data).toBeUndefined();
  });
  it('truncated at every byte: a result with a code, never a throw', async () => {
    const whole = pk().proto(2).emptyDict().str('w').tensor({ key: '0', numel: 6, size: [2, 3], stride: [3, 1] }).setitem().stop().bytes();
    for (let n = 0; n < whole.length; n++) {
      const s = await scanPickle(whole.subarray(0, n));
      expect(s.complete).toBe(false);
      expect(['pickle_truncated', 'pickle_empty']).toContain(s.error?.code);
    }
    expect((await scanPickle(whole)).complete).toBe(true);
  });
  it('random bytes never throw', async () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let k = 0; k < 300; k++) {
      const bytes = Uint8Array.from({ length: 1 + (rnd() % 200) }, () => rnd() & 0xff);
      const s = await scanPickle(bytes);
      expect(s.error === undefined || s.error.kind === 'input').toBe(true);
    }
  });
});

describe('helpers', () => {
  it('latin1 survives large buffers', () => {
    expect(latin1(new Uint8Array(100_000).fill(0x41)).length).toBe(100_000);
  });
});

describe('caps on what a value graph may hold', () => {
  it('appending millions of values to one list → pickle_too_large', async () => {
    const n = 2_000_000;
    const bytes = new Uint8Array(3 + 2 * n + 1);
    bytes.set([0x80, 2, 0x5d]);
    for (let i = 0; i < n; i++) bytes.set([0x4e, 0x61], 3 + 2 * i);
    bytes[bytes.length - 1] = 0x2e;
    const s = await scanPickle(bytes, { limits: { items: 1_000_000 } });
    expect(s.error?.code).toBe('pickle_too_large');
  });
  it('millions of imports: listed up to the cap, then a high anomaly', async () => {
    const b = pk().proto(2);
    for (let i = 0; i < 300; i++) b.global('m', `n${i}`).raw('0');
    const s = await scanPickle(b.none().stop().bytes(), { limits: { globalsListed: 100 } });
    expect(s.globals.length).toBe(101);
    expect(s.anomalies.map((a) => `${a.severity}:${a.code}`)).toContain('high:too-many-globals');
  });
});
