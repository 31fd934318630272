/**
 * Files of a model folder that this version reads no further than their bytes are never ignored:
 * a changed or added one makes the suspect tampered; one only the known-good has is recorded; a
 * weights file in a format not analysed (ONNX, Keras, TFLite…) is an unsupported_format problem,
 * so two such files can never come out "clean".
 */
import { describe, expect, it } from 'vitest';
import { compareInProcess } from '../../fixtures/compare-both.ts';
import { singleFile, utf8, type ModelFiles } from '../../fixtures/model-files.ts';
import { tinyConfigJson, tinyLlama, TINY } from '../../fixtures/tiny-llama.ts';

function model(extra: ModelFiles = {}): ModelFiles {
  return { 'model.safetensors': singleFile(tinyLlama(TINY, 5)), 'config.json': utf8(tinyConfigJson(TINY)), ...extra };
}

describe('files beside the weights that are not parsed', () => {
  it('a changed or added file is tampered; a missing one is recorded without deciding', async () => {
    const changed = await compareInProcess(model({ 'preprocessor_config.json': utf8('{"a":1}') }), model({ 'preprocessor_config.json': utf8('{"a":2}') }));
    expect(changed.verdict.status).toBe('tampered');
    expect(changed.findings.find((f) => f.kind === 'file-hash-mismatch')?.file).toBe('preprocessor_config.json');
    const added = await compareInProcess(model(), model({ 'extra_layers.json': utf8('{}') }));
    expect(added.verdict.status).toBe('tampered');
    expect(added.findings.some((f) => f.kind === 'file-added' && f.file === 'extra_layers.json')).toBe(true);
    const removed = await compareInProcess(model({ 'trainer_state.json': utf8('{}') }), model());
    expect(removed.verdict.status).toBe('clean');
    expect(removed.findings.some((f) => f.kind === 'file-removed' && f.file === 'trainer_state.json')).toBe(true);
  });

  it('an ONNX / Keras / TFLite file is unsupported_format on both sides: inconclusive, never clean', async () => {
    for (const name of ['model.onnx', 'model.h5', 'model.keras', 'model.tflite']) {
      const bytes = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
      const r = await compareInProcess({ [name]: bytes }, { [name]: bytes.map((b, i) => (i === 100 ? b ^ 1 : b)) });
      expect(r.verdict.status, name).toBe('inconclusive');
      expect(r.findings.some((f) => f.kind === 'parse-error' && f.details?.['code'] === 'unsupported_format'), name).toBe(true);
    }
  });
});
