/**
 * Builds the bundled demo case deterministically into public/demo/: a tiny Llama-style model
 * (known-good) and a tampered copy with three tell-tale edits — a rank-1 "ROME" edit in layer 2's
 * MLP down-projection, three exponent-bit flips in layer 3's attention output, and three rewritten
 * token-embedding rows — plus config.json and tokenizer.json beside each. Run by `npm start`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSafetensors, f32Bytes } from '../tests/fixtures/safetensors-builder.ts';
import { clone, find, flipBits, rank1Edit, rewriteRows, tinyConfigJson, tinyLlama, type TinyConfig } from '../tests/fixtures/tiny-llama.ts';
import { byteLevelTokenizerJson } from '../tests/fixtures/tokenizer.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'demo');
const config: TinyConfig = { vocab: 256, hidden: 64, intermediate: 176, layers: 8, heads: 4, kvHeads: 2, tieEmbeddings: false };

const knownGood = tinyLlama(config, 7);
const suspect = clone(knownGood);
rank1Edit(find(suspect, 'model.layers.2.mlp.down_proj.weight'), 0.004, 42);
flipBits(find(suspect, 'model.layers.3.self_attn.o_proj.weight'), [17, 1234, 3071], 30);
rewriteRows(find(suspect, 'model.embed_tokens.weight'), [65, 66, 200], 99);

const write = (side: string, tensors: typeof knownGood): string[] => {
  const dir = join(root, side);
  mkdirSync(dir, { recursive: true });
  const files: [string, Uint8Array | string][] = [
    ['model.safetensors', buildSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: f32Bytes(t.values) })), { metadata: { format: 'pt' } })],
    ['config.json', tinyConfigJson(config)],
    ['tokenizer.json', byteLevelTokenizerJson()],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  return files.map(([name]) => name);
};

const manifest = {
  title: 'Demo case: a tiny Llama with a ROME-style edit, flipped bits and rewritten token rows',
  knownGood: { label: 'tiny-llama (known-good)', dir: 'known-good', files: write('known-good', knownGood) },
  suspect: { label: 'tiny-llama (suspect)', dir: 'suspect', files: write('suspect', suspect) },
};
writeFileSync(join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`demo case written to ${root}\n`);
