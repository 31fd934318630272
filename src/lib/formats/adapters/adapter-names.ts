/**
 * Adapter tensor names → factor pairs (see types.ts for the product each naming stands for).
 *
 * - PEFT: `base_model.model.<module>.lora_A.weight` [r, in] + `.lora_B.weight` [out, r], also with an
 *   adapter name (`.lora_A.default.weight`, as in a model's state dict before `save_pretrained`
 *   strips it); embeddings `.lora_embedding_A` [r, V] + `.lora_embedding_B` [d, r]; DoRA adds
 *   `.lora_magnitude_vector`.
 * - mlx-lm: `<module>.lora_a` [in, r] + `<module>.lora_b` [r, out] (embeddings [V, r] + [r, d]).
 * - kohya-ss / diffusers: `<module>.lora_up.weight` + `.lora_down.weight` (+ scalar `<module>.alpha`);
 *   old diffusers attention processors `…processor.to_q_lora.up.weight`.
 * - cloneofsimo/lora safetensors: `<group>:<n>:up` / `:down`, indexed by injection order — no module
 *   name, so no base tensor can be named for them.
 * Anything else is counted and named in a note, never an error.
 */
import { numel, type TensorEntry } from '../manifest.ts';
import type { AdapterNaming, AdapterPair, FactorRef } from './types.ts';

/** Names listed in a note about tensors that are not part of a factor pair. */
const MAX_NAMES_IN_NOTE = 8;

interface Slot {
  naming: AdapterNaming;
  module: string;
  /** PEFT adapter name ("default") when the key carries one. */
  adapterName?: string;
  left?: TensorEntry;
  right?: TensorEntry;
}

/** Embedding modules: their MLX factors are not transposed (LoRAEmbedding), PEFT uses lora_embedding_*. */
const EMBEDDING_MODULE = /(?:^|\.)(?:embed_tokens|wte|tok_embeddings|word_embeddings|embeddings|embed_in|shared)$/;

export interface PairingResult {
  pairs: AdapterPair[];
  /** Tensors that belong to no pair (classifier heads saved whole, DoRA magnitudes, unknown names). */
  other: TensorEntry[];
  notes: string[];
  /** Naming families seen, for telling the format apart. */
  namings: Set<AdapterNaming | 'kohya-alpha' | 'dora-magnitude'>;
}

export function stripPeftPrefix(name: string): string {
  return name.startsWith('base_model.model.') ? name.slice('base_model.model.'.length) : name;
}

export function pairAdapterTensors(tensors: readonly TensorEntry[], options: { fanInFanOut?: boolean } = {}): PairingResult {
  const slots = new Map<string, Slot>();
  const other: TensorEntry[] = [];
  const alphas = new Map<string, TensorEntry>();
  const namings: PairingResult['namings'] = new Set();
  const notes: string[] = [];
  const slot = (key: string, naming: AdapterNaming, module: string, adapterName?: string): Slot => {
    let s = slots.get(key);
    if (!s) {
      s = { naming, module, ...(adapterName === undefined ? {} : { adapterName }) };
      slots.set(key, s);
    }
    return s;
  };
  const put = (s: Slot, side: 'left' | 'right', t: TensorEntry): void => {
    if (s[side]) other.push(t);
    else s[side] = t;
  };

  for (const t of tensors) {
    const name = t.name;
    let m: RegExpExecArray | null;
    if ((m = /^(.+)\.lora_([AB])(?:\.([^.]+))?\.weight$/.exec(name))) {
      const module = stripPeftPrefix(m[1] as string);
      const s = slot(`peft\u0000${module}\u0000${m[3] ?? ''}`, 'peft', module, m[3]);
      // Δ = B·A: B is the left factor, A the right one.
      put(s, m[2] === 'B' ? 'left' : 'right', t);
      namings.add('peft');
    } else if ((m = /^(.+)\.lora_embedding_([AB])(?:\.([^.]+))?$/.exec(name))) {
      const module = stripPeftPrefix(m[1] as string);
      const s = slot(`peft-embedding\u0000${module}\u0000${m[3] ?? ''}`, 'peft-embedding', module, m[3]);
      // Δ = (B·A)ᵀ = Aᵀ·Bᵀ: A (transposed) is the left factor.
      put(s, m[2] === 'A' ? 'left' : 'right', t);
      namings.add('peft-embedding');
    } else if (/\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$/.test(name)) {
      namings.add('dora-magnitude');
      other.push(t);
    } else if ((m = /^(.+)\.lora_([ab])$/.exec(name))) {
      const module = m[1] as string;
      const s = slot(`mlx\u0000${module}`, 'mlx', module);
      put(s, m[2] === 'b' ? 'left' : 'right', t);
      namings.add('mlx');
    } else if ((m = /^(.+)\.lora_(up|down)\.weight$/.exec(name))) {
      const module = m[1] as string;
      const s = slot(`up-down\u0000${module}`, 'up-down', module);
      put(s, m[2] === 'up' ? 'left' : 'right', t);
      namings.add('up-down');
    } else if ((m = /^(.+)_lora\.(up|down)\.weight$/.exec(name))) {
      // diffusers AttnProcessor LoRA: "<attn>.processor.to_q_lora.up.weight" modifies "<attn>.to_q.weight".
      const module = (m[1] as string).replace(/\.processor\.([^.]+)$/, '.$1');
      const s = slot(`up-down\u0000${module}`, 'up-down', module);
      put(s, m[2] === 'up' ? 'left' : 'right', t);
      namings.add('up-down');
    } else if ((m = /^(.+):(\d+):(up|down)$/.exec(name))) {
      const module = `${m[1] as string}:${m[2] as string}`;
      const s = slot(`indexed\u0000${module}`, 'indexed', module);
      put(s, m[3] === 'up' ? 'left' : 'right', t);
      namings.add('indexed');
    } else if ((m = /^(.+)\.alpha$/.exec(name)) && numel(t.shape) === 1) {
      alphas.set(m[1] as string, t);
      namings.add('kohya-alpha');
    } else {
      other.push(t);
    }
  }

  const pairs: AdapterPair[] = [];
  const unpaired: string[] = [];
  const inconsistent: string[] = [];
  for (const s of slots.values()) {
    if (!s.left || !s.right) {
      unpaired.push((s.left ?? s.right)?.name ?? s.module);
      continue;
    }
    const pair = makePair(s, s.left, s.right, options.fanInFanOut === true);
    if (typeof pair === 'string') {
      inconsistent.push(pair);
      continue;
    }
    const alpha = alphas.get(s.module);
    if (alpha) {
      pair.alphaTensor = alpha;
      alphas.delete(s.module);
    }
    pairs.push(pair);
  }
  for (const a of alphas.values()) other.push(a);
  if (unpaired.length) notes.push(`${unpaired.length} adapter factor${unpaired.length === 1 ? ' has' : 's have'} no partner (an A without its B, an up without its down): ${listNames(unpaired)}`);
  if (inconsistent.length) notes.push(`${inconsistent.length} factor pair${inconsistent.length === 1 ? '' : 's'} with shapes that do not multiply: ${inconsistent.slice(0, MAX_NAMES_IN_NOTE).join('; ')}${inconsistent.length > MAX_NAMES_IN_NOTE ? '; …' : ''}`);
  pairs.sort((x, y) => (x.module < y.module ? -1 : x.module > y.module ? 1 : 0));
  return { pairs, other, notes, namings };
}

export function listNames(names: readonly string[]): string {
  return names.slice(0, MAX_NAMES_IN_NOTE).join(', ') + (names.length > MAX_NAMES_IN_NOTE ? `, … (${names.length} in all)` : '');
}

/** Shapes → orientation and rank, or a sentence saying why the two factors do not form a product. */
function makePair(s: Slot, leftEntry: TensorEntry, rightEntry: TensorEntry, fanInFanOut: boolean): AdapterPair | string {
  let left: FactorRef;
  let right: FactorRef;
  let rank: number | undefined;
  const ls = leftEntry.shape;
  const rs = rightEntry.shape;
  const describe = (why: string): string => `${leftEntry.name} [${ls.join(', ')}] × ${rightEntry.name} [${rs.join(', ')}]: ${why}`;
  switch (s.naming) {
    case 'peft':
      // B [out, r, (1, 1)], A [r, in, (kh, kw)]; fan_in_fan_out swaps the product: Aᵀ·Bᵀ.
      rank = rs[0];
      if (ls[1] !== rank || !trailingOnes(ls, 2)) return describe('lora_B must be [out, r] with r = lora_A.shape[0]');
      if (fanInFanOut) {
        if (rs.length !== 2 || ls.length !== 2) return describe('fan_in_fan_out applies to 2-D weights only');
        left = { entry: rightEntry, transposed: true };
        right = { entry: leftEntry, transposed: true };
      } else {
        left = { entry: leftEntry, transposed: false };
        right = { entry: rightEntry, transposed: false };
      }
      break;
    case 'peft-embedding':
      // left = A [r, V] (transposed), right = B [d, r] (transposed).
      rank = ls[0];
      if (ls.length !== 2 || rs.length !== 2 || rs[1] !== rank) return describe('lora_embedding_A must be [r, V] and lora_embedding_B [d, r]');
      left = { entry: leftEntry, transposed: true };
      right = { entry: rightEntry, transposed: true };
      break;
    case 'mlx':
      // left = lora_b, right = lora_a. Linear: a [in, r], b [r, out] → both transposed. Embedding: a [V, r], b [r, d] → Δ = a·b.
      if (ls.length !== 2 || rs.length !== 2) return describe('mlx-lm factors are 2-D');
      rank = rs[1];
      if (ls[0] !== rank) return describe('lora_a must be [n, r] and lora_b [r, m]');
      if (EMBEDDING_MODULE.test(s.module)) {
        left = { entry: rightEntry, transposed: false };
        right = { entry: leftEntry, transposed: false };
      } else {
        left = { entry: leftEntry, transposed: true };
        right = { entry: rightEntry, transposed: true };
      }
      break;
    case 'up-down':
    case 'indexed':
      // up [out, r, (1, 1)], down [r, in, (kh, kw)].
      rank = rs[0];
      if (ls[1] !== rank || !trailingOnes(ls, 2)) return describe('up must be [out, r] with r = down.shape[0]');
      left = { entry: leftEntry, transposed: false };
      right = { entry: rightEntry, transposed: false };
      break;
  }
  if (rank === undefined || !Number.isInteger(rank) || rank < 1) return describe('no rank');
  const targets = s.naming === 'indexed' ? [] : [`${s.module}.weight`];
  return { module: s.module, targets, naming: s.naming, left, right, rank, scaleRule: 'not declared' };
}

function trailingOnes(shape: readonly number[], from: number): boolean {
  return shape.length >= from && shape.slice(from).every((d) => d === 1);
}

/** Rows of L and columns of R (the product's shape) for a pair. */
export function productShape(pair: Pick<AdapterPair, 'left' | 'right' | 'rank'>): { rows: number; cols: number } {
  const l = pair.left;
  const r = pair.right;
  const rows = l.transposed ? numel(l.entry.shape) / pair.rank : (l.entry.shape[0] as number);
  const cols = r.transposed ? (r.entry.shape[0] as number) : numel(r.entry.shape) / pair.rank;
  return { rows, cols };
}
