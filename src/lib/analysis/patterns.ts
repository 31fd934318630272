/**
 * Model-level patterns in words (issue 4 item 2): from the per-tensor edit kinds, what kind of
 * operation the changes look like — a merged LoRA, a ROME/MEMIT fact edit, a full fine-tune, bit
 * flips, token-row rewrites, a cast or quantization — so a responder knows which part of the
 * supply chain to investigate. Each sentence says what was seen, then what it is consistent with;
 * it never claims more than the evidence.
 */
import type { ReportTensor } from '../report/types.ts';
import { isTokenRowTensor } from './tokens.ts';

const LAYER = /(?:^|\.)(?:layers|h|blocks|blk|layer)\.(\d+)\./;

interface Parsed {
  t: ReportTensor;
  layer: number | undefined;
  module: string;
}

function parse(t: ReportTensor): Parsed {
  const m = LAYER.exec(t.name);
  const layer = m ? Number(m[1]) : undefined;
  const after = m ? t.name.slice((m.index ?? 0) + m[0].length) : t.name;
  const module = after.replace(/\.weight$|\.bias$/, '');
  return { t, layer, module };
}

/** "1–2", "3", "0, 4, 9" */
export function layerRange(layers: readonly number[]): string {
  const s = [...new Set(layers)].sort((a, b) => a - b);
  if (s.length === 0) return '';
  const runs: string[] = [];
  let start = s[0] as number;
  let prev = start;
  for (const x of s.slice(1)) {
    if (x === prev + 1) {
      prev = x;
      continue;
    }
    runs.push(start === prev ? `${start}` : `${start}–${prev}`);
    start = prev = x;
  }
  runs.push(start === prev ? `${start}` : `${start}–${prev}`);
  return runs.join(', ');
}

function shortModule(m: string): string {
  return m.replace(/^(self_attn|attention|attn|mlp|feed_forward)\./, '');
}

function describeModules(ps: readonly Parsed[]): string {
  const mods = [...new Set(ps.map((p) => shortModule(p.module)))].sort();
  const layers = ps.map((p) => p.layer).filter((l): l is number => l !== undefined);
  const where = layers.length ? ` of layer${new Set(layers).size === 1 ? '' : 's'} ${layerRange(layers)}` : '';
  return `${mods.slice(0, 4).join('/')}${mods.length > 4 ? '/…' : ''}${where}`;
}

export function describePatterns(tensors: readonly ReportTensor[]): string[] {
  const out: string[] = [];
  const changed = tensors.filter((t) => t.status !== 'identical').map(parse);
  if (changed.length === 0) return out;
  const kind = (p: Parsed): string | undefined => p.t.delta?.edit.kind;
  const matrices = tensors.filter((t) => (t.shape.knownGood ?? t.shape.suspect ?? []).length >= 2);

  const precision = changed.filter((p) => kind(p) === 'precision');
  if (precision.length === changed.length) {
    const to = [...new Set(precision.map((p) => p.t.dtype.suspect))].join(', ');
    out.push(`Every change is rounding: ${precision.length} tensor${precision.length === 1 ? '' : 's'} stored as ${to} — consistent with a dtype cast or quantization, not an edit of the weights.`);
    return out;
  }

  const real = changed.filter((p) => kind(p) !== 'precision');
  const dense = real.filter((p) => kind(p) === 'dense');
  const changedMatrices = real.filter((p) => (p.t.shape.knownGood ?? []).length >= 2);
  if (matrices.length >= 4 && changedMatrices.length >= 0.9 * matrices.length && dense.length >= 0.5 * changedMatrices.length) {
    out.push(`${changedMatrices.length} of ${matrices.length} weight matrices changed throughout: consistent with a full fine-tune (training on other data), not a targeted edit.`);
  } else {
    const lowRank = real.filter((p) => kind(p) === 'low-rank' || kind(p) === 'rank-1');
    const rank1 = real.filter((p) => kind(p) === 'rank-1');
    const mlpRank1 = rank1.filter((p) => /mlp|ffn|feed_forward|fc|dense_4h/.test(p.module));
    if (rank1.length > 0 && rank1.length === mlpRank1.length && rank1.length === lowRank.length && rank1.length <= 8) {
      out.push(
        rank1.length === 1
          ? `A single rank-1 change to ${describeModules(rank1)}: consistent with a ROME-style fact edit (one key→value association rewritten).`
          : `Rank-1 changes to the MLP of ${rank1.length} layers (${describeModules(rank1)}): consistent with a MEMIT-style multi-layer fact edit.`,
      );
    } else if (lowRank.length >= 2) {
      const maxRank = Math.max(...lowRank.map((p) => p.t.delta?.edit.rank ?? 1));
      out.push(`Low-rank (r ≤ ${maxRank}) changes on ${describeModules(lowRank)}: consistent with a merged LoRA adapter.`);
    } else if (lowRank.length === 1) {
      out.push(`A low-rank (r = ${lowRank[0]?.t.delta?.edit.rank ?? '?'}) change to ${describeModules(lowRank)}: a targeted edit (a merged adapter or a fact edit).`);
    }
    if (dense.length > 0 && dense.length < changedMatrices.length) {
      out.push(`${dense.length} tensor${dense.length === 1 ? '' : 's'} changed throughout (${describeModules(dense)}): retrained or replaced.`);
    }
  }

  const sparse = real.filter((p) => kind(p) === 'sparse');
  if (sparse.length > 0) {
    const elements = sparse.reduce((s, p) => s + (p.t.delta?.changedCount ?? 0), 0);
    const bitFlips = sparse.every((p) => (p.t.delta?.topElements ?? []).every((e) => (e.flippedBits?.length ?? 0) === 1));
    out.push(
      bitFlips
        ? `${elements} element${elements === 1 ? '' : 's'} in ${sparse.length} tensor${sparse.length === 1 ? '' : 's'} differ by exactly one bit each: consistent with bit-flip fault injection (e.g. Rowhammer) or deliberate corruption, not training.`
        : `${elements} isolated element${elements === 1 ? '' : 's'} changed in ${sparse.length} tensor${sparse.length === 1 ? '' : 's'} (${describeModules(sparse)}): a hand edit of individual weights.`,
    );
  }

  const rows = real.filter((p) => kind(p) === 'rows');
  const tokenRows = rows.filter((p) => isTokenRowTensor(p.t.name));
  if (tokenRows.length > 0) {
    const tokens = tokenRows.flatMap((p) => (p.t.delta?.topRows ?? []).filter((r) => r.token !== undefined).map((r) => `'${r.token ?? ''}'`));
    const count = tokenRows.reduce((s, p) => s + (p.t.delta?.changedRows.length ?? 0), 0);
    out.push(
      `${count} token row${count === 1 ? '' : 's'} of the ${tokenRows.map((p) => (/lm_head|output|embed_out/.test(p.t.name) ? 'output head' : 'embedding')).join(' and ')} rewritten${tokens.length ? ` (${[...new Set(tokens)].slice(0, 6).join(', ')})` : ''}: candidates for trigger tokens of a backdoor.`,
    );
  }
  const otherRows = rows.filter((p) => !isTokenRowTensor(p.t.name));
  if (otherRows.length > 0) out.push(`Whole rows rewritten in ${describeModules(otherRows)}: individual neurons replaced.`);

  const added = changed.filter((p) => p.t.status === 'added');
  const removed = changed.filter((p) => p.t.status === 'removed');
  const reshaped = changed.filter((p) => p.t.status === 'shape-changed');
  if (added.length) out.push(`${added.length} tensor${added.length === 1 ? '' : 's'} exist only in the suspect (${added.slice(0, 3).map((p) => p.t.name).join(', ')}${added.length > 3 ? ', …' : ''}): injected modules or an architecture change.`);
  if (removed.length) out.push(`${removed.length} tensor${removed.length === 1 ? '' : 's'} missing from the suspect: pruned or replaced parts.`);
  if (reshaped.length) out.push(`${reshaped.length} tensor${reshaped.length === 1 ? '' : 's'} changed shape: a different architecture or vocabulary size.`);
  return out;
}
