/**
 * Names every tensor of an unpickled value by its key path, the way `model.load_state_dict`
 * would see it: dict and OrderedDict keys (filled by SETITEM(S), or passed as a list of pairs in
 * protocol-0/1 OrderedDict([...]) calls) and list/tuple indices, joined with dots. Wrapping dicts
 * stay in the name (`{'state_dict': {...}}` gives "state_dict.fc.weight").
 *
 * Objects other than mappings are entered through their BUILD state (a full `torch.save(model)`
 * or a TorchScript module): for those, nn.Module's bookkeeping attributes `_parameters`,
 * `_buffers` and `_modules` are left out of the name, so a pickled module yields the same names as
 * its state dict ("fc.weight", not "_modules.fc._parameters.weight"). A mapping's own BUILD state
 * (an OrderedDict's `_metadata` attribute) is never entered.
 *
 * The value graph shares nodes (memo) and may contain cycles, so the walk keeps the current path
 * to break cycles, and a node budget and a depth cap against exponential sharing and deep nesting.
 * Only containers that hold a tensor somewhere below them are entered (computed once per node,
 * iteratively), so plain data — however deep or however shared — costs one pass; a container
 * that does hold tensors is entered by at most MAX_PATHS_PER_VALUE paths. Together these bound a
 * memo "billion laughs" (a few hundred bytes whose paths to one tensor number 10^12) to a few
 * thousand visits, where walking every path ran out of memory. A tensor reached by two paths (tied
 * weights) gets both names. Tensors not reachable from the returned value are still listed,
 * under "<unreferenced@offset>".
 */
import type { Severity } from './findings.ts';
import { asSequence, globalName, latin1, type PObject, type PValue, type TensorRecord } from './values.ts';

export interface NamedTensor {
  /** Dotted key path ("model.layers.0.weight"); "<root>" when the pickle is a single tensor. */
  name: string;
  path: string[];
  tensor: TensorRecord;
}

const MODULE_ATTRIBUTES = new Set(['_parameters', '_buffers', '_modules']);
const MAPPING_CONSTRUCTORS = new Set(['collections.OrderedDict', 'builtins.dict', '__builtin__.dict', 'collections.defaultdict']);
const PARAMETER_WRAPPERS = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state', 'torch.nn.parameter.Parameter']);

/** Paths through which one tensor-holding container is entered. Real checkpoints share a module or
 *  a tensor by 2–3 paths (tied weights, a model saved with its EMA copy); no writer shares one 16
 *  times, while a memo amplification bomb shares each level by its whole fan-out. */
export const MAX_PATHS_PER_VALUE = 16;

export function locateTensors(
  root: PValue | undefined,
  tensorObjects: readonly PObject[],
  limits: { walkDepth: number; walkNodes: number },
): { tensors: NamedTensor[]; anomalies: { code: 'unreferenced-tensor' | 'walk-limit'; severity: Severity; message: string; offset: number }[] } {
  const tensors: NamedTensor[] = [];
  const anomalies: { code: 'unreferenced-tensor' | 'walk-limit'; severity: Severity; message: string; offset: number }[] = [];
  const reached = new Set<PObject>();
  const onPath = new Set<PValue>();
  let nodes = 0;
  let stopped = false;
  let deepReported = false;
  let sharedReported = false;
  const holdsTensor = tensorHolders(root);
  const entered = new Map<PValue, number>();
  /** False when `v` holds no tensor (skip it) or was entered by MAX_PATHS_PER_VALUE paths already. */
  const enter = (v: PValue, path: string[]): boolean => {
    if (!holdsTensor.has(v)) return false;
    const n = (entered.get(v) ?? 0) + 1;
    entered.set(v, n);
    if (n <= MAX_PATHS_PER_VALUE) return true;
    if (!sharedReported) {
      sharedReported = true;
      anomalies.push({
        code: 'walk-limit',
        severity: 'high',
        offset: 0,
        message: `A value holding tensors is reached by more than ${MAX_PATHS_PER_VALUE} key paths (at "${path.slice(0, 8).join('.')}…"): a memo amplification ("billion laughs") structure; its tensors are named by the first ${MAX_PATHS_PER_VALUE} paths only`,
      });
    }
    return false;
  };

  const emit = (obj: PObject, path: string[]): void => {
    reached.add(obj);
    const tensor = obj.tensor;
    if (tensor) tensors.push({ name: path.length === 0 ? '<root>' : path.join('.'), path, tensor });
  };

  const visit = (v: PValue, path: string[], depth: number): void => {
    if (stopped) return;
    if (++nodes > limits.walkNodes) {
      stopped = true;
      anomalies.push({ code: 'walk-limit', severity: 'high', offset: 0, message: `The unpickled value has more than ${limits.walkNodes} nodes along its paths (shared references multiply them); tensors past that point are not named` });
      return;
    }
    if (v.t === 'object' && v.tensor) {
      emit(v, path);
      return;
    }
    if (onPath.has(v) || !enter(v, path)) return; // a cycle, plain data, or shared too often
    if (depth > limits.walkDepth) {
      // Only containers that hold tensors get here: a tensor is hidden below this depth.
      if (!deepReported) {
        deepReported = true;
        anomalies.push({ code: 'walk-limit', severity: 'high', offset: 0, message: `A tensor nests deeper than ${limits.walkDepth} levels in the unpickled value (at "${path.slice(0, 8).join('.')}…"; real state dicts nest fewer than 10); it is not named by its key path` });
      }
      return;
    }
    switch (v.t) {
      case 'object': {
        onPath.add(v);
        const ctor = globalName(v.callee);
        if (v.entries || v.items || (ctor !== undefined && MAPPING_CONSTRUCTORS.has(ctor))) {
          // A mapping (OrderedDict & co.): its items, never its BUILD state (`_metadata`).
          const pairs = asSequence(v.args[ctor === 'collections.defaultdict' ? 1 : 0]);
          if (pairs && ctor !== undefined && MAPPING_CONSTRUCTORS.has(ctor)) visitPairs(pairs, path, depth);
          if (v.entries) visitEntries(v.entries, path, depth, false);
          if (v.items) v.items.forEach((x, i) => visit(x, [...path, String(i)], depth + 1));
        } else if (v.state) {
          visitState(v.state, path, depth);
        }
        onPath.delete(v);
        return;
      }
      case 'dict':
        onPath.add(v);
        visitEntries(v.entries, path, depth, false);
        onPath.delete(v);
        return;
      case 'list':
      case 'tuple':
      case 'set':
        onPath.add(v);
        v.items.forEach((x, i) => visit(x, [...path, String(i)], depth + 1));
        onPath.delete(v);
        return;
      default:
        return;
    }
  };

  const visitState = (state: PValue, path: string[], depth: number): void => {
    if (state.t === 'dict') visitEntries(state.entries, path, depth, true);
    else if (state.t === 'tuple' && state.items.length === 2) {
      // (instance dict, slot dict) as copyreg / __reduce_ex__(2) write it.
      for (const part of state.items) if (part.t === 'dict') visitEntries(part.entries, path, depth, true);
    } else visit(state, path, depth + 1);
  };

  const visitEntries = (entries: [PValue, PValue][], path: string[], depth: number, attributes: boolean): void => {
    // Python keeps the last value of a repeated key; earlier ones are shadowed.
    const lastIndex = new Map<string, number>();
    const keys = entries.map(([k], i) => {
      const s = keySegment(k, i);
      lastIndex.set(s, i);
      return s;
    });
    entries.forEach(([, val], i) => {
      const key = keys[i] as string;
      if (lastIndex.get(key) !== i) return;
      if (attributes && MODULE_ATTRIBUTES.has(key)) visit(val, path, depth + 1);
      else visit(val, [...path, key], depth + 1);
    });
  };

  const visitPairs = (pairs: PValue[], path: string[], depth: number): void => {
    const entries: [PValue, PValue][] = [];
    for (const p of pairs) {
      const kv = asSequence(p);
      if (kv && kv.length === 2) entries.push([kv[0] as PValue, kv[1] as PValue]);
    }
    visitEntries(entries, path, depth, false);
  };

  if (root) visit(root, [], 0);

  // Tensors not reachable from the result (left on the stack, only in the memo, or the scan
  // stopped early): still located, under a synthetic name. A parameter wrapper's inner tensor is
  // the wrapper's, not a separate one.
  const inner = new Set<PValue>();
  for (const o of tensorObjects) {
    const fn = globalName(o.callee);
    if (fn !== undefined && PARAMETER_WRAPPERS.has(fn) && o.args[0]) inner.add(o.args[0]);
  }
  let unreferenced = 0;
  for (const o of tensorObjects) {
    if (reached.has(o) || inner.has(o)) continue;
    unreferenced++;
    emit(o, [`<unreferenced@${o.offset}>`]);
  }
  if (unreferenced > 0 && root) {
    anomalies.push({ code: 'unreferenced-tensor', severity: 'low', offset: 0, message: `${unreferenced} tensor(s) are rebuilt by the pickle but not part of the value it returns (listed as "<unreferenced@offset>")` });
  }
  return { tensors, anomalies };
}

/**
 * Containers (by identity) below which some tensor object lies, from `root`. Iterative post-order
 * (values may nest 10^4+ deep) over containers only — a tensor object is a leaf here, and scalars
 * are never visited. A child still pending is on a cycle, so a few extra passes in finish order
 * settle nodes whose only way to a tensor runs back through an ancestor.
 */
function tensorHolders(root: PValue | undefined): Set<PValue> {
  const holders = new Set<PValue>();
  if (!root || !isContainer(root)) return holders;
  const kidsOf = new Map<PValue, PValue[]>();
  const done = new Set<PValue>();
  const order: PValue[] = [];
  const stack: PValue[] = [root];
  const isHolder = (kids: readonly PValue[]): boolean => kids.some((k) => holders.has(k));
  while (stack.length > 0) {
    const v = stack[stack.length - 1] as PValue;
    if (done.has(v)) {
      stack.pop();
      continue;
    }
    if (v.t === 'object' && v.tensor) {
      stack.pop();
      done.add(v);
      holders.add(v);
      continue;
    }
    let kids = kidsOf.get(v);
    if (kids === undefined) {
      kids = childrenOf(v);
      kidsOf.set(v, kids);
      for (const k of kids) if (!kidsOf.has(k) && !done.has(k)) stack.push(k);
      continue;
    }
    stack.pop();
    done.add(v);
    order.push(v);
    if (isHolder(kids)) holders.add(v);
  }
  for (let pass = 0, changed = true; changed && pass < 8; pass++) {
    changed = false;
    for (const v of order) {
      if (!holders.has(v) && isHolder(kidsOf.get(v) ?? [])) {
        holders.add(v);
        changed = true;
      }
    }
  }
  return holders;
}

function isContainer(v: PValue): boolean {
  return v.t === 'object' || v.t === 'dict' || v.t === 'list' || v.t === 'tuple' || v.t === 'set';
}

/** The containers directly inside `v` (scalars, strings, globals and persistent ids hold no tensor). */
function childrenOf(v: PValue): PValue[] {
  const out: PValue[] = [];
  const add = (x: PValue | undefined): void => {
    if (x !== undefined && isContainer(x)) out.push(x);
  };
  switch (v.t) {
    case 'object':
      for (const x of v.args) add(x);
      add(v.kwargs);
      add(v.state);
      if (v.items) for (const x of v.items) add(x);
      if (v.entries) for (const [k, x] of v.entries) {
        add(k);
        add(x);
      }
      break;
    case 'dict':
      for (const [k, x] of v.entries) {
        add(k);
        add(x);
      }
      add(v.state);
      break;
    case 'list':
    case 'tuple':
    case 'set':
      for (const x of v.items) add(x);
      break;
    default:
      break;
  }
  return out;
}

function keySegment(k: PValue, index: number): string {
  switch (k.t) {
    case 'str':
      return k.v;
    case 'int':
      return String(k.v);
    case 'bool':
      return k.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'float':
      return String(k.v);
    case 'bytes':
      return k.data ? latin1(k.data) : `<bytes#${index}>`;
    case 'tuple':
      return k.items.map((x, i) => keySegment(x, i)).join(',');
    default:
      return `<key#${index}>`;
  }
}
