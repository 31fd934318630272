/**
 * CPU twin of shaders/stats.wgsl: value statistics of one decoded chunk, merged into `acc`.
 * Sums are accumulated in f64 per 1024-element block then added to the totals, the same grouping
 * the GPU kernel uses (it sums blocks in f32 — see tests/browser/kernels.test.ts for tolerances).
 */
import type { DecodedChunk } from './decode.ts';
import { histBin, histBinOfF32Bits, type StatsAccumulator } from '../stats.ts';

export function accumulateStatsCpu(chunk: DecodedChunk, acc: StatsAccumulator): void {
  const v = chunk.values;
  const n = chunk.count;
  let finite = 0;
  let sum = 0;
  let sumSq = 0;
  let sumCube = 0;
  let sumQuad = 0;
  let min = acc.min;
  let max = acc.max;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let zeros = 0;
  const hist = acc.hist;
  const f32bits = v instanceof Float32Array ? new Uint32Array(v.buffer, v.byteOffset, n) : undefined;
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    if (x !== x) {
      nan++;
      continue;
    }
    const bin = f32bits ? histBinOfF32Bits(f32bits[i] as number) : histBin(x);
    hist[bin] = (hist[bin] as number) + 1;
    if (x === Infinity) {
      posInf++;
      continue;
    }
    if (x === -Infinity) {
      negInf++;
      continue;
    }
    finite++;
    if (x === 0) zeros++;
    const x2 = x * x;
    sum += x;
    sumSq += x2;
    sumCube += x2 * x;
    sumQuad += x2 * x2;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  acc.count += n;
  acc.finite += finite;
  acc.sum += sum;
  acc.sumSq += sumSq;
  acc.sumCube += sumCube;
  acc.sumQuad += sumQuad;
  acc.min = min;
  acc.max = max;
  acc.nan += nan;
  acc.posInf += posInf;
  acc.negInf += negInf;
  acc.zeros += zeros;
}
