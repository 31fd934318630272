/**
 * The symbolic value model of the pickle reader. Nothing here is ever executed or imported:
 * a GLOBAL is a name, a REDUCE/NEWOBJ/INST/OBJ is a recorded call (`object`), BUILD attaches the
 * state to the recorded object, SETITEM(S)/APPEND(S) on a recorded object are kept as its
 * entries/items (that is how an OrderedDict is filled), and a persistent id is kept as data.
 *
 * Values are shared by reference exactly as the pickle memo shares them, so a memo reference
 * costs nothing and cycles are possible: anything that walks values must guard against both
 * (see locate-tensors.ts).
 */

export type PValue =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: number | bigint }
  /** An integer too large to convert (over MAX_PICKLE_INT_DIGITS); only its size is kept. */
  | { t: 'bigint'; digits: number }
  | { t: 'float'; v: number }
  | PStr
  | PBytes
  | PList
  | { t: 'tuple'; items: PValue[] }
  | PDict
  | { t: 'set'; frozen: boolean; items: PValue[] }
  | PGlobal
  | PObject
  | PPersistent
  /** A PickleBuffer passed out of band (protocol 5 NEXT_BUFFER). */
  | { t: 'buffer' }
  /** A value this reader cannot know (an EXT code, a missing memo entry, a stack underflow). */
  | { t: 'unknown'; why: string };

export interface PStr {
  t: 'str';
  /** The text, or its first MAX_PICKLE_KEPT_BYTES when `truncated`. */
  v: string;
  /** Length in bytes as encoded in the pickle. */
  byteLength: number;
  truncated: boolean;
}

export interface PBytes {
  t: 'bytes';
  byteLength: number;
  /** Absolute offset of the payload in the file. */
  offset: number;
  /** The payload when it is at most MAX_PICKLE_KEPT_BYTES. */
  data?: Uint8Array;
  bytearray: boolean;
}

export interface PList {
  t: 'list';
  items: PValue[];
}

export interface PDict {
  t: 'dict';
  entries: [PValue, PValue][];
  /** BUILD state applied to the dict (e.g. an OrderedDict's `_metadata` attribute). */
  state?: PValue;
}

export interface PGlobal {
  t: 'global';
  module: string;
  name: string;
  /** Absolute offset of the GLOBAL / STACK_GLOBAL / INST opcode. */
  offset: number;
}

export type CallKind = 'reduce' | 'newobj' | 'newobj_ex' | 'inst' | 'obj';

export interface PObject {
  t: 'object';
  how: CallKind;
  /** What was called (normally a `global`). */
  callee: PValue;
  args: PValue[];
  kwargs?: PValue;
  /** Absolute offset of the opcode that made the call. */
  offset: number;
  /** BUILD state (last one wins, as __setstate__ would see it). */
  state?: PValue;
  /** SETITEM(S) applied to the object (an OrderedDict/defaultdict being filled). */
  entries?: [PValue, PValue][];
  /** APPEND(S) applied to the object. */
  items?: PValue[];
  /** Set when the call rebuilds a tensor (torch._utils._rebuild_* and friends). */
  tensor?: TensorRecord;
}

export interface PPersistent {
  t: 'persid';
  pid: PValue;
  offset: number;
  /** Set when the id is a torch storage tuple ('storage', type, key, location, numel[, view]). */
  storage?: StorageRecord;
}

/** A torch storage as its persistent id describes it (torch/serialization.py `persistent_id`). */
export interface StorageRecord {
  key: string;
  /** Storage class as pickled: "FloatStorage", "BFloat16Storage", "UntypedStorage" … */
  storageType: string;
  storageModule: string;
  location: string;
  /** Elements of the storage's own dtype (bytes for UntypedStorage). */
  numel: number;
  /** Legacy torch.save only: this storage is a view [offset, offset + numel) of storage `key`. */
  view?: { key: string; offset: number; numel: number };
  /** Absolute offset of the BINPERSID/PERSID opcode. */
  offset: number;
}

/** A tensor rebuilt by torch._utils._rebuild_tensor{,_v2,_v3} (optionally wrapped as a Parameter). */
export interface TensorRecord {
  /** The rebuild function, dotted ("torch._utils._rebuild_tensor_v2"). */
  rebuild: string;
  storage: StorageRecord | undefined;
  /** `dtype` argument of _rebuild_tensor_v3 (torch name, "float8_e4m3fn"); otherwise from the storage type. */
  dtypeName?: string;
  /** Elements of the tensor's dtype. */
  storageOffset: number;
  size: number[];
  stride: number[];
  requiresGrad?: boolean;
  parameter: boolean;
  quantized: boolean;
  /** Absolute offset of the REDUCE that rebuilt it. */
  offset: number;
  /** Why the arguments could not be read, when they could not. */
  problem?: string;
}

export const NONE: PValue = { t: 'none' };

export function unknown(why: string): PValue {
  return { t: 'unknown', why };
}

/** Plain number of an int value (undefined for non-ints or beyond 2^53). */
export function asNumber(v: PValue | undefined): number | undefined {
  if (!v) return undefined;
  if (v.t === 'int') {
    if (typeof v.v === 'number') return v.v;
    return v.v >= BigInt(Number.MIN_SAFE_INTEGER) && v.v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.v) : undefined;
  }
  if (v.t === 'bool') return v.v ? 1 : 0;
  return undefined;
}

export function asString(v: PValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.t === 'str' && !v.truncated) return v.v;
  // Python 2 pickles loaded with encoding="bytes" give bytes where torch expects str (torch's own
  // _maybe_decode_ascii does the same).
  if (v.t === 'bytes' && v.data) return latin1(v.data);
  return undefined;
}

/** Items of a tuple or list (torch.Size pickles as a plain tuple; some writers use lists). */
export function asSequence(v: PValue | undefined): PValue[] | undefined {
  if (!v) return undefined;
  if (v.t === 'tuple' || v.t === 'list') return v.items;
  return undefined;
}

export function globalName(v: PValue | undefined): string | undefined {
  return v?.t === 'global' ? `${v.module}.${v.name}` : undefined;
}

/** A short, bounded, single-line rendering of a value for messages ("('cat ~/.aws/secrets',)"). */
export function preview(v: PValue, budget = 160): string {
  const out: string[] = [];
  let left = budget;
  const put = (s: string): boolean => {
    if (left <= 0) return false;
    const piece = s.length > left ? `${s.slice(0, Math.max(0, left - 1))}…` : s;
    out.push(piece);
    left -= piece.length;
    return left > 0;
  };
  const seen = new Set<PValue>();
  const rec = (x: PValue, depth: number): void => {
    if (left <= 0) return;
    if (depth > 4 || seen.has(x)) {
      put('…');
      return;
    }
    switch (x.t) {
      case 'none':
        put('None');
        return;
      case 'bool':
        put(x.v ? 'True' : 'False');
        return;
      case 'int':
        put(String(x.v));
        return;
      case 'bigint':
        put(`<int of ${x.digits} digits>`);
        return;
      case 'float':
        put(String(x.v));
        return;
      case 'str':
        put(JSON.stringify(x.v.slice(0, 200)) + (x.truncated ? '…' : ''));
        return;
      case 'bytes':
        put(x.data ? `b${JSON.stringify(latin1(x.data.subarray(0, 64)))}${x.byteLength > 64 ? '…' : ''}` : `<${x.byteLength} bytes>`);
        return;
      case 'global':
        put(`${x.module}.${x.name}`);
        return;
      case 'buffer':
        put('<out-of-band buffer>');
        return;
      case 'unknown':
        put(`<${x.why}>`);
        return;
      case 'persid':
        put('persistent_load(');
        seen.add(x);
        rec(x.pid, depth + 1);
        put(')');
        return;
      case 'object': {
        seen.add(x);
        rec(x.callee, depth + 1);
        put('(');
        x.args.forEach((a, i) => {
          if (i > 0) put(', ');
          rec(a, depth + 1);
        });
        put(')');
        return;
      }
      case 'tuple':
      case 'list':
      case 'set': {
        seen.add(x);
        const [open, close] = x.t === 'tuple' ? ['(', x.items.length === 1 ? ',)' : ')'] : x.t === 'list' ? ['[', ']'] : ['{', '}'];
        put(open);
        x.items.slice(0, 8).forEach((a, i) => {
          if (i > 0) put(', ');
          rec(a, depth + 1);
        });
        if (x.items.length > 8) put(', …');
        put(close);
        return;
      }
      case 'dict': {
        seen.add(x);
        put('{');
        x.entries.slice(0, 6).forEach(([k, val], i) => {
          if (i > 0) put(', ');
          rec(k, depth + 1);
          put(': ');
          rec(val, depth + 1);
        });
        if (x.entries.length > 6) put(', …');
        put('}');
        return;
      }
    }
  };
  rec(v, 0);
  return out.join('');
}

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
