/**
 * The bundled demo case (scripts/build-demo.ts: a tiny 8-layer Llama with a rank-1 edit in layer 2's
 * MLP, three exponent-bit flips in layer 3's attention output and three rewritten embedding rows),
 * built in memory and compared in-process on the CPU engine — a real report for the report tests.
 */
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { clone, find, flipBits, rank1Edit, rewriteRows, tinyConfigJson, tinyLlama, type FloatTensor, type TinyConfig } from '../../fixtures/tiny-llama.ts';
import { byteLevelTokenizerJson } from '../../fixtures/tokenizer.ts';

const DEMO_CONFIG: TinyConfig = { vocab: 256, hidden: 64, intermediate: 176, layers: 8, heads: 4, kvHeads: 2, tieEmbeddings: false };

function sources(tensors: readonly FloatTensor[]): MemorySource[] {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  return [
    new MemorySource('model.safetensors', buildSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: f32Bytes(t.values) })), { metadata: { format: 'pt' } })),
    new MemorySource('config.json', text(tinyConfigJson(DEMO_CONFIG))),
    new MemorySource('tokenizer.json', text(byteLevelTokenizerJson())),
  ];
}

let cached: Promise<ReportV1> | undefined;

export function demoReport(): Promise<ReportV1> {
  cached ??= (async () => {
    const knownGood = tinyLlama(DEMO_CONFIG, 7);
    const suspect = clone(knownGood);
    rank1Edit(find(suspect, 'model.layers.2.mlp.down_proj.weight'), 0.004, 42);
    flipBits(find(suspect, 'model.layers.3.self_attn.o_proj.weight'), [17, 1234, 3071], 30);
    rewriteRows(find(suspect, 'model.embed_tokens.weight'), [65, 66, 200], 99);
    const runner = new InProcessRunner({ knownGood: sources(knownGood), suspect: sources(suspect) }, createNodeSha256, new CpuEngine());
    let t = Date.UTC(2026, 10, 22, 10, 0, 0);
    return compareModels(runner, { toolVersion: 'test', labels: { knownGood: 'tiny-llama (known-good)', suspect: 'tiny-llama (suspect)' }, now: () => (t += 7) });
  })();
  return cached;
}

/** A deep copy to break on purpose. */
export async function demoReportCopy(): Promise<ReportV1> {
  return structuredClone(await demoReport());
}
