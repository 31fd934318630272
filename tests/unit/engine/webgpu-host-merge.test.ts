/**
 * The host-side rules of the WebGPU engine that need no GPU: rank keys and the choice of blocks
 * to re-decode for the exact top-k and max|Δ| (src/lib/engine/webgpu/host-merge.ts). Property
 * tests against a brute-force top-k over every element, with ties, values that share an f32 key,
 * and +Infinity magnitudes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KEY_INF, rankKeyOf, selectMaxAbsCandidates, selectTopCandidates, valueOfOrderKey, type DiffBlock } from '../../../src/lib/engine/webgpu/host-merge.ts';

interface Element {
  index: number;
  magnitude: number;
}

const BLOCK = 256;

function blockOf(index: number, elements: Element[], wide: boolean): DiffBlock {
  let finiteKey = 0n;
  let inf = 0;
  for (const e of elements) {
    if (e.magnitude === Infinity) inf++;
    else {
      const k = rankKeyOf(e.magnitude, wide);
      if (k > finiteKey) finiteKey = k;
    }
  }
  return { index, sumSqDelta: 0, dot: 0, sumSqA: 0, sumSqB: 0, changed: elements.length, nonFinite: inf, violations: 0, infCount: inf, finiteKey, hostFix: false, seg0: 0, rowSum0: 0, rowChanged0: 0, rowSum1: 0, rowChanged1: 0 };
}

function better(a: Element, b: Element): number {
  if (a.magnitude !== b.magnitude) return a.magnitude > b.magnitude ? -1 : 1;
  return a.index - b.index;
}

/**
 * Magnitudes that collide in f32 keys (1 + tiny), tie exactly, or are +Infinity. A nonzero |Δ| is
 * never below 2^-149: narrow pairs differ by multiples of it (and wide pairs rank by f64 bits).
 */
const magnitude = fc.oneof(
  fc.constantFrom(0, 0.5, 1, 1 + 2 ** -30, 1 + 2 ** -29, 1 + 2 ** -24, 2, 2 ** -149, Infinity),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((m) => (m !== 0 && m < 2 ** -149 ? 2 ** -149 : m)),
);

const blocksArb = fc.array(fc.array(magnitude, { minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 30 });

describe('rank keys', () => {
  it('are non-decreasing in the magnitude (narrow and wide)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true }), fc.double({ min: 0, noNaN: true }), fc.boolean(), (x, y, wide) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        expect(rankKeyOf(lo, wide) <= rankKeyOf(hi, wide)).toBe(true);
      }),
    );
    expect(rankKeyOf(Infinity, false)).toBe(KEY_INF);
    expect(rankKeyOf(3.5e38, false) < KEY_INF).toBe(true); // f32 overflow of a finite |Δ| stays finite
  });

  it('decode order keys back to values, zero sign from the first zero', () => {
    expect(Object.is(valueOfOrderKey(0, 0x80000000, false, 1), -0)).toBe(true);
    expect(Object.is(valueOfOrderKey(0, 0x80000000, true, 4), 0)).toBe(true);
    expect(valueOfOrderKey(0, 0x3f800000 | 0x80000000, false, 0xffffffff)).toBe(1);
    expect(valueOfOrderKey(0, ~0xbf800000 >>> 0, false, 0xffffffff)).toBe(-1);
    expect(valueOfOrderKey(0xffffffff, 0x7fefffff | 0x80000000, true, 0xffffffff)).toBe(Number.MAX_VALUE);
  });
});

describe('candidate blocks for the exact top-k', () => {
  it('hold every element of the brute-force top-k, with and without a running threshold', () => {
    fc.assert(
      fc.property(blocksArb, fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.array(magnitude, { maxLength: 40 }), (mags, k, wide, previous) => {
        const elements: Element[][] = mags.map((ms, b) => ms.map((m, i) => ({ index: 1000 + b * BLOCK + i, magnitude: m })));
        const blocks = elements.map((es, b) => blockOf(b, es, wide));
        // A running top list from an earlier chunk (smaller indices), full or not.
        const prev = previous.map((m, i) => ({ index: i, magnitude: m })).sort(better).slice(0, k);
        const threshold = prev.length >= k ? { magnitude: (prev[prev.length - 1] as Element).magnitude, wide } : undefined;
        const chosen = new Set(selectTopCandidates(blocks, k, threshold).map((b) => b.index));
        const all = [...prev, ...elements.flat()].sort(better).slice(0, k);
        for (const e of all) {
          if (e.index < 1000) continue;
          expect(chosen.has(Math.floor((e.index - 1000) / BLOCK))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('stop early: ties at +Infinity are settled by index, distinct keys by rank', () => {
    const inf = (index: number, n: number): DiffBlock => blockOf(index, Array.from({ length: n }, (_, i) => ({ index: index * BLOCK + i, magnitude: Infinity })), false);
    const blocks = [inf(0, 3), inf(1, 3), inf(2, 3), blockOf(3, [{ index: 3 * BLOCK, magnitude: 5 }], false)];
    expect(selectTopCandidates(blocks, 5, undefined).map((b) => b.index)).toEqual([0, 1]);
    const finite = [1, 2, 3, 4].map((m, i) => blockOf(i, [{ index: i * BLOCK, magnitude: m }], false));
    expect(selectTopCandidates(finite, 2, undefined).map((b) => b.index)).toEqual([3, 2]);
    expect(selectTopCandidates(finite, 2, { magnitude: Infinity, wide: false })).toEqual([]);
  });
});

describe('candidate blocks for max|Δ|', () => {
  it('include the block holding the largest finite magnitude when it can beat the running max', () => {
    fc.assert(
      fc.property(blocksArb, fc.double({ min: 0, max: 1e6, noNaN: true }), fc.boolean(), (mags, current, wide) => {
        const blocks = mags.map((ms, b) => blockOf(b, ms.map((m, i) => ({ index: b * BLOCK + i, magnitude: m })), wide));
        let best = -1;
        let where = -1;
        mags.forEach((ms, b) =>
          ms.forEach((m) => {
            if (m !== Infinity && m > best) {
              best = m;
              where = b;
            }
          }),
        );
        const chosen = selectMaxAbsCandidates(blocks, current, wide).map((b) => b.index);
        if (best > current && best > 0) expect(chosen).toContain(where);
      }),
      { numRuns: 500 },
    );
  });
});
