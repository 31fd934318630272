/**
 * CPU twin of shaders/stats.wgsl: value statistics of one chunk, merged into `acc`.
 *
 * Two exact strategies:
 * - 8- and 16-bit types (BF16, F16, F8, I16, U16, I8, U8, BOOL — most model weights): count how
 *   often each bit pattern occurs (one table increment per element, ~1 ns), then fold the ≤ 65,536
 *   distinct patterns into the sums. Exact in f64 up to the final additions, and 5–10× faster than
 *   decoding every element.
 * - wider types: decode, then one pass with the histogram bin read from a 512-entry table indexed
 *   by sign and exponent bits.
 * Sums are f64; the GPU kernel sums per 256-element block in f32 (tolerance in shaders/stats.wgsl;
 * agreement tests in tests/engine-cases/agreement.ts).
 */
import { DTYPES, type DType } from '../../formats/dtype.ts';
import { aligned, decodeChunk, e4m3ToNumber, e5m2ToNumber, e8m0ToNumber, f16BitsToF32Bits, type DecodedChunk } from './decode.ts';
import { EXP_BIN_TABLE, HIST_BINS, histBin, histBinOfF32Bits, type StatsAccumulator } from '../stats.ts';

const EXP_BIN = EXP_BIN_TABLE;

/** Pattern → decoded value, for every 8/16-bit dtype the engine decodes. */
const patternTables = new Map<DType, Float32Array>();
function patternTable(dtype: DType): Float32Array | undefined {
  const cached = patternTables.get(dtype);
  if (cached) return cached;
  let t: Float32Array;
  switch (dtype) {
    case 'BF16': {
      t = new Float32Array(65536);
      const u = new Uint32Array(t.buffer);
      for (let p = 0; p < 65536; p++) u[p] = p << 16;
      break;
    }
    case 'F16': {
      t = new Float32Array(65536);
      const u = new Uint32Array(t.buffer);
      for (let p = 0; p < 65536; p++) u[p] = f16BitsToF32Bits(p);
      break;
    }
    case 'I16':
      t = Float32Array.from({ length: 65536 }, (_, p) => (p << 16) >> 16);
      break;
    case 'U16':
      t = Float32Array.from({ length: 65536 }, (_, p) => p);
      break;
    case 'I8':
      t = Float32Array.from({ length: 256 }, (_, p) => (p << 24) >> 24);
      break;
    case 'U8':
    case 'BOOL':
      t = Float32Array.from({ length: 256 }, (_, p) => p);
      break;
    case 'F8_E4M3':
      t = Float32Array.from({ length: 256 }, (_, p) => e4m3ToNumber(p));
      break;
    case 'F8_E5M2':
      t = Float32Array.from({ length: 256 }, (_, p) => e5m2ToNumber(p));
      break;
    case 'F8_E8M0':
      t = Float32Array.from({ length: 256 }, (_, p) => e8m0ToNumber(p));
      break;
    default:
      return undefined;
  }
  patternTables.set(dtype, t);
  return t;
}

let counts16: Uint32Array | undefined;

/** True when the statistics of `dtype` come from bit-pattern counts (8/16-bit plain types). */
export function hasPatternStats(dtype: DType): boolean {
  return DTYPES[dtype].blockElements === 1 && DTYPES[dtype].blockBytes <= 2 && patternTable(dtype) !== undefined;
}

/** Statistics straight from raw bytes (the engine's entry point). */
export function accumulateStatsRawCpu(bytes: Uint8Array, dtype: DType, count: number, acc: StatsAccumulator): void {
  const size = DTYPES[dtype].blockBytes;
  const table = DTYPES[dtype].blockElements === 1 && size <= 2 ? patternTable(dtype) : undefined;
  if (!table) {
    accumulateStatsCpu(decodeChunk(bytes, dtype, count), acc);
    return;
  }
  const counts = (counts16 ??= new Uint32Array(65536));
  const patterns = table.length;
  counts.fill(0, 0, patterns);
  if (size === 2) {
    const src = aligned(bytes, 2);
    const p = new Uint16Array(src.buffer, src.byteOffset, count);
    for (let i = 0; i < count; i++) {
      const k = p[i] as number;
      counts[k] = (counts[k] as number) + 1;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const k = bytes[i] as number;
      counts[k] = (counts[k] as number) + 1;
    }
  }
  foldPatternCounts(counts, table, acc, count);
}

function foldPatternCounts(counts: Uint32Array, table: Float32Array, acc: StatsAccumulator, total: number): void {
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
  const bits = new Uint32Array(table.buffer, table.byteOffset, table.length);
  for (let p = 0; p < table.length; p++) {
    const c = counts[p] as number;
    if (c === 0) continue;
    const x = table[p] as number;
    if (x !== x) {
      nan += c;
      continue;
    }
    const bin = histBinOfF32Bits(bits[p] as number);
    hist[bin] = (hist[bin] as number) + c;
    if (x === Infinity) {
      posInf += c;
      continue;
    }
    if (x === -Infinity) {
      negInf += c;
      continue;
    }
    finite += c;
    if (x === 0) {
      zeros += c;
      continue;
    }
    const x2 = x * x;
    sum += c * x;
    sumSq += c * x2;
    sumCube += c * x2 * x;
    sumQuad += c * x2 * x2;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (zeros > 0) {
    if (0 < min) min = 0;
    if (0 > max) max = 0;
  }
  acc.count += total;
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

/** Statistics of already-decoded values (used when the values are decoded anyway, e.g. in diff). */
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
    if (x - x !== 0) {
      // NaN or ±Inf (x - x is NaN for both)
      if (x !== x) nan++;
      else {
        const bin = x > 0 ? HIST_BINS - 1 : 2 * HIST_BINS - 1;
        hist[bin] = (hist[bin] as number) + 1;
        if (x > 0) posInf++;
        else negInf++;
      }
      continue;
    }
    let bin: number;
    if (f32bits) {
      const u = f32bits[i] as number;
      bin = (u & 0x7fffffff) === 0 ? (u >>> 31) * HIST_BINS : (EXP_BIN[u >>> 23] as number);
    } else bin = histBin(x);
    hist[bin] = (hist[bin] as number) + 1;
    finite++;
    if (x === 0) {
      zeros++;
      if (x < min) min = x;
      if (x > max) max = x;
      continue;
    }
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
