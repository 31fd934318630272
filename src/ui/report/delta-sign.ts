/**
 * Which way the Δ histogram points. The core bins Δ = suspect − known-good
 * (src/lib/engine/cpu/diff-kernel.ts: `d = y - x`, x from the known-good side), and a reader
 * expects "the suspect's value went up" to point up. The UI plots increases (suspect larger)
 * upward; the demo e2e test checks the direction on known bit flips, so a change of the core's
 * convention shows up as a failing test rather than a silently inverted chart.
 */
import { HIST_BINS } from '../../lib/engine/stats.ts';

export const CORE_DELTA_IS_KNOWN_GOOD_MINUS_SUSPECT = false;

export interface DeltaHalves {
  /** Counts per magnitude bin (0…63) where the suspect's value is larger. */
  increase: number[];
  /** … where it is smaller. */
  decrease: number[];
}

export function splitDeltaHistogram(hist: readonly number[]): DeltaHalves {
  const pos = Array.from({ length: HIST_BINS }, (_, k) => hist[k] ?? 0);
  const neg = Array.from({ length: HIST_BINS }, (_, k) => hist[k + HIST_BINS] ?? 0);
  return CORE_DELTA_IS_KNOWN_GOOD_MINUS_SUSPECT ? { increase: neg, decrease: pos } : { increase: pos, decrease: neg };
}

/** A value histogram (positive bins, then negative) folded to magnitudes. */
export function foldMagnitudes(hist: readonly number[] | undefined): number[] {
  return Array.from({ length: HIST_BINS }, (_, k) => (hist?.[k] ?? 0) + (hist?.[k + HIST_BINS] ?? 0));
}
