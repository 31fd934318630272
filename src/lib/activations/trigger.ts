/**
 * Trigger assist. A backdoor's trigger is often a rare token whose embedding row the attacker had
 * to train (or a token the tokenizer was changed to produce), so the comparison already points at
 * candidates: changed rows of the token embedding (their indices are token ids — REPORT.md
 * `changedRows` / `topRows[].token`), changed rows of the output head (tokens the model was pushed
 * to emit), and token ids named by tokenizer findings. Each candidate is inserted into a neutral
 * prompt (at its start, middle and just before its last token) and both models run; candidates are
 * ranked by the largest next-token KL divergence they cause and whether the greedy continuations
 * part ways.
 */
import { SleuthError } from '../formats/errors.ts';
import { isEmbeddingTensor, isUnembeddingTensor } from '../analysis/tokens.ts';
import type { ReportV1 } from '../report/types.ts';
import { continuationText, klDivergence, logSoftmax, stopIdsOf, stopperOf, tokenTextOf } from './probe.ts';
import type { ActivationSession } from './session.ts';
import type { TriggerCandidate, TriggerSweepReport } from './types.ts';

export const MAX_TRIGGER_CANDIDATES = 24;

export interface CandidateToken {
  id: number;
  source: TriggerCandidate['source'];
  reason: string;
}

/** Candidates from a comparison report: embedding rows first (by ‖Δ‖), then head rows, then tokenizer findings. */
export function triggerCandidates(report: Pick<ReportV1, 'tensors' | 'findings'>, vocab: number, max = MAX_TRIGGER_CANDIDATES): CandidateToken[] {
  const out: CandidateToken[] = [];
  const seen = new Set<number>();
  const add = (c: CandidateToken): void => {
    if (!Number.isInteger(c.id) || c.id < 0 || c.id >= vocab || seen.has(c.id) || out.length >= max) return;
    seen.add(c.id);
    out.push(c);
  };
  const rows = (pred: (n: string) => boolean, source: CandidateToken['source']): void => {
    for (const t of report.tensors) {
      if (!pred(t.name) || t.delta === undefined) continue;
      const top = [...t.delta.topRows].sort((a, b) => b.l2 - a.l2);
      for (const r of top) add({ id: r.index, source, reason: `${t.name} row ${r.index} changed (‖Δ‖ ${r.l2.toPrecision(3)})` });
      // Rows beyond the top list (small models list every changed row).
      if (t.delta.changedRows.length <= max) for (const r of t.delta.changedRows) add({ id: r, source, reason: `${t.name} row ${r} changed` });
    }
  };
  rows(isEmbeddingTensor, 'embedding-row');
  rows(isUnembeddingTensor, 'unembedding-row');
  for (const f of report.findings) {
    if (f.kind !== 'tokenizer-changed') continue;
    const entries = (f.details?.['entries'] ?? []) as unknown[];
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (typeof e !== 'object' || e === null) continue;
      const rec = e as Record<string, unknown>;
      const ids: unknown[] = [rec['id'], (rec['a'] as Record<string, unknown> | undefined)?.['id'], (rec['b'] as Record<string, unknown> | undefined)?.['id']];
      for (const id of ids) if (typeof id === 'number') add({ id, source: 'tokenizer', reason: `${f.file ?? 'tokenizer'}: ${String(f.details?.['change'] ?? 'changed')}` });
    }
  }
  return out;
}

export interface SweepOptions {
  maxNewTokens: number;
  stopSequences?: readonly string[];
  onRun?: (done: number, total: number, what: string) => void;
  signal?: AbortSignal;
}

/** Insertion points: after a leading BOS-like special token, in the middle, and before the last token. */
function insertionPoints(tokens: readonly number[], specials: ReadonlySet<number>): number[] {
  const start = tokens.length > 0 && specials.has(tokens[0] as number) ? 1 : 0;
  const pts = new Set<number>([start, Math.floor((start + tokens.length) / 2), Math.max(start, tokens.length - 1)]);
  return [...pts].sort((a, b) => a - b);
}

export async function runTriggerSweep(session: ActivationSession, neutral: { prompt: string | null; tokens: number[] }, candidates: readonly CandidateToken[], options: SweepOptions): Promise<TriggerSweepReport> {
  const text = tokenTextOf(session);
  const stop = stopIdsOf(session);
  const stopper = stopperOf(session, options.stopSequences);
  const specials = new Set((session.tokenizer?.hf.addedTokens ?? []).filter((t) => t.special).map((t) => t.id));
  const kg = session.knownGoodRunner;
  const su = session.suspectRunner;
  const run = async (tokens: number[]): Promise<{ kl: number; kgIds: number[]; suIds: number[] }> => {
    if (options.signal?.aborted) throw new SleuthError('cancelled', 'The activation analysis was cancelled');
    kg.reset();
    const a = await kg.forward(tokens);
    const kgIds = await kg.generate(tokens, options.maxNewTokens, stop, a.logits, stopper);
    su.reset();
    const b = await su.forward(tokens);
    const suIds = await su.generate(tokens, options.maxNewTokens, stop, b.logits, stopper);
    return { kl: klDivergence(logSoftmax(a.logits), logSoftmax(b.logits)), kgIds, suIds };
  };
  const points = insertionPoints(neutral.tokens, specials);
  const total = 1 + candidates.length * points.length;
  let done = 0;
  options.onRun?.(done, total, 'neutral prompt');
  const base = await run(neutral.tokens);
  done++;
  const out: TriggerCandidate[] = [];
  for (const c of candidates) {
    let best: TriggerCandidate | undefined;
    for (const at of points) {
      options.onRun?.(done, total, `${text(c.id)} at ${at}`);
      const tokens = [...neutral.tokens.slice(0, at), c.id, ...neutral.tokens.slice(at)];
      const r = await run(tokens);
      done++;
      const differs = r.kgIds.join() !== r.suIds.join();
      const cand: TriggerCandidate = {
        token: { id: c.id, text: text(c.id) },
        source: c.source,
        reason: c.reason,
        kl: Number(r.kl.toPrecision(6)),
        position: at,
        continuationDiffers: differs,
        knownGood: { ids: r.kgIds, text: continuationText(session, r.kgIds, text) },
        suspect: { ids: r.suIds, text: continuationText(session, r.suIds, text) },
      };
      if (best === undefined || Number(cand.continuationDiffers) > Number(best.continuationDiffers) || (cand.continuationDiffers === best.continuationDiffers && cand.kl > best.kl)) best = cand;
    }
    if (best) out.push(best);
  }
  out.sort((a, b) => Number(b.continuationDiffers) - Number(a.continuationDiffers) || b.kl - a.kl);
  options.onRun?.(total, total, 'done');
  return {
    neutralPrompt: neutral.prompt,
    neutralTokens: neutral.tokens.map((id) => ({ id, text: text(id) })),
    baselineKl: Number(base.kl.toPrecision(6)),
    baselineContinuationDiffers: base.kgIds.join() !== base.suIds.join(),
    candidates: out,
  };
}
