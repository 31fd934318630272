/**
 * Counterfactual reverts: put known-good tensors back into the suspect, one tensor (or one whole
 * block) at a time, re-run the probe, and measure how much of the divergence disappears. Then find
 * a small set that restores the known-good behaviour: greedy by rank (add candidates until the
 * behaviour is restored), then pruned (drop any member whose removal keeps it restored).
 *
 * "Restores" means: when the known-good and the suspect continue the probe differently, the
 * reverted suspect's greedy continuation equals the known-good's token for token; when they
 * continue identically (the probe shows no behaviour change), the reverted suspect's next-token
 * KL to the known-good is at most max(klThreshold, 10 % of the suspect's).
 *
 * Weights are never reloaded: the suspect runner switches between overlays of already-resident
 * buffers (./weight-provider.ts OverlayWeights). Cost: one prefill plus the continuation per run;
 * `maxRuns` bounds the total (per-block reverts first, then single tensors of the best blocks).
 */
import { SleuthError } from '../formats/errors.ts';
import type { ForwardCapture } from './model.ts';
import { continuationText, divergence, klDivergence, logSoftmax, runModel, stopIdsOf, stopperOf, tokenTextOf, type ProbeRun } from './probe.ts';
import type { ActivationSession } from './session.ts';
import { storedTensors } from './spec.ts';
import type { RevertCandidate, RevertReport } from './types.ts';
import { OverlayWeights } from './weight-provider.ts';

export interface RevertOptions {
  maxNewTokens: number;
  stopSequences?: readonly string[];
  /** KL (nats) at or below which a revert restores the known-good, when continuations already agree. */
  klThreshold?: number;
  /** Upper bound on forward runs (each a prefill plus the continuation). */
  maxRuns?: number;
  onRun?: (done: number, total: number, what: string) => void;
  signal?: AbortSignal;
}

export const DEFAULT_KL_THRESHOLD = 0.01;
const DEFAULT_MAX_RUNS = 96;
/** Individual tensors are tried for at most this many of the best blocks when there are many changes. */
const TOP_BLOCKS_FOR_TENSORS = 3;
const MAX_SINGLE_TENSORS = 48;

function layerOf(name: string): number | undefined {
  const m = /(?:^|\.)(?:layers|h)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
}

function meanFinalRelL2(kg: ForwardCapture, other: ForwardCapture, layers: number, T: number, D: number): number {
  const { relL2 } = divergence(kg.hidden, other.hidden, layers, T, D);
  return relL2.reduce((s, x) => s + x, 0) / Math.max(1, relL2.length);
}

export async function runReverts(session: ActivationSession, tokens: readonly number[], probe: ProbeRun, changedTensors: readonly string[], options: RevertOptions): Promise<RevertReport> {
  const spec = session.spec;
  const runner = session.suspectRunner;
  const suspectWeights = session.suspectWeights;
  const text = tokenTextOf(session);
  const stop = stopIdsOf(session);
  const stopper = stopperOf(session, options.stopSequences);
  const used = new Set(storedTensors(spec));
  const changed = [...new Set(changedTensors)].filter((t) => used.has(t));
  const ignored = [...new Set(changedTensors)].filter((t) => !used.has(t));
  const T = tokens.length;
  const D = spec.hidden;
  const lpKg = logSoftmax(probe.knownGoodLogits);
  const klSuspect = klDivergence(lpKg, logSoftmax(probe.suspectLogits));
  const relSuspect = meanFinalRelL2(probe.knownGoodCapture, probe.suspectCapture, spec.layers, T, D);
  const kgCont = probe.report.continuation.knownGood.ids;
  const behaviourDiffers = !probe.report.continuation.equal;
  const klThreshold = Math.max(options.klThreshold ?? DEFAULT_KL_THRESHOLD, 0.1 * klSuspect);
  const criterion = behaviourDiffers
    ? `the reverted suspect's greedy continuation (up to ${options.maxNewTokens} tokens${options.stopSequences?.length ? `, stopping at ${options.stopSequences.map((x) => JSON.stringify(x)).join(' or ')}` : ''}) equals the known-good's`
    : `the reverted suspect's next-token KL to the known-good is ≤ ${klThreshold.toPrecision(3)} nats (continuations already agree)`;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  let runs = 0;

  const evaluate = async (set: readonly string[]): Promise<Omit<RevertCandidate, 'target' | 'kind'>> => {
    if (options.signal?.aborted) throw new SleuthError('cancelled', 'The activation analysis was cancelled');
    runs++;
    runner.weights = new OverlayWeights(suspectWeights, session.knownGoodWeights, new Set(set));
    try {
      const r = await runModel(runner, tokens, behaviourDiffers ? kgCont.length : 0, stop, stopper);
      const kl = klDivergence(lpKg, logSoftmax(r.logits));
      const rel = meanFinalRelL2(probe.knownGoodCapture, r.capture, spec.layers, T, D);
      const restores = behaviourDiffers ? r.continuation.join() === kgCont.join() : kl <= klThreshold;
      return {
        tensors: [...set],
        kl: Number(kl.toPrecision(6)),
        explained: klSuspect > 0 ? Number((1 - kl / klSuspect).toPrecision(6)) : 0,
        explainedResidual: relSuspect > 0 ? Number((1 - rel / relSuspect).toPrecision(6)) : 0,
        continuation: { ids: r.continuation, text: continuationText(session, r.continuation, text) },
        restores,
      };
    } finally {
      runner.weights = suspectWeights;
    }
  };

  // Candidates: every changed block as a whole, then single tensors (all, or those of the best blocks).
  const byLayer = new Map<number, string[]>();
  const outside: string[] = [];
  for (const t of changed) {
    const l = layerOf(t);
    if (l === undefined) outside.push(t);
    else byLayer.set(l, [...(byLayer.get(l) ?? []), t]);
  }
  const ranking: RevertCandidate[] = [];
  const plannedLayers = [...byLayer.keys()].sort((a, b) => a - b).filter((l) => (byLayer.get(l)?.length ?? 0) > 1);
  const estimate = (): number => Math.min(maxRuns, plannedLayers.length + changed.length + 8);
  for (const l of plannedLayers) {
    if (runs >= maxRuns) break;
    options.onRun?.(runs, estimate(), `layer ${l}`);
    ranking.push({ target: `layer ${l}`, kind: 'layer', ...(await evaluate(byLayer.get(l) ?? [])) });
  }
  let singles = changed;
  if (changed.length > MAX_SINGLE_TENSORS) {
    const best = ranking
      .filter((c) => c.kind === 'layer')
      .sort((a, b) => b.explained - a.explained)
      .slice(0, TOP_BLOCKS_FOR_TENSORS)
      .map((c) => Number(c.target.slice(6)));
    singles = [...outside, ...best.flatMap((l) => byLayer.get(l) ?? [])];
  }
  for (const t of singles) {
    if (runs >= maxRuns) break;
    options.onRun?.(runs, estimate(), t);
    ranking.push({ target: t, kind: 'tensor', ...(await evaluate([t])) });
  }
  const order = (a: RevertCandidate, b: RevertCandidate): number => Number(b.restores) - Number(a.restores) || b.explained - a.explained || b.explainedResidual - a.explainedResidual || (a.target < b.target ? -1 : 1);
  ranking.sort(order);

  // Minimal set over single tensors: greedy by rank until restored, then prune.
  let minimalSet: RevertReport['minimalSet'] = null;
  const singleRank = ranking.filter((c) => c.kind === 'tensor');
  const untried = changed.filter((t) => !singleRank.some((c) => c.target === t));
  const order2 = [...singleRank.map((c) => c.target), ...untried];
  if (order2.length > 0) {
    let set: string[] = [];
    let last: Omit<RevertCandidate, 'target' | 'kind'> | undefined;
    const firstRestoring = singleRank.find((c) => c.restores);
    if (firstRestoring) {
      set = [firstRestoring.target];
      last = firstRestoring;
    } else {
      for (const t of order2) {
        if (runs >= maxRuns) break;
        set.push(t);
        options.onRun?.(runs, estimate(), `set of ${set.length}`);
        last = await evaluate(set);
        if (last.restores) break;
      }
      if (last?.restores === true && set.length > 1) {
        for (const t of [...set].reverse()) {
          if (runs >= maxRuns || set.length === 1) break;
          const without = set.filter((x) => x !== t);
          options.onRun?.(runs, estimate(), `without ${t}`);
          const r = await evaluate(without);
          if (r.restores) {
            set = without;
            last = r;
          }
        }
      }
    }
    if (last !== undefined) minimalSet = { tensors: set, restores: last.restores, kl: last.kl, continuation: last.continuation };
  }
  options.onRun?.(runs, runs, 'done');
  return { changedTensors: changed, ignored, ranking, minimalSet, criterion, runs };
}
