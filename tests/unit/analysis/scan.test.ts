import { describe, expect, it } from 'vitest';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { scanModel } from '../../../src/lib/analysis/scan.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { memorySources } from '../../fixtures/compare-both.ts';
import { singleFile, utf8 } from '../../fixtures/model-files.ts';
import { clone, find, flipBits, tinyConfigJson, tinyLlama, TINY } from '../../fixtures/tiny-llama.ts';
import type { ModelFiles } from '../../fixtures/model-files.ts';

const scan = (files: ModelFiles) => scanModel(new InProcessRunner({ knownGood: [], suspect: memorySources(files) }, createNodeSha256, new CpuEngine()), { toolVersion: 'test' });

describe('scan (no known-good)', () => {
  const m = tinyLlama({ ...TINY, layers: 6 });
  const config = utf8(tinyConfigJson({ ...TINY, layers: 6 }));

  it('a plain model is clean, every tensor hashed and measured', async () => {
    const r = await scan({ 'model.safetensors': singleFile(m), 'config.json': config });
    expect(r.verdict.status, r.verdict.summary).toBe('clean');
    expect(r.tensors).toHaveLength(m.length);
    expect(r.tensors.every((t) => t.sha256 !== null && t.stats !== undefined)).toBe(true);
    expect(r.input.files.every((f) => f.sha256 !== null)).toBe(true);
  });

  it('an exponent-bit flip makes its layer stand out from its siblings', async () => {
    const s = clone(m);
    flipBits(find(s, 'model.layers.4.mlp.up_proj.weight'), [77], 30);
    const r = await scan({ 'model.safetensors': singleFile(s), 'config.json': config });
    expect(r.verdict.status).toBe('inconclusive');
    const f = r.findings.filter((x) => x.kind === 'weight-anomaly');
    expect(f.map((x) => x.tensor)).toEqual(['model.layers.4.mlp.up_proj.weight']);
  });

  it('a tensor the config does not imply is reported', async () => {
    const extra = [...m, { name: 'model.layers.2.mlp.backdoor.weight', shape: [4, 64], values: new Float32Array(256).fill(0.5) }];
    const r = await scan({ 'model.safetensors': singleFile(extra), 'config.json': config });
    expect(r.verdict.status).toBe('inconclusive');
    expect(r.findings.some((x) => /backdoor/.test(x.message))).toBe(true);
  });
});
