/**
 * Regression (issue 5: "nothing unparsed may yield clean"): when the read that hashes a whole file
 * fails — in the browser, Chromium's NotReadableError for a picked file changed on disk
 * (BlobSource → file_changed) — while every tensor read succeeded, the verdict must not be clean.
 * run-job.ts records the failure with its side, compare.ts forwards it, build-report.ts makes it an
 * input problem of that side (CLI exit 2) and an inconclusive parse-error finding.
 */
import { expect, it } from 'vitest';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { MemorySource, type ByteSource } from '../../../src/lib/io/byte-source.ts';
import { SleuthError } from '../../../src/lib/formats/errors.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';

it('a whole-file hash read that fails with file_changed makes the verdict inconclusive, not clean', async () => {
  const bytes = buildSafetensors([
    { name: 'a.weight', dtype: 'F32', shape: [64, 64], data: f32Bytes(new Array<number>(4096).fill(0.5)) },
    { name: 'b.weight', dtype: 'F32', shape: [64, 64], data: f32Bytes(new Array<number>(4096).fill(0.25)) },
  ]);
  // Offset 0 is read by the header parser first, then only by the whole-file hash: fail that one,
  // as Chromium does once the picked file changed on disk.
  let fromStart = 0;
  const changing: ByteSource = {
    path: 'model.safetensors',
    size: bytes.byteLength,
    read(offset, length) {
      if (offset === 0 && ++fromStart > 1 && length > 64) return Promise.reject(new SleuthError('file_changed', 'model.safetensors changed on disk after it was selected', { file: 'model.safetensors', offset }));
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
  const runner = new InProcessRunner({ knownGood: [new MemorySource('model.safetensors', bytes)], suspect: [changing] }, createNodeSha256, new CpuEngine(), { concurrency: 2 });
  const report = await compareModels(runner, { toolVersion: 'test' });
  expect(fromStart).toBeGreaterThan(1);
  expect(report.verdict.status).toBe('inconclusive');
});
