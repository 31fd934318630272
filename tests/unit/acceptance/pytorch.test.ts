/**
 * Issue 3 "must be exactly right", PyTorch part: genuine checkpoints written by Debian's
 * python3-torch at test time (skipped, visibly, when it is missing), compared with the CLI core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareInProcess } from '../../fixtures/compare-both.ts';

const PY = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTorch) console.warn('SKIPPED: PyTorch acceptance tests need Debian python3-torch at /usr/bin/python3');

const dir = hasTorch ? mkdtempSync(join(tmpdir(), 'ms-torch-')) : '';
const marker = join(dir, 'PAYLOAD-RAN');
if (hasTorch) execFileSync(PY, [fileURLToPath(new URL('../../fixtures/torch/make_compare_fixtures.py', import.meta.url)), dir, marker], { stdio: 'inherit' });

const files = (sub: string): Record<string, Uint8Array> => Object.fromEntries(readdirSync(join(dir, sub)).map((f) => [f, new Uint8Array(readFileSync(join(dir, sub, f)))]));

describe.skipIf(!hasTorch)('PyTorch checkpoints vs safetensors', () => {
  it('pytorch_model.bin (zip) vs model.safetensors with identical tensors is clean', async () => {
    const r = await compareInProcess(files('kg'), files('zip'));
    expect(r.verdict.status, r.verdict.summary).toBe('clean');
    expect(r.tensors.length).toBe(10);
    expect(r.tensors.every((t) => t.status === 'identical')).toBe(true);
  });

  it('the legacy (pre-1.6) format is clean too', async () => {
    const r = await compareInProcess(files('kg'), files('legacy'));
    expect(r.verdict.status, r.verdict.summary).toBe('clean');
  });

  it('non-contiguous views (Fortran order, a slice with a storage offset) compare by value: clean, equal tensor hashes', async () => {
    const r = await compareInProcess(files('kg'), files('strided'));
    expect(r.verdict.status, r.verdict.summary).toBe('clean');
    for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.k_proj.weight']) {
      const t = r.tensors.find((x) => x.name === name);
      expect(t?.status).toBe('identical');
      expect(t?.sha256.suspect).toBe(t?.sha256.knownGood);
    }
  });

  it('data.pkl calling posix.system before the state dict: malicious-code naming posix.system, weights still compared, nothing executed', async () => {
    const r = await compareInProcess(files('kg'), files('malicious'));
    expect(r.verdict.status).toBe('malicious-code');
    const reasons = r.findings.filter((f) => r.verdict.reasons.includes(f.id));
    expect(reasons.some((f) => f.kind === 'unsafe-pickle-global' && /posix\.system/.test(f.message))).toBe(true);
    expect(r.tensors.filter((t) => t.status === 'identical')).toHaveLength(10);
    expect(existsSync(marker)).toBe(false);
  });

  it('an edited checkpoint is tampered, naming the rank-1 tensor', async () => {
    const r = await compareInProcess(files('kg'), files('edited'));
    expect(r.verdict.status).toBe('tampered');
    const changed = r.tensors.filter((t) => t.status !== 'identical');
    expect(changed.map((t) => t.name)).toEqual(['model.layers.1.mlp.down_proj.weight']);
    expect(changed[0]?.delta?.edit.kind).toBe('rank-1');
  });
});
