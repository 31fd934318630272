/**
 * Job planning: whatever the mode, every tensor pair is processed by exactly one job and every
 * file is hashed whole by exactly one job; split mode gives each worker one slice and one file hash.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { pairTensors, planJobs } from '../../../src/lib/analysis/plan.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { tinyLlama, type FloatTensor } from '../../fixtures/tiny-llama.ts';

const st = (tensors: FloatTensor[]) => buildSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: f32Bytes(t.values) })));

async function models(shards: number) {
  const tensors = tinyLlama();
  const per = Math.ceil(tensors.length / shards);
  const files = shards === 1 ? [new MemorySource('model.safetensors', st(tensors))] : Array.from({ length: shards }, (_, i) => new MemorySource(`model-0000${i + 1}-of-0000${shards}.safetensors`, st(tensors.slice(i * per, (i + 1) * per))));
  const extra = new MemorySource('config.json', new TextEncoder().encode('{"model_type":"llama"}'));
  return { kg: await loadModel('known-good', [...files, extra]), su: await loadModel('suspect', [new MemorySource('model.safetensors', st(tensors)), extra]) };
}

describe('planJobs', () => {
  for (const shards of [1, 3]) {
    for (const workers of [1, 2, 3, 8]) {
      it(`${shards} shard(s) vs one file on ${workers} worker(s): each pair once, each file hashed once`, async () => {
        const { kg, su } = await models(shards);
        const pairs = pairTensors(kg, su);
        const plan = planJobs(kg, su, pairs, workers);
        const seen = plan.jobs.flatMap((j) => j.pairs.map((p) => p.name));
        expect(seen.slice().sort()).toEqual(pairs.map((p) => p.name).sort());
        const hashed = plan.jobs.flatMap((j) => j.hashFiles.map((f) => `${f.side}:${f.path}`));
        const files = [...kg.files.map((f) => `knownGood:${f.path}`), ...su.files.map((f) => `suspect:${f.path}`)];
        expect(hashed.slice().sort()).toEqual(files.sort());
        expect(plan.totalBytes).toBe(plan.jobs.reduce((s, j) => s + j.plannedBytes, 0));
        // Largest first, so the pool drains evenly.
        for (let i = 1; i < plan.jobs.length; i++) expect(plan.jobs[i - 1]?.plannedBytes).toBeGreaterThanOrEqual(plan.jobs[i]?.plannedBytes ?? 0);
      });
    }
  }

  it('split mode: one slice per worker, each carrying one whole-file hash on the same read', async () => {
    const { kg, su } = await models(1);
    const plan = planJobs(kg, su, pairTensors(kg, su), 2);
    expect(plan.mode).toBe('split');
    const tensorJobs = plan.jobs.filter((j) => j.pairs.length > 0);
    expect(tensorJobs).toHaveLength(2);
    for (const j of tensorJobs) expect(j.hashFiles.filter((f) => f.path === 'model.safetensors')).toHaveLength(1);
    const bytes = (j: (typeof tensorJobs)[number]) => j.pairs.reduce((s, p) => s + (p.a?.byteLength ?? 0) + (p.b?.byteLength ?? 0), 0);
    const [x, y] = tensorJobs.map(bytes) as [number, number];
    // Similar byte sizes (within one tensor pair of the model's largest).
    expect(Math.abs(x - y)).toBeLessThanOrEqual(Math.max(...tensorJobs.flatMap((j) => j.pairs.map((p) => (p.a?.byteLength ?? 0) + (p.b?.byteLength ?? 0)))));
  });
});
