/**
 * Checkpoints written by real torch (tests/fixtures/torch/make_torch_fixtures.py, run at test
 * time with Debian's /usr/bin/python3): every tensor the reader locates must hash to exactly
 * what torch wrote, for zip and legacy files, views, non-contiguous and Fortran-like layouts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFileSource } from '../../../../src/lib/io/node-source.ts';
import { parseTorchCheckpoint, type TorchCheckpoint } from '../../../../src/lib/formats/pytorch/parse-torch.ts';
import { generate } from './generate.ts';
import { rowMajorBytes, sha256Hex, TORCH_TO_DTYPE } from './tensor-bytes.ts';

interface Expected {
  dtype: string;
  shape: number[];
  stride: number[];
  storage_offset: number;
  sha256: string;
  contiguous: boolean;
}

const gen = generate('make_torch_fixtures.py', ['/usr/bin/python3']);
afterAll(() => {
  if ('cleanup' in gen) gen.cleanup();
});

describe.skipIf('skip' in gen)('checkpoints written by torch', () => {
  if ('skip' in gen) {
    console.warn(`SKIPPED torch-written checkpoints: ${gen.skip}`);
    return;
  }
  const { dir, expected } = gen as { dir: string; expected: { torch: string; files: Record<string, Record<string, Expected>> } };
  const files = Object.keys(expected.files).sort();
  const parsed = new Map<string, TorchCheckpoint>();
  const open = async (f: string): Promise<{ src: NodeFileSource; r: TorchCheckpoint }> => {
    const src = await NodeFileSource.open(join(dir, f), f);
    let r = parsed.get(f);
    if (!r) {
      r = await parseTorchCheckpoint(src, { crc: 'all' });
      parsed.set(f, r);
    }
    return { src, r };
  };

  it.each(files)('%s: every tensor located, bytes equal to what torch wrote', async (f) => {
    const { src, r } = await open(f);
    try {
      const want = expected.files[f] ?? {};
      expect(r.problems).toEqual([]);
      expect(r.tensors.map((t) => t.name).sort()).toEqual(Object.keys(want).sort());
      expect(r.format).toBe(f.includes('legacy') ? 'pytorch-legacy' : f.startsWith('scripted') ? 'torchscript' : 'pytorch-zip');
      for (const t of r.tensors) {
        const w = want[t.name] as Expected;
        expect(t.dtype, t.name).toBe(TORCH_TO_DTYPE[w.dtype]);
        expect(t.shape, t.name).toEqual(w.shape);
        expect(t.layout.kind, t.name).toBe(w.contiguous ? 'contiguous' : 'strided');
        if (t.layout.kind === 'strided') expect(t.layout.strides, t.name).toEqual(w.stride);
        expect(t.byteOffset + t.byteLength).toBeLessThanOrEqual(src.size);
        expect(sha256Hex(await rowMajorBytes(src, t)), `${f}:${t.name}`).toBe(w.sha256);
      }
      expect(r.findings.filter((x) => x.kind === 'zip-anomaly')).toEqual([]);
    } finally {
      await src.close();
    }
  });

  it.each(['views.pt', 'views_legacy.pt'])('%s: views of one storage share it, at their offsets', async (f) => {
    const { src, r } = await open(f);
    await src.close();
    const by = new Map(r.tensors.map((t) => [t.name, t]));
    const storageOf = (n: string): string | undefined => by.get(n)?.layout.storage?.key;
    const a = by.get('a');
    const b = by.get('b');
    expect(storageOf('a')).toBe(storageOf('b'));
    expect(storageOf('a')).toBe(storageOf('t'));
    expect(a?.layout.storage?.byteLength).toBe(400);
    expect((b?.byteOffset ?? 0) - (a?.byteOffset ?? 0)).toBe(160);
    expect(a?.byteOffset).toBe((a?.layout.storage?.byteOffset ?? 0) + 40);
    const block = by.get('block');
    expect(block?.layout).toMatchObject({ kind: 'strided', strides: [10, 1], storageOffsetBytes: 23 * 4 });
    expect(block?.byteLength).toBe((2 * 10 + 3 + 1) * 4);
    expect(by.get('fortran')?.layout).toMatchObject({ kind: 'strided', strides: [1, 2, 6] });
    expect(by.get('expanded')?.layout).toMatchObject({ kind: 'strided', strides: [0, 1] });
    expect(by.get('expanded')?.byteLength).toBe(12);
  });

  it.each(['malicious.pt', 'malicious_legacy.pt'])('%s: posix.system found at its byte offset, and every tensor still located', async (f) => {
    const { src, r } = await open(f);
    try {
      const crit = r.findings.filter((x) => x.severity === 'critical');
      expect(crit.map((x) => x.code)).toEqual(['posix.system']);
      const at = crit[0]?.offset ?? -1;
      const bytes = await src.read(at, 14);
      expect(new TextDecoder().decode(bytes)).toBe('cposix\nsystem\n');
      expect(crit[0]?.message).toContain('pwned-by-model-sleuth-fixture');
      // The call comes before any tensor is rebuilt.
      const firstTensorAt = Math.min(...r.details.map((d) => d.pickleOffset));
      expect(at).toBeLessThan(firstTensorAt);
      expect(r.tensors.map((t) => t.name).sort()).toEqual(['b', 'v', 'w']);
    } finally {
      await src.close();
    }
  });

  it('full_model.pt: a pickled nn.Module is named like its state dict; its classes are high, not critical', async () => {
    const { src, r } = await open('full_model.pt');
    await src.close();
    expect(r.tensors.map((t) => t.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(r.details.every((d) => d.parameter)).toBe(true);
    const sev = new Map(r.findings.filter((x) => x.kind === 'unsafe-pickle-global').map((x) => [x.code, x.severity]));
    expect(sev.get('torch.nn.modules.container.Sequential')).toBe('high');
    expect([...sev.values()]).not.toContain('critical');
  });

  it('tied.pt: two names for one tensor', async () => {
    const { src, r } = await open('tied.pt');
    await src.close();
    expect(r.tensors.map((t) => t.name)).toEqual(['embed', 'lm_head']);
    expect(r.tensors[0]?.byteOffset).toBe(r.tensors[1]?.byteOffset);
  });

  it('nested.pt: dotted names through dicts, optimizer state and int keys', async () => {
    const { src, r } = await open('nested.pt');
    await src.close();
    const names = r.tensors.map((t) => t.name);
    expect(names).toContain('state_dict.0.weight');
    expect(names).toContain('optimizer.state.0.exp_avg');
    expect(names).toContain('model.inner.w');
    expect(r.findings).toEqual([]);
  });

  it('dtypes.pt: clean, with metadata', async () => {
    const { src, r } = await open('dtypes.pt');
    await src.close();
    expect(r.findings).toEqual([]);
    expect(r.byteOrder).toBe('little');
    expect(r.version).toBe('3');
    expect(r.details.find((d) => d.name === 'bf16')).toMatchObject({ torchDtype: 'bfloat16', storageType: 'BFloat16Storage', location: 'cpu' });
    expect(r.zip?.entries.every((e) => e.crcOk === true)).toBe(true);
  });

  it('scripted.pt: TorchScript recognised, its classes only noted', async () => {
    const { src, r } = await open('scripted.pt');
    await src.close();
    expect(r.format).toBe('torchscript');
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
  });

  it('the generator recorded the torch version', () => {
    expect(typeof expected.torch).toBe('string');
    expect(readFileSync(join(dir, 'expected.json'), 'utf8').length).toBeGreaterThan(100);
  });
});
