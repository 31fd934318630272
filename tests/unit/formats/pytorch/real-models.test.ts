/**
 * Every pickle-, zip- or npy-based file of the real-world corpus (/work/shared/real-models, see
 * its PROVENANCE.md): benign files parse with their tensors located; malicious ones are flagged
 * naming the global that does the damage. The files are only ever read by the TypeScript readers.
 * Skips visibly when the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeFileSource } from '../../../../src/lib/io/node-source.ts';
import type { SecurityFinding } from '../../../../src/lib/formats/pickle/findings.ts';
import { parseTorchCheckpoint } from '../../../../src/lib/formats/pytorch/parse-torch.ts';
import { parseNpy, parseNpz, type NumpyFile } from '../../../../src/lib/formats/numpy/parse-npy.ts';
import type { TorchCheckpoint } from '../../../../src/lib/formats/pytorch/parse-torch.ts';
import { REAL_MODELS } from './generate.ts';
import { rowMajorBytes } from './tensor-bytes.ts';

interface Provenance {
  file: string;
  format: string;
  malicious: boolean;
}

const present = existsSync(join(REAL_MODELS, 'provenance.json'));
const PICKLE_FORMATS = new Set(['pytorch-zip', 'pickle', 'npy', 'npz']);

async function parseAny(rel: string): Promise<TorchCheckpoint | NumpyFile> {
  const src = await NodeFileSource.open(join(REAL_MODELS, rel), rel);
  try {
    if (rel.endsWith('.npz')) return await parseNpz(src, { crc: 'all' });
    if (rel.endsWith('.npy')) return await parseNpy(src);
    return await parseTorchCheckpoint(src, { crc: 'all' });
  } finally {
    await src.close();
  }
}

const unsafe = (f: SecurityFinding[]): string[] => f.filter((x) => x.kind === 'unsafe-pickle-global').map((x) => `${x.severity}:${x.code}`);
const worst = (f: SecurityFinding[]): string => (['critical', 'high', 'medium', 'low', 'info'].find((s) => f.some((x) => x.severity === s)) ?? 'none');

describe.skipIf(!present)('real-world files', () => {
  if (!present) {
    console.warn(`SKIPPED real-model corpus: ${REAL_MODELS}/provenance.json not found`);
    return;
  }
  const corpus = (JSON.parse(readFileSync(join(REAL_MODELS, 'provenance.json'), 'utf8')) as Provenance[]).filter((p) => PICKLE_FORMATS.has(p.format));

  it('covers the 17 pickle/zip/npy files', () => {
    expect(corpus.length).toBe(17);
  });

  it.each(corpus.map((p) => [p.file, p.malicious] as const))('%s (malicious: %s) parses or is flagged', async (file, malicious) => {
    const r = await parseAny(file);
    const crit = r.findings.filter((x) => x.kind === 'unsafe-pickle-global' && x.severity === 'critical');
    if (malicious) {
      expect(crit.length, file).toBeGreaterThan(0);
      for (const c of crit) expect(c.module && c.name).toBeTruthy();
    } else {
      expect(crit, file).toEqual([]);
      expect(r.findings.filter((x) => x.kind === 'zip-anomaly' || x.code === 'scan-incomplete'), file).toEqual([]);
    }
  });

  it('burn/bfloat16.pt: one BF16 tensor [1.5, -2.5, 3.5]', async () => {
    const r = (await parseAny('burn/bfloat16.pt')) as TorchCheckpoint;
    expect(r.findings).toEqual([]);
    expect(r.tensors).toMatchObject([{ name: 'tensor', dtype: 'BF16', shape: [3], byteLength: 6, layout: { kind: 'contiguous' } }]);
    const src = await NodeFileSource.open(join(REAL_MODELS, 'burn/bfloat16.pt'), 'bfloat16.pt');
    expect([...(await src.read(r.tensors[0]?.byteOffset ?? 0, 6))]).toEqual([0xc0, 0x3f, 0x20, 0xc0, 0x60, 0x40]);
    await src.close();
  });

  it('burn/legacy_uncloned_views.pt: two views of one 100-float storage at offsets 10 and 50', async () => {
    const r = (await parseAny('burn/legacy_uncloned_views.pt')) as TorchCheckpoint;
    expect(r.format).toBe('pytorch-legacy');
    expect(r.storages).toHaveLength(1);
    const [t1, t2] = r.tensors;
    expect(t1?.layout.storage?.key).toBe(t2?.layout.storage?.key);
    expect((t2?.byteOffset ?? 0) - (t1?.byteOffset ?? 0)).toBe(160);
    const src = await NodeFileSource.open(join(REAL_MODELS, 'burn/legacy_uncloned_views.pt'), 'v.pt');
    const v = new Float32Array((await src.read(t1?.byteOffset ?? 0, 40)).slice().buffer);
    await src.close();
    expect([...v]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('candle/fortran_tensor_3d.pth: strides (1, 2, 6) described exactly', async () => {
    const r = (await parseAny('candle/fortran_tensor_3d.pth')) as TorchCheckpoint;
    const t = r.tensors[0];
    expect(t).toMatchObject({ name: 'tensor_fortran', dtype: 'I64', shape: [2, 3, 4], byteLength: 192, layout: { kind: 'strided', strides: [1, 2, 6], storageOffsetBytes: 0 } });
    const src = await NodeFileSource.open(join(REAL_MODELS, 'candle/fortran_tensor_3d.pth'), 'f.pth');
    if (!t) return;
    const values = [...new BigInt64Array((await rowMajorBytes(src, t)).slice().buffer)];
    await src.close();
    expect(new Set(values).size).toBe(24);
  });

  it('modelscan/unsafe_zip_pytorch.pt: posix.system and the value it leaves on the stack', async () => {
    const r = (await parseAny('modelscan/unsafe_zip_pytorch.pt')) as TorchCheckpoint;
    expect(unsafe(r.findings)).toEqual(['critical:posix.system']);
    expect(r.findings.find((x) => x.code === 'posix.system')?.offset).toBe(66);
    expect(r.findings.map((x) => x.code)).toContain('stack-not-empty');
  });

  it('peft lora adapter: two F32 tensors saved from cuda:0', async () => {
    const r = (await parseAny('peft/lora_mlp-0.6.1-adapter_model.bin')) as TorchCheckpoint;
    expect(r.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape.join('x')}`)).toEqual(['base_model.model.lin0.lora_A.weight:F32:8x10', 'base_model.model.lin0.lora_B.weight:F32:20x8']);
    expect(r.details.map((d) => d.location)).toEqual(['cuda:0', 'cuda:0']);
    expect(r.findings).toEqual([]);
  });

  it('peft-trainer-ckpt/rng_state.pth: numpy reconstruct and _codecs.encode are noted, not unsafe', async () => {
    const r = (await parseAny('peft-trainer-ckpt/rng_state.pth')) as TorchCheckpoint;
    expect(worst(r.findings)).toBe('info');
    expect(r.findings.map((x) => `${x.module}.${x.name}`).sort()).toEqual(['_codecs.encode', 'numpy._core.multiarray._reconstruct', 'numpy.dtype', 'numpy.ndarray']);
    expect(r.tensors.map((t) => t.name)).toEqual(['cpu', 'cuda']);
  });

  it('peft-trainer-ckpt/training_args.bin: transformers/accelerate classes are high, nothing critical', async () => {
    const r = (await parseAny('peft-trainer-ckpt/training_args.bin')) as TorchCheckpoint;
    expect(worst(r.findings)).toBe('high');
    expect(unsafe(r.findings)).toContain('high:transformers.training_args.TrainingArguments');
    expect(unsafe(r.findings)).toContain('high:accelerate.state.PartialState');
    expect(r.tensors).toEqual([]);
  });

  it('picklescan/GHSA-jgw4-cr84-mqxg.bin: the asyncio subprocess gadget via STACK_GLOBAL', async () => {
    const r = await parseAny('picklescan/GHSA-jgw4-cr84-mqxg.bin');
    expect(unsafe(r.findings)).toEqual(['critical:asyncio.unix_events._UnixSubprocessTransport._start']);
    expect(r.findings[0]?.message).toContain('whoami');
  });

  it('picklescan/malicious0.pkl: the __builtin__ eval/compile chain (protocol 0)', async () => {
    const r = await parseAny('picklescan/malicious0.pkl');
    expect(unsafe(r.findings)).toEqual(['critical:__builtin__.globals', 'critical:__builtin__.compile', 'critical:__builtin__.eval', 'critical:__builtin__.getattr', 'critical:__builtin__.apply']);
  });

  it('picklescan/pytorch_magic_bypass.pt: eval in the forged magic, posix.system as the object', async () => {
    const r = (await parseAny('picklescan/pytorch_magic_bypass.pt')) as TorchCheckpoint;
    expect(unsafe(r.findings)).toEqual(['critical:__builtin__.eval', 'critical:posix.system']);
    expect(r.problems.map((p) => p.code)).toContain('torch_legacy_bad_magic');
  });

  it('picklescan/pytorch_model.bin: a legacy DistilBERT state dict, every storage in the file', async () => {
    const r = (await parseAny('picklescan/pytorch_model.bin')) as TorchCheckpoint;
    expect(r.format).toBe('pytorch-legacy');
    expect(r.problems).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.tensors.length).toBeGreaterThan(30);
    expect(r.tensors[0]).toMatchObject({ name: 'distilbert.embeddings.word_embeddings.weight', dtype: 'F32', shape: [28996, 2] });
    const total = r.storages.reduce((n, s) => n + s.byteLength + 8, 0);
    expect(total).toBe(236760);
  });

  it('torch-wheel/test_interpreter_async.pt: TorchScript', async () => {
    const r = (await parseAny('torch-wheel/test_interpreter_async.pt')) as TorchCheckpoint;
    expect(r.format).toBe('torchscript');
    expect(worst(r.findings)).toBe('info');
  });

  it('numpy-tests: a py2 object array (noted) and a (2L,) shape', async () => {
    const obj = (await parseAny('numpy-tests/py2-objarr.npy')) as NumpyFile;
    expect(obj.problems.map((p) => p.code)).toEqual(['npy_object_array']);
    expect(worst(obj.findings)).toBe('info');
    const py2 = (await parseAny('numpy-tests/win64python2.npy')) as NumpyFile;
    expect(py2.tensors).toMatchObject([{ name: 'win64python2', dtype: 'F64', shape: [2], byteOffset: 80, byteLength: 16 }]);
  });

  it('picklescan/dns_exfiltration.npy: ssl.get_server_certificate in the object pickle', async () => {
    const r = await parseAny('picklescan/dns_exfiltration.npy');
    expect(unsafe(r.findings)).toEqual(['critical:ssl.get_server_certificate']);
  });

  it('mlx-examples npz: 39 stored members despite non-standard headers; deflated mel filters described', async () => {
    const mlx = (await parseAny('mlx-examples/mlx-savez-vae_mnist.npz')) as NumpyFile;
    expect(mlx.tensors).toHaveLength(39);
    expect(mlx.problems).toEqual([]);
    expect(mlx.tensors.find((t) => t.name === 'encoder.kl_div')?.shape).toEqual([]);
    const mel = (await parseAny('mlx-examples/whisper-mel_filters.npz')) as NumpyFile;
    expect(mel.arrays.map((a) => `${a.name}:${a.header.shape.join('x')}`)).toEqual(['mel_80:80x201', 'mel_128:128x201']);
    expect(mel.problems.map((p) => p.code)).toEqual(['npy_member_compressed', 'npy_member_compressed']);
  });
});
