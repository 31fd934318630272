/**
 * Seed corpora for the fuzzers, per target:
 * - every bad-input corpus entry (tests/corpus/manifest.ts): each file, routed by its name and
 *   first bytes to the targets that read it;
 * - valid files from the fixture builders (tests/fixtures/*-builder.ts, tests/corpus/builders):
 *   every GGUF value type and version, torch zip/legacy/TorchScript-like checkpoints, pickles of
 *   every protocol, .npy/.npz variants, tokenizer.json and config JSON;
 * - the real files in /work/shared/real-models (SLEUTH_REAL_MODELS overrides the folder), when
 *   present — skipped visibly (see `realModelsStatus`) when not;
 * - the data.pkl of every ZIP seed, as a pickle seed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORPUS } from '../corpus/manifest.ts';
import { concat, f32, utf8 } from '../corpus/builders/bytes.ts';
import { npy } from '../corpus/builders/numpy.ts';
import { asm, stateDictPickle } from '../corpus/builders/pickle.ts';
import { legacyKeysPickle, legacyTensor, torchLegacy, torchZip } from '../corpus/builders/torch.ts';
import { buildZip } from '../corpus/builders/zip.ts';
import { buildGguf, kv } from '../fixtures/gguf-builder.ts';
import { gpt2Config, qwen2Config } from '../fixtures/hf/models.ts';
import { buildSafetensors, f16Bytes } from '../fixtures/safetensors-builder.ts';
import { byteLevelTokenizerJson } from '../fixtures/tokenizer.ts';
import { readZipDirectory, readZipMember } from '../../src/lib/formats/zip/read-zip.ts';
import { MemorySource } from '../../src/lib/io/byte-source.ts';
import { TARGETS, type TargetName } from './targets.ts';

export interface Seed {
  /** File name (the loader target saves the bytes under it). */
  name: string;
  bytes: Uint8Array;
  origin: string;
}

export const REAL_MODELS_DIR = process.env['SLEUTH_REAL_MODELS'] ?? '/work/shared/real-models';

export function realModelsStatus(): string {
  return existsSync(REAL_MODELS_DIR) ? `real models: ${REAL_MODELS_DIR}` : `real models: SKIPPED (${REAL_MODELS_DIR} is absent)`;
}

/** Targets that read a file of this name and content. */
export function targetsOf(name: string, bytes: Uint8Array): TargetName[] {
  const n = name.toLowerCase();
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (n.endsWith('.safetensors')) return ['safetensors', 'loader'];
  if (n.endsWith('.gguf')) return ['gguf', 'loader'];
  if (n.endsWith('.npy')) return ['npy', 'loader'];
  if (n.endsWith('.npz')) return ['npz', 'zip', 'loader'];
  if (/\.(pt|pth|bin|ckpt|pkl|pickle)$/.test(n)) return zip ? ['torch', 'zip', 'loader'] : ['torch', 'pickle', 'loader'];
  if (n.endsWith('tokenizer.json')) return ['tokenizer-json', 'strict-json'];
  if (n.endsWith('.json')) return ['strict-json'];
  return [];
}

/** Valid files from the builders. */
function builtSeeds(): Seed[] {
  const out: Seed[] = [];
  const add = (name: string, bytes: Uint8Array, origin: string): void => void out.push({ name, bytes, origin: `builder: ${origin}` });

  add('model.safetensors', buildSafetensors([{ name: 'a.weight', dtype: 'F32', shape: [2, 2], data: f32(1, 2, 3, 4) }, { name: 'b.bias', dtype: 'F16', shape: [3], data: f16Bytes([1, -2, 0.5]) }], { metadata: { format: 'pt' } }), 'safetensors two tensors');
  add('model.safetensors', buildSafetensors([]), 'safetensors empty');

  const allKvs = [
    { key: 'general.architecture', value: kv.str('llama') },
    { key: 'llama.block_count', value: kv.u32(2) },
    { key: 'a.u8', value: kv.u8(1) },
    { key: 'a.i8', value: kv.i8(-1) },
    { key: 'a.u16', value: kv.u16(65535) },
    { key: 'a.i16', value: kv.i16(-2) },
    { key: 'a.i32', value: kv.i32(-3) },
    { key: 'a.f32', value: kv.f32(0.5) },
    { key: 'a.f64', value: kv.f64(1e300) },
    { key: 'a.u64', value: kv.u64(1n << 40n) },
    { key: 'a.i64', value: kv.i64(-(1n << 40n)) },
    { key: 'a.bool', value: kv.bool(true) },
    { key: 'tokenizer.ggml.tokens', value: kv.arr('str', ['<s>', '</s>', 'a', 'b', '▁the']) },
    { key: 'tokenizer.ggml.scores', value: kv.numArr('f32', [0, 0, -1, -2, -3]) },
    { key: 'a.nested', value: { type: 'arr' as const, elementType: 'arr' as const, items: [{ type: 'arr' as const, elementType: 'u8' as const, items: [kv.u8(1)] }] } },
  ];
  const tensors = [
    { name: 'token_embd.weight', ne: [32, 5], type: 'F16' as const },
    { name: 'blk.0.attn_q.weight', ne: [32, 32], type: 'Q8_0' as const },
    { name: 'blk.0.ffn_down.weight', ne: [32, 4], type: 'Q4_0' as const },
    { name: 'output_norm.weight', ne: [32], type: 'F32' as const },
  ];
  for (const version of [1, 2, 3]) add('model.gguf', buildGguf({ version, kvs: allKvs, tensors }).bytes, `gguf v${version}, every value type`);
  add('model.gguf', buildGguf({ bigEndian: true, kvs: allKvs, tensors }).bytes, 'gguf big-endian');
  add('model.gguf', buildGguf({ alignment: 64, kvs: allKvs.slice(0, 2), tensors: tensors.slice(0, 2) }).bytes, 'gguf alignment 64');
  add('vocab.gguf', buildGguf({ kvs: allKvs }).bytes, 'gguf vocab only');

  const sd = stateDictPickle([
    ['layer.weight', (p) => p.tensor({ key: '0', numel: 6, size: [2, 3], stride: [3, 1] })],
    ['layer.weight_t', (p) => p.tensor({ key: '0', numel: 6, size: [3, 2], stride: [1, 3] })],
    ['layer.bias', (p) => p.tensor({ key: '1', numel: 2, size: [2], stride: [1], storage: 'HalfStorage' })],
  ])
    .stop()
    .bytesOut();
  const storages = { '0': f32(1, 2, 3, 4, 5, 6), '1': f16Bytes([1, 2]) };
  add('model.pt', torchZip({ dataPkl: sd, storages }).bytes, 'torch zip state dict');
  add('model.pt', torchZip({ dataPkl: sd, storages, zip: { zip64: true } }).bytes, 'torch zip64 state dict');
  add('model.pt', torchZip({ dataPkl: sd, storages, pklMember: { method: 8 } }).bytes, 'torch zip, deflated data.pkl');
  add(
    'model.pt',
    torchZip({
      dataPkl: asm().proto(2).global('__torch__', 'Model').tuple(0).newobj().emptyDict().str('weight').raw(asm().tensor({ key: '0', numel: 6, size: [6], stride: [1] }).bytesOut()).setitem().build().stop().bytesOut(),
      storages,
      extra: [
        { name: 'archive/constants.pkl', data: asm().proto(2).tuple(0).stop().bytesOut() },
        { name: 'archive/code/__torch__.py', data: utf8('class Model(Module):\n  weight : Tensor\n'), method: 8 },
      ],
    }).bytes,
    'torchscript-like archive',
  );
  const legacyObj = asm().proto(2).global('collections', 'OrderedDict').tuple(0).reduce().mark().str('w');
  legacyTensor(legacyObj, { key: '1000', numel: 4, size: [2, 2], stride: [2, 1] });
  add('pytorch_model.bin', torchLegacy({ object: legacyObj.setitems().stop().bytesOut(), keys: legacyKeysPickle(['1000']), records: [{ count: 4, data: f32(1, 2, 3, 4) }] }), 'torch legacy');

  for (const proto of [2, 3, 4, 5]) add(`state-p${proto}.pkl`, stateDictPickle([['x', (p) => p.str('y')], ['n', (p) => p.int(70000)], ['l', (p) => p.emptyList().mark().int(1).none().raw(0x88).appends()]], proto).stop().bytesOut(), `pickle protocol ${proto}`);
  add('plain-p0.pkl', asm().raw('(dp0\nS\'a\'\np1\nI1\nsS\'b\'\np2\n(lp3\nF1.5\naI-7\nasV\\u00e9\np4\nNs.').bytesOut(), 'pickle protocol 0 dict');
  add('memo-p4.pkl', asm().proto(4).frame(30).emptyList().memoize().mark().str('a').memoize().get(1).get(0).appends().stop().bytesOut(), 'pickle protocol 4 memo and frame');

  add('a.npy', npy({ descr: '<f4', shape: '(2,)', data: f32(1, 2) }), 'npy f4');
  add('b.npy', npy({ descr: '<f4', fortran: true, shape: '(2, 2)', data: f32(1, 2, 3, 4) }), 'npy fortran order');
  add('c.npy', npy({ descr: '>i2', shape: '(4,)', data: new Uint8Array(8) }), 'npy big-endian i2');
  add('d.npy', npy({ version: 2, descr: '|u1', shape: '(3, 1)', data: Uint8Array.of(1, 2, 3) }), 'npy v2');
  add('e.npy', npy({ version: 3, dict: "{'descr': [('é', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: f32(1) }), 'npy v3 structured');
  add('f.npy', npy({ descr: '|O', shape: '(1,)', data: asm().proto(2).emptyList().str('x').append().stop().bytesOut() }), 'npy object array, benign');
  const members = [
    { name: 'w.npy', data: npy({ descr: '<f4', shape: '(2,)', data: f32(1, 2) }) },
    { name: 'b.npy', data: npy({ descr: '<i8', shape: '()', data: new Uint8Array(8) }) },
  ];
  add('arrays.npz', buildZip(members).bytes, 'npz stored');
  add('arrays.npz', buildZip(members.map((m) => ({ ...m, method: 8 }))).bytes, 'npz deflated');

  add('tokenizer.json', utf8(byteLevelTokenizerJson(['<|endoftext|>', '<|im_start|>'])), 'tokenizer.json byte-level BPE');
  add(
    'tokenizer.json',
    utf8(JSON.stringify({ version: '1.0', added_tokens: [{ id: 0, content: '[PAD]', special: true }], model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[PAD]': 0, '[UNK]': 1, the: 2, '##s': 3 } } })),
    'tokenizer.json WordPiece',
  );
  add('tokenizer.json', utf8(JSON.stringify({ model: { type: 'Unigram', vocab: [['<unk>', 0], ['▁a', -1.5], ['b', -2]], unk_id: 0 } })), 'tokenizer.json Unigram');
  add('config.json', utf8(qwen2Config), 'config.json qwen2');
  add('config.json', utf8(gpt2Config), 'config.json gpt2');
  add('model.safetensors.index.json', utf8(JSON.stringify({ metadata: { total_size: 16 }, weight_map: { 'a.weight': 'model-00001-of-00002.safetensors' } })), 'shard index');
  add('header.json', utf8('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"k":"\\u00e9\\ud83d\\ude00"},"n":[1.5e-3,-0,9007199254740993,true,false,null]}'), 'JSON of every kind of value');
  return out;
}

function realSeeds(maxBytes: number): Seed[] {
  if (!existsSync(REAL_MODELS_DIR)) return [];
  const out: Seed[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size <= maxBytes && !entry.endsWith('.md')) out.push({ name: entry, bytes: new Uint8Array(readFileSync(p)), origin: `real: ${relative(REAL_MODELS_DIR, p)}` });
    }
  };
  walk(REAL_MODELS_DIR);
  return out;
}

export interface SeedOptions {
  /** Largest real-model file used as a seed (default 256 KiB; the long run raises it). */
  maxRealBytes?: number;
  /** Largest corpus/builder file used as a seed (default 64 KiB). */
  maxBytes?: number;
}

/** Seeds per target (each target gets at least one seed). */
export async function seedsByTarget(options: SeedOptions = {}): Promise<Map<TargetName, Seed[]>> {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const all: Seed[] = [];
  for (const e of CORPUS) {
    if (e.knownIssue !== undefined || e.oversize !== undefined) continue;
    const files: Record<string, Uint8Array> = { [e.name]: e.build(), ...(e.siblings?.() ?? {}) };
    for (const [name, bytes] of Object.entries(files)) if (bytes.length <= maxBytes) all.push({ name, bytes, origin: `corpus: ${e.id}` });
  }
  all.push(...builtSeeds(), ...realSeeds(options.maxRealBytes ?? 256 * 1024));

  const by = new Map<TargetName, Seed[]>(TARGETS.map((t) => [t, []]));
  for (const s of all) for (const t of targetsOf(s.name, s.bytes)) by.get(t)?.push(s);
  // Pickle seeds also from every ZIP seed's data.pkl (and other .pkl members).
  for (const s of by.get('zip') ?? []) {
    try {
      const src = new MemorySource(s.name, s.bytes);
      const dir = await readZipDirectory(src, { crc: 'none' });
      for (const e of dir.entries.filter((x) => x.name.endsWith('.pkl')).slice(0, 4)) by.get('pickle')?.push({ name: 'data.pkl', bytes: await readZipMember(src, e, 1 << 20), origin: `${s.origin} → ${e.name}` });
    } catch {
      // A broken archive is a seed for the ZIP target, not a source of pickles.
    }
  }
  // JSON text of every safetensors header, as a strict-JSON seed.
  for (const s of by.get('safetensors') ?? []) {
    if (s.bytes.length < 8) continue;
    const n = Number(new DataView(s.bytes.buffer, s.bytes.byteOffset, 8).getBigUint64(0, true));
    if (n > 0 && n <= s.bytes.length - 8 && n <= maxBytes) by.get('strict-json')?.push({ name: 'header.json', bytes: s.bytes.slice(8, 8 + n), origin: `${s.origin} → header` });
  }
  for (const t of TARGETS) if ((by.get(t) ?? []).length === 0) by.set(t, [{ name: 'empty', bytes: concat(), origin: 'empty' }]);
  return by;
}
