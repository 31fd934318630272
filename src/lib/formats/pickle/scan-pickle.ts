/**
 * A pickle reader that never executes anything: a disassembler plus a symbolic interpreter of
 * every opcode of protocols 0–5 (CPython Lib/pickletools.py is the reference for each opcode's
 * argument encoding and stack effect; Lib/pickle.py `_Unpickler` for the semantics a real load
 * would have, e.g. the MARK "fence" below which nothing may be popped).
 *
 * What it produces:
 * - every GLOBAL / STACK_GLOBAL / INST / EXT with module, name and absolute byte offset — collected
 *   as they are met, so they are reported even when a later opcode fails;
 * - the calls a real unpickler would make (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, BUILD) with a
 *   bounded preview of their arguments ("posix.system('cat ~/.aws/secrets')");
 * - the torch storages (persistent ids) and tensors (rebuild calls), named by their state-dict key
 *   (see locate-tensors.ts);
 * - anomalies: behaviour where CPython's unpickler or pickletools would disagree with a well-formed
 *   stream (stack left non-empty, missing STOP, stack underflow, bytes after STOP, …).
 *
 * Results, not exceptions: a scan that hits a cap, the end of the input or an unknown opcode stops
 * there and says so (`complete: false`, `error`), keeping everything seen up to that point. Caps
 * (limits.ts) bound the opcodes run, the stack, the MARK depth and the memo, so a MARK or memo bomb
 * fails fast with its own code; long strings and bytes are skipped over, never allocated.
 *
 * Input is a byte array or a range of a ByteSource read through a 1 MiB window, so a pickle that
 * inlines hundreds of MB of array data costs a window, not its size.
 */
import { SleuthError, toErrorInfo, type ErrorCode, type ErrorInfo } from '../errors.ts';
import { MAX_PICKLE_GLOBALS_LISTED, MAX_PICKLE_INT_DIGITS, MAX_PICKLE_ITEMS, MAX_PICKLE_KEPT_BYTES, MAX_PICKLE_MARK_DEPTH, MAX_PICKLE_MEMO_ENTRIES, MAX_PICKLE_OPCODES, MAX_PICKLE_SPARSE_MEMO, MAX_PICKLE_STACK, MAX_PICKLE_WALK_DEPTH, MAX_PICKLE_WALK_NODES, MAX_TENSORS_PER_FILE } from '../limits.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import type { Severity } from './findings.ts';
import { OPCODES, opcodeName } from './opcodes.ts';
import { locateTensors, type NamedTensor } from './locate-tensors.ts';
import { recogniseTensor, storageFromPid } from './torch-rebuild.ts';
import { NONE, globalName, latin1, preview, unknown, type CallKind, type PDict, type PGlobal, type PObject, type PValue, type StorageRecord, type TensorRecord } from './values.ts';

export interface PickleLimits {
  opcodes: number;
  stack: number;
  markDepth: number;
  memo: number;
  sparseMemo: number;
  items: number;
  globalsListed: number;
  keptBytes: number;
  intDigits: number;
  walkDepth: number;
  walkNodes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  opcodes: MAX_PICKLE_OPCODES,
  stack: MAX_PICKLE_STACK,
  markDepth: MAX_PICKLE_MARK_DEPTH,
  memo: MAX_PICKLE_MEMO_ENTRIES,
  sparseMemo: MAX_PICKLE_SPARSE_MEMO,
  items: MAX_PICKLE_ITEMS,
  globalsListed: MAX_PICKLE_GLOBALS_LISTED,
  keptBytes: MAX_PICKLE_KEPT_BYTES,
  intDigits: MAX_PICKLE_INT_DIGITS,
  walkDepth: MAX_PICKLE_WALK_DEPTH,
  walkNodes: MAX_PICKLE_WALK_NODES,
};

/** Bytes in memory, or a range of a file. */
export type PickleInput = Uint8Array | { source: ByteSource; offset: number; length?: number };

export interface ScanPickleOptions {
  /** File the offsets refer to (for messages and findings). Defaults to the source's path. */
  file?: string;
  /** Absolute offset of byte 0 of a Uint8Array input (e.g. where data.pkl starts in its archive). */
  baseOffset?: number;
  limits?: Partial<PickleLimits>;
  /** Report bytes left after STOP as an anomaly (default true; stream readers turn it off). */
  expectEnd?: boolean;
  /** Keep the unpickled value in the result (default true). */
  keepRoot?: boolean;
  /** Called for each opcode with its offset, name and decoded argument (disassembly). */
  onOpcode?: (op: DisassembledOp) => void;
}

export interface DisassembledOp {
  offset: number;
  name: string;
  arg?: string | number | bigint;
}

export interface PickleGlobalRef {
  module: string;
  name: string;
  /** Absolute offset of the opcode. */
  offset: number;
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'EXT';
}

export interface PickleCall {
  /** Dotted name of what is called, or a preview when it is not a plain global. */
  callee: string;
  how: CallKind | 'build';
  offset: number;
  /** Bounded preview of the arguments (or of the state, for BUILD). */
  args: string;
}

export type PickleAnomalyCode =
  | 'stack-not-empty'
  | 'marks-not-closed'
  | 'missing-stop'
  | 'opcodes-after-stop'
  | 'stack-underflow'
  | 'memo-missing'
  | 'memo-bomb'
  | 'ext-opcode'
  | 'duplicate-key'
  | 'unsupported-protocol'
  | 'frame-overrun'
  | 'out-of-band-buffer'
  | 'bad-stack-global'
  | 'bad-persistent-id'
  | 'non-storage-persistent-id'
  | 'bad-tensor'
  | 'odd-dict-items'
  | 'bad-target'
  | 'huge-integer'
  | 'unreferenced-tensor'
  | 'walk-limit'
  | 'too-many-globals'
  | 'scan-incomplete';

export interface PickleAnomaly {
  code: PickleAnomalyCode;
  severity: Severity;
  message: string;
  offset: number;
}

export interface PickleScan {
  file: string;
  /** Absolute offsets: first opcode, and the byte after STOP (or where reading stopped). */
  startOffset: number;
  endOffset: number;
  /** True when STOP was reached without a fatal error. */
  complete: boolean;
  error?: ErrorInfo;
  protocol?: number;
  opcodeCount: number;
  globals: PickleGlobalRef[];
  /** Calls other than routine tensor plumbing (rebuild functions, OrderedDict, storages); at most 10,000 listed. */
  calls: PickleCall[];
  callCount: number;
  anomalies: PickleAnomaly[];
  storages: StorageRecord[];
  /** Every tensor, named by its dotted key path (shared tensors appear once per name). */
  tensors: NamedTensor[];
  /** The value STOP returned (omitted with keepRoot: false). */
  root?: PValue;
}

const MAX_CALLS_LISTED = 10_000;
const WINDOW = 1024 * 1024;
const ROUTINE_CALLEES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
]);

/** Windowed reader over bytes or a file range; offsets are absolute. */
class Input {
  buf: Uint8Array;
  base: number;
  pos: number;
  readonly start: number;
  readonly end: number;
  private readonly source: ByteSource | undefined;
  private window = 16 * 1024;

  constructor(input: PickleInput, baseOffset: number) {
    if (input instanceof Uint8Array) {
      this.buf = input;
      this.base = baseOffset;
      this.start = baseOffset;
      this.end = baseOffset + input.length;
      this.source = undefined;
    } else {
      this.source = input.source;
      this.start = input.offset;
      this.end = input.length === undefined ? input.source.size : Math.min(input.source.size, input.offset + input.length);
      this.buf = new Uint8Array(0);
      this.base = input.offset;
    }
    this.pos = this.start;
  }

  has(n: number): boolean {
    return this.pos + n <= this.base + this.buf.length;
  }

  /** Makes [pos, pos + n) readable; false when the input ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.pos + n > this.end) return false;
    if (this.has(n)) return true;
    if (!this.source) return false;
    // Start small (most pickles in a stream are a few bytes) and grow to WINDOW.
    const len = Math.min(Math.max(n, this.window), this.end - this.pos);
    this.window = Math.min(WINDOW, this.window * 4);
    this.buf = await this.source.read(this.pos, len);
    this.base = this.pos;
    return true;
  }

  u8(): number {
    return this.buf[this.pos++ - this.base] as number;
  }

  /** View of the next n bytes (valid until the next fill); call after fill(n). */
  view(n: number): Uint8Array {
    const at = this.pos - this.base;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }

  remaining(): number {
    return this.end - this.pos;
  }
}

class ScanFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads one pickle (up to and including its STOP) symbolically. Never throws for bad input: the
 * result says how far it got.
 */
export async function scanPickle(input: PickleInput, options: ScanPickleOptions = {}): Promise<PickleScan> {
  const limits: PickleLimits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const inp = new Input(input, options.baseOffset ?? 0);
  const file = options.file ?? (input instanceof Uint8Array ? '' : input.source.path);
  const onOpcode = options.onOpcode;

  const globals: PickleGlobalRef[] = [];
  const calls: PickleCall[] = [];
  let callCount = 0;
  const anomalies: PickleAnomaly[] = [];
  const anomalyCounts = new Map<PickleAnomalyCode, number>();
  const storages: StorageRecord[] = [];
  const tensorObjects: PObject[] = [];
  const stack: PValue[] = [];
  const marks: number[] = [];
  const memoDense: PValue[] = [];
  const memoSparse = new Map<number, PValue>();
  const dictKeys = new WeakMap<object, Set<string>>();
  let protocol: number | undefined;
  let opcodeCount = 0;
  let root: PValue | undefined;
  let complete = false;
  let error: ErrorInfo | undefined;
  let opAt = inp.pos;

  const anomaly = (code: PickleAnomalyCode, severity: Severity, message: string, offset: number = opAt): void => {
    const n = (anomalyCounts.get(code) ?? 0) + 1;
    anomalyCounts.set(code, n);
    if (n <= 20) anomalies.push({ code, severity, message, offset });
  };
  const fail = (code: ErrorCode, message: string, at: number = opAt): ScanFailure => new ScanFailure(code, message, at);

  // ── stack discipline (CPython: a MARK fences the stack; popping below it is an underflow) ──
  const fence = (): number => (marks.length > 0 ? (marks[marks.length - 1] as number) : 0);
  const push = (v: PValue): void => {
    if (stack.length >= limits.stack) throw fail('pickle_stack_too_deep', `The pickle stack holds ${stack.length} values at byte ${opAt}; expected at most ${limits.stack}`);
    stack.push(v);
  };
  const pop = (what: string): PValue => {
    if (stack.length <= fence()) {
      anomaly('stack-underflow', 'high', `${opcodeName(opByte)} at byte ${opAt} needs ${what} but the stack is empty${marks.length > 0 ? ' above the last MARK' : ''}; CPython's unpickler stops here ("unpickling stack underflow")`);
      return unknown('stack underflow');
    }
    return stack.pop() as PValue;
  };
  const top = (what: string): PValue => {
    if (stack.length <= fence()) {
      anomaly('stack-underflow', 'high', `${opcodeName(opByte)} at byte ${opAt} needs ${what} but the stack is empty; CPython's unpickler stops here`);
      return unknown('stack underflow');
    }
    return stack[stack.length - 1] as PValue;
  };
  let heldItems = 0;
  /** Counts elements moving into containers (the memory a value graph can hold). */
  const hold = (n: number): void => {
    heldItems += n;
    if (heldItems > limits.items) throw fail('pickle_too_large', `The pickle has put more than ${limits.items} elements into containers by byte ${opAt}; expected at most that many`);
  };
  const popMark = (): PValue[] => {
    const m = marks.pop();
    if (m === undefined) {
      anomaly('stack-underflow', 'high', `${opcodeName(opByte)} at byte ${opAt} needs a MARK but none is open; CPython's unpickler stops here ("could not find MARK")`);
      return [];
    }
    hold(stack.length - m);
    return stack.splice(m);
  };
  const memoSize = (): number => memoDense.length + memoSparse.size;
  const memoPut = (index: number, v: PValue): void => {
    if (index < memoDense.length) {
      memoDense[index] = v;
      return;
    }
    if (memoSparse.has(index)) {
      memoSparse.set(index, v);
      return;
    }
    if (memoSize() >= limits.memo) throw fail('pickle_memo_too_large', `The memo holds ${memoSize()} entries at byte ${opAt}; expected at most ${limits.memo} (memo bomb)`);
    if (index === memoDense.length) {
      memoDense.push(v);
      // Entries stored sparsely earlier may now continue the dense run.
      for (let next = memoSparse.get(memoDense.length); next !== undefined; next = memoSparse.get(memoDense.length)) {
        memoSparse.delete(memoDense.length);
        memoDense.push(next);
      }
    } else {
      // CPython's C unpickler grows its memo table to the index (Modules/_pickle.c
      // _Unpickler_MemoPut → _Unpickler_ResizeMemoList(idx * 2)): one far index costs it gigabytes.
      if (index - memoDense.length > limits.sparseMemo && !anomalyCounts.has('memo-bomb')) {
        anomaly('memo-bomb', 'high', `${opcodeName(opByte)} at byte ${opAt} stores memo entry ${index} while only ${memoSize()} exist: CPython's unpickler would grow its memo table to ~${index * 2} slots (${Math.round((index * 16) / 2 ** 30)} GiB) — a memo bomb`);
      }
      if (memoSparse.size >= limits.sparseMemo) throw fail('pickle_memo_too_large', `The memo holds ${memoSparse.size} entries at scattered indices at byte ${opAt} (this one: ${index}); expected at most ${limits.sparseMemo} (memo bomb — CPython's pickler numbers its memo 0, 1, 2, …)`);
      memoSparse.set(index, v);
    }
  };
  const memoGet = (index: number): PValue => {
    const v = index < memoDense.length ? memoDense[index] : memoSparse.get(index);
    if (v === undefined) {
      anomaly('memo-missing', 'medium', `${opcodeName(opByte)} at byte ${opAt} reads memo entry ${index}, which was never stored; CPython's unpickler stops here`);
      return unknown(`memo ${index} missing`);
    }
    return v;
  };

  // ── argument readers ──────────────────────────────────────────────────────────────────────
  const need = async (n: number, what: string): Promise<void> => {
    if (!inp.has(n) && !(await inp.fill(n))) throw fail('pickle_truncated', `The pickle ends at byte ${inp.end} inside ${what} at byte ${opAt} (${n} bytes needed at ${inp.pos})`);
  };
  const readUint = async (n: 1 | 2 | 4, what: string): Promise<number> => {
    await need(n, what);
    let v = 0;
    for (let i = 0; i < n; i++) v += inp.u8() * 2 ** (8 * i);
    return v;
  };
  const readInt4 = async (what: string): Promise<number> => {
    const u = await readUint(4, what);
    return u >= 0x80000000 ? u - 0x100000000 : u;
  };
  const readUint8 = async (what: string): Promise<bigint> => {
    await need(8, what);
    const b = inp.view(8);
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    return v;
  };
  // Synchronous fast paths: when the bytes are already in the window (always, for in-memory
  // input) no promise is created — an await per opcode would dominate the scan.
  const uintSync = (n: 1 | 2 | 4): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v += inp.u8() * 2 ** (8 * i);
    return v;
  };
  const uint = async (n: 1 | 2 | 4, what: string): Promise<number> => (inp.has(n) ? uintSync(n) : readUint(n, what));
  const int4Sync = (): number => {
    const u = uintSync(4);
    return u >= 0x80000000 ? u - 0x100000000 : u;
  };
  /** A newline-terminated argument; only the first keptBytes are kept. */
  const readLine = async (what: string): Promise<{ bytes: Uint8Array; byteLength: number; truncated: boolean }> => {
    const parts: Uint8Array[] = [];
    let kept = 0;
    let total = 0;
    for (;;) {
      if (!inp.has(1) && !(await inp.fill(1))) throw fail('pickle_truncated', `The pickle ends at byte ${inp.end} inside the text argument (${what}) of the opcode at byte ${opAt}; expected a line ending in "\\n"`);
      const at = inp.pos - inp.base;
      const nl = inp.buf.indexOf(0x0a, at);
      const stop = nl < 0 ? inp.buf.length : nl;
      const chunk = inp.buf.subarray(at, stop);
      total += chunk.length;
      if (kept < limits.keptBytes) {
        const take = chunk.subarray(0, limits.keptBytes - kept);
        parts.push(take.slice());
        kept += take.length;
      }
      inp.pos = inp.base + stop;
      if (nl >= 0) {
        inp.pos += 1;
        break;
      }
      if (inp.pos >= inp.end) throw fail('pickle_truncated', `The pickle ends at byte ${inp.end} inside the text argument (${what}) of the opcode at byte ${opAt}; expected a line ending in "\\n"`);
    }
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, kept);
    return { bytes, byteLength: total, truncated: total > kept };
  };
  /** Length-prefixed payload: kept when small, skipped (never allocated) when large. */
  const readPayload = async (length: number | bigint, what: string): Promise<{ data?: Uint8Array; byteLength: number; offset: number }> => {
    const rem = inp.remaining();
    if (BigInt(length) > BigInt(rem)) {
      throw fail('pickle_truncated', `${what} at byte ${opAt} declares ${length} bytes but only ${rem} remain in the pickle`);
    }
    const n = Number(length);
    const offset = inp.pos;
    if (n <= limits.keptBytes) {
      await need(n, what);
      return { data: inp.view(n), byteLength: n, offset };
    }
    inp.pos += n;
    return { byteLength: n, offset };
  };
  const readText = async (length: number | bigint, what: string, decode: (b: Uint8Array) => string): Promise<PValue> => {
    const rem = inp.remaining();
    if (BigInt(length) > BigInt(rem)) throw fail('pickle_truncated', `${what} at byte ${opAt} declares ${length} bytes but only ${rem} remain in the pickle`);
    const n = Number(length);
    const keep = Math.min(n, limits.keptBytes);
    await need(keep, what);
    const v = decode(inp.view(keep));
    inp.pos += n - keep;
    return { t: 'str', v, byteLength: n, truncated: n > keep };
  };

  const recordGlobal = (module: string, name: string, opcode: PickleGlobalRef['opcode']): PGlobal => {
    if (globals.length < limits.globalsListed) globals.push({ module, name, offset: opAt, opcode });
    else if (globals.length === limits.globalsListed) {
      anomaly('too-many-globals', 'high', `The pickle imports globals more than ${limits.globalsListed} times; later imports (from byte ${opAt}) are not listed, so they are not checked against the policy`);
      globals.push({ module, name, offset: opAt, opcode });
    }
    return { t: 'global', module, name, offset: opAt };
  };
  const recordCall = (callee: PValue, how: PickleCall['how'], argsValue: PValue): void => {
    callCount++;
    const name = globalName(callee);
    if (name !== undefined && ROUTINE_CALLEES.has(name)) return;
    if (how === 'build' && callee.t === 'object' && (callee.tensor || ROUTINE_CALLEES.has(globalName(callee.callee) ?? ''))) return;
    if (calls.length >= MAX_CALLS_LISTED) return;
    const calleeText = how === 'build' ? `${callee.t === 'object' ? (globalName(callee.callee) ?? preview(callee.callee, 60)) : preview(callee, 60)}.__setstate__` : (name ?? preview(callee, 80));
    calls.push({ callee: calleeText, how, offset: opAt, args: preview(argsValue, 200) });
  };
  const makeObject = (how: CallKind, callee: PValue, args: PValue[], kwargs?: PValue): PObject => {
    const obj: PObject = { t: 'object', how, callee, args, offset: opAt };
    if (kwargs !== undefined) obj.kwargs = kwargs;
    recordCall(callee, how, { t: 'tuple', items: args });
    if (callee.t !== 'global' && callee.t !== 'unknown') {
      anomaly('bad-target', 'low', `${opcodeName(opByte)} at byte ${opAt} calls ${preview(callee, 60)}, which is not a global`);
    }
    const tensor = recogniseTensor(obj);
    if (tensor) {
      obj.tensor = tensor;
      if (tensorObjects.length >= MAX_TENSORS_PER_FILE) throw fail('pickle_too_large', `The pickle rebuilds more than ${MAX_TENSORS_PER_FILE} tensors; expected at most that many`);
      tensorObjects.push(obj);
      if (tensor.problem) anomaly('bad-tensor', 'medium', `The tensor rebuilt by ${tensor.rebuild} at byte ${opAt} has unusable arguments: ${tensor.problem}`);
    }
    return obj;
  };
  const setItem = (target: PValue, k: PValue, v: PValue): void => {
    if (target.t === 'dict' || target.t === 'object') {
      if (k.t === 'str') {
        let keys = dictKeys.get(target);
        if (!keys) {
          keys = new Set<string>();
          dictKeys.set(target, keys);
        }
        if (keys.has(k.v)) {
          // No pickler writes this (a dict cannot hold a key twice): the file was crafted so that
          // last-wins and first-wins readers see different values.
          anomaly('duplicate-key', 'high', `Key ${JSON.stringify(k.v.slice(0, 200))} is set twice in the same mapping (second time at byte ${opAt}); a loader keeps only the last value, so the first is shadowed — no pickler writes a repeated key`);
        }
        keys.add(k.v);
      }
      if (target.t === 'dict') target.entries.push([k, v]);
      else (target.entries ??= []).push([k, v]);
    } else if (target.t !== 'unknown') {
      anomaly('bad-target', 'low', `${opcodeName(opByte)} at byte ${opAt} assigns an item on ${preview(target, 60)}, which is not a mapping`);
    }
  };
  const append = (target: PValue, items: PValue[]): void => {
    if (target.t === 'list' || target.t === 'set') {
      for (const x of items) target.items.push(x);
    } else if (target.t === 'object') {
      const list = (target.items ??= []);
      for (const x of items) list.push(x);
    } else if (target.t !== 'unknown') {
      anomaly('bad-target', 'low', `${opcodeName(opByte)} at byte ${opAt} appends to ${preview(target, 60)}, which is not a list`);
    }
  };
  const intValue = (text: string, base0: boolean, what: string): PValue => {
    const r = parsePyInt(text, base0, limits.intDigits);
    if (r === undefined) throw fail('pickle_bad_argument', `${what} at byte ${opAt} has argument ${JSON.stringify(text.slice(0, 60))}; expected a decimal integer`);
    if (r === 'huge') {
      anomaly('huge-integer', 'low', `${what} at byte ${opAt} holds an integer of ${text.length} digits, beyond the ${limits.intDigits}-digit conversion cap; kept as an opaque value`);
      return { t: 'bigint', digits: text.length };
    }
    return intOf(r);
  };

  let opByte = 0;
  try {
    if (inp.remaining() === 0) throw fail('pickle_empty', 'The pickle stream is empty; expected opcodes ending in STOP', inp.pos);
    for (;;) {
      opAt = inp.pos;
      if (!inp.has(1) && !(await inp.fill(1))) {
        anomaly('missing-stop', 'high', `The pickle ends at byte ${inp.end} without a STOP opcode`, inp.end);
        throw fail('pickle_truncated', `The pickle ends at byte ${inp.end} without a STOP opcode; expected STOP (".") after the last value`, inp.end);
      }
      opByte = inp.u8();
      if (++opcodeCount > limits.opcodes) throw fail('pickle_too_many_opcodes', `The pickle runs more than ${limits.opcodes} opcodes; expected at most that many`);
      const info = OPCODES[opByte];
      if (!info) throw fail('pickle_unknown_opcode', `Byte 0x${opByte.toString(16).padStart(2, '0')} at offset ${opAt} is not a pickle opcode of any protocol (0-5)`);

      switch (opByte) {
        // ── framing and protocol ──
        case 0x80: {
          const p = await readUint(1, 'PROTO');
          onOpcode?.({ offset: opAt, name: info.name, arg: p });
          if (protocol === undefined) protocol = p;
          if (p > 5) anomaly('unsupported-protocol', 'high', `PROTO ${p} at byte ${opAt}: CPython supports protocols 0-5 and refuses to load this pickle`);
          break;
        }
        case 0x95: {
          const n = await readUint8('FRAME length');
          onOpcode?.({ offset: opAt, name: info.name, arg: n });
          if (n > BigInt(inp.remaining())) anomaly('frame-overrun', 'low', `FRAME at byte ${opAt} announces ${n} bytes but only ${inp.remaining()} remain`);
          break;
        }
        case 0x2e: {
          // STOP
          onOpcode?.({ offset: opAt, name: info.name });
          root = pop('the value to return');
          if (stack.length > 0 || marks.length > 0) {
            anomaly(
              'stack-not-empty',
              'medium',
              `STOP at byte ${opAt} leaves ${stack.length} value(s) on the stack${marks.length > 0 ? ` and ${marks.length} open MARK(s)` : ''} (${stack.slice(0, 3).map((v) => preview(v, 80)).join('; ')}): pickle.load accepts it but pickletools rejects it — typically the result of a call made only for its side effect`,
            );
          }
          complete = true;
          break;
        }
        // ── constants ──
        case 0x4e: // NONE
          onOpcode?.({ offset: opAt, name: info.name });
          push(NONE);
          break;
        case 0x88:
        case 0x89:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'bool', v: opByte === 0x88 });
          break;
        case 0x49: {
          // INT: "00"/"01" are False/True (protocol 0 booleans), otherwise int(text, 0)
          const { bytes } = await readLine('INT');
          const text = latin1(bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: text });
          if (text === '00' || text === '01') push({ t: 'bool', v: text === '01' });
          else push(intValue(text, true, 'INT'));
          break;
        }
        case 0x4a:
          push(intOf(inp.has(4) ? int4Sync() : await readInt4('BININT')));
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        case 0x4b:
          push(intOf(inp.has(1) ? inp.u8() : await readUint(1, 'BININT1')));
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        case 0x4d:
          push(intOf(inp.has(2) ? uintSync(2) : await readUint(2, 'BININT2')));
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        case 0x4c: {
          // LONG: decimal with an optional trailing "L" (Python 2)
          const { bytes } = await readLine('LONG');
          let text = latin1(bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: text });
          if (text.endsWith('L')) text = text.slice(0, -1);
          push(intValue(text, true, 'LONG'));
          break;
        }
        case 0x8a:
        case 0x8b: {
          const n = opByte === 0x8a ? await readUint(1, 'LONG1 length') : await readInt4('LONG4 length');
          if (n < 0) throw fail('pickle_bad_argument', `LONG4 at byte ${opAt} has negative length ${n}`);
          const p = await readPayload(n, info.name);
          if (!p.data || n * 2.41 > limits.intDigits) {
            anomaly('huge-integer', 'low', `${info.name} at byte ${opAt} holds a ${n}-byte integer, beyond the conversion cap; kept as an opaque value`);
            push({ t: 'bigint', digits: Math.ceil(n * 2.41) });
          } else {
            push(intOf(decodeLong(p.data)));
          }
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        }
        case 0x46: {
          const { bytes } = await readLine('FLOAT');
          const text = latin1(bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: text });
          const v = parsePyFloat(text);
          if (v === undefined) throw fail('pickle_bad_argument', `FLOAT at byte ${opAt} has argument ${JSON.stringify(text.slice(0, 60))}; expected a decimal float`);
          push({ t: 'float', v });
          break;
        }
        case 0x47: {
          await need(8, 'BINFLOAT');
          const b = inp.view(8);
          // BINFLOAT is big-endian (pickletools float8).
          const v = new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false);
          onOpcode?.({ offset: opAt, name: info.name, arg: String(v) });
          push({ t: 'float', v });
          break;
        }
        // ── strings and bytes ──
        case 0x53: {
          // STRING: a quoted Python 2 str literal with backslash escapes
          const line = await readLine('STRING');
          const raw = latin1(line.bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: raw.slice(0, 200) });
          const q = raw[0];
          if (line.truncated) {
            push({ t: 'str', v: raw.slice(1), byteLength: line.byteLength, truncated: true });
          } else if (raw.length >= 2 && (q === "'" || q === '"') && raw[raw.length - 1] === q) {
            const decoded = escapeDecode(raw.slice(1, -1));
            if (decoded === undefined) throw fail('pickle_bad_argument', `STRING at byte ${opAt} has an invalid backslash escape; expected a Python string literal`);
            push({ t: 'str', v: decoded, byteLength: line.byteLength, truncated: false });
          } else {
            throw fail('pickle_bad_argument', `STRING at byte ${opAt} has argument ${JSON.stringify(raw.slice(0, 60))}; expected a quoted string ("the STRING opcode argument must be quoted")`);
          }
          break;
        }
        case 0x54:
        case 0x55: {
          const n = opByte === 0x55 ? await readUint(1, 'SHORT_BINSTRING length') : await readInt4('BINSTRING length');
          if (n < 0) throw fail('pickle_bad_argument', `BINSTRING at byte ${opAt} has negative length ${n}`);
          push(await readText(n, info.name, latin1));
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        }
        case 0x42:
        case 0x43:
        case 0x8e:
        case 0x96: {
          const n = opByte === 0x43 ? await readUint(1, 'length') : opByte === 0x42 ? await readUint(4, 'length') : await readUint8('length');
          const p = await readPayload(n, info.name);
          const v: PValue = { t: 'bytes', byteLength: p.byteLength, offset: p.offset, bytearray: opByte === 0x96 };
          if (p.data) v.data = p.data.slice();
          push(v);
          onOpcode?.({ offset: opAt, name: info.name, arg: `<${p.byteLength} bytes>` });
          break;
        }
        case 0x97:
          onOpcode?.({ offset: opAt, name: info.name });
          anomaly('out-of-band-buffer', 'medium', `NEXT_BUFFER at byte ${opAt} takes an out-of-band buffer that is not in the file; pickle.load without buffers= fails here`);
          push({ t: 'buffer' });
          break;
        case 0x98:
          onOpcode?.({ offset: opAt, name: info.name });
          top('a buffer');
          break;
        case 0x56: {
          // UNICODE: raw-unicode-escape text line
          const line = await readLine('UNICODE');
          const v = rawUnicodeEscapeDecode(line.bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: v.slice(0, 200) });
          push({ t: 'str', v, byteLength: line.byteLength, truncated: line.truncated });
          break;
        }
        case 0x8c:
        case 0x58:
        case 0x8d: {
          const w = opByte === 0x8c ? 1 : opByte === 0x58 ? 4 : 8;
          const n = w === 8 ? await readUint8('length') : inp.has(w) ? uintSync(w) : await uint(w, 'length');
          if (typeof n === 'number' && n <= limits.keptBytes && inp.has(n)) push({ t: 'str', v: utf8.decode(inp.view(n)), byteLength: n, truncated: false });
          else push(await readText(n, info.name, (b) => utf8.decode(b)));
          onOpcode?.({ offset: opAt, name: info.name, arg: asArg(stack) });
          break;
        }
        // ── containers ──
        case 0x5d:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'list', items: [] });
          break;
        case 0x29:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'tuple', items: [] });
          break;
        case 0x7d:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'dict', entries: [] });
          break;
        case 0x8f:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'set', frozen: false, items: [] });
          break;
        case 0x61: {
          onOpcode?.({ offset: opAt, name: info.name });
          const x = pop('a value to append');
          hold(1);
          append(top('a list'), [x]);
          break;
        }
        case 0x65: {
          onOpcode?.({ offset: opAt, name: info.name });
          const items = popMark();
          append(top('a list'), items);
          break;
        }
        case 0x6c:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'list', items: popMark() });
          break;
        case 0x74:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'tuple', items: popMark() });
          break;
        case 0x85:
        case 0x86:
        case 0x87: {
          onOpcode?.({ offset: opAt, name: info.name });
          const n = opByte - 0x84;
          hold(n);
          const items: PValue[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop('a tuple item'));
          push({ t: 'tuple', items });
          break;
        }
        case 0x64: {
          onOpcode?.({ offset: opAt, name: info.name });
          const items = popMark();
          const d: PDict = { t: 'dict', entries: [] };
          if (items.length % 2 !== 0) anomaly('odd-dict-items', 'medium', `DICT at byte ${opAt} has an odd number of items (${items.length}); CPython's unpickler fails here`);
          for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i] as PValue, items[i + 1] as PValue);
          push(d);
          break;
        }
        case 0x73: {
          onOpcode?.({ offset: opAt, name: info.name });
          const v = pop('a value');
          const k = pop('a key');
          hold(2);
          setItem(top('a mapping'), k, v);
          break;
        }
        case 0x75: {
          onOpcode?.({ offset: opAt, name: info.name });
          const items = popMark();
          const target = top('a mapping');
          if (items.length % 2 !== 0) anomaly('odd-dict-items', 'medium', `SETITEMS at byte ${opAt} has an odd number of items (${items.length}); CPython fails here`);
          for (let i = 0; i + 1 < items.length; i += 2) setItem(target, items[i] as PValue, items[i + 1] as PValue);
          break;
        }
        case 0x90: {
          onOpcode?.({ offset: opAt, name: info.name });
          const items = popMark();
          append(top('a set'), items);
          break;
        }
        case 0x91:
          onOpcode?.({ offset: opAt, name: info.name });
          push({ t: 'set', frozen: true, items: popMark() });
          break;
        // ── stack manipulation ──
        case 0x30:
          onOpcode?.({ offset: opAt, name: info.name });
          if (stack.length > fence()) stack.pop();
          else if (marks.length > 0) marks.pop();
          else pop('a value to discard');
          break;
        case 0x32:
          onOpcode?.({ offset: opAt, name: info.name });
          push(top('a value to duplicate'));
          break;
        case 0x28:
          onOpcode?.({ offset: opAt, name: info.name });
          if (marks.length >= limits.markDepth) throw fail('pickle_mark_too_deep', `${marks.length} MARKs are open at byte ${opAt}; expected at most ${limits.markDepth} (MARK bomb)`);
          marks.push(stack.length);
          break;
        case 0x31:
          onOpcode?.({ offset: opAt, name: info.name });
          popMark();
          break;
        // ── memo ──
        case 0x67:
        case 0x70: {
          const { bytes } = await readLine(info.name);
          const text = latin1(bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: text });
          const idx = /^\s*\d{1,15}\s*$/.test(text) ? Number(text.trim()) : undefined;
          if (idx === undefined) throw fail('pickle_bad_argument', `${info.name} at byte ${opAt} has index ${JSON.stringify(text.slice(0, 40))}; expected a non-negative decimal integer`);
          if (opByte === 0x67) push(memoGet(idx));
          else memoPut(idx, top('a value to memoize'));
          break;
        }
        case 0x68:
        case 0x6a: {
          const w = opByte === 0x68 ? 1 : 4;
          const idx = inp.has(w) ? uintSync(w) : await readUint(w, info.name);
          onOpcode?.({ offset: opAt, name: info.name, arg: idx });
          push(memoGet(idx));
          break;
        }
        case 0x71:
        case 0x72: {
          const w = opByte === 0x71 ? 1 : 4;
          const idx = inp.has(w) ? uintSync(w) : await readUint(w, info.name);
          onOpcode?.({ offset: opAt, name: info.name, arg: idx });
          memoPut(idx, top('a value to memoize'));
          break;
        }
        case 0x94:
          onOpcode?.({ offset: opAt, name: info.name });
          memoPut(memoSize(), top('a value to memoize'));
          break;
        // ── globals and extensions ──
        case 0x82:
        case 0x83:
        case 0x84: {
          const code = opByte === 0x82 ? await readUint(1, 'EXT1') : opByte === 0x83 ? await readUint(2, 'EXT2') : await readInt4('EXT4');
          onOpcode?.({ offset: opAt, name: info.name, arg: code });
          recordGlobal('copyreg', `_extension_registry[${code}]`, 'EXT');
          anomaly('ext-opcode', 'high', `${info.name} at byte ${opAt} imports extension code ${code} from the copyreg registry: the global it names is decided by the loading process, not the file`);
          push(unknown(`extension ${code}`));
          break;
        }
        case 0x63:
        case 0x69: {
          const m = await readLine(`${info.name} module`);
          const n = await readLine(`${info.name} name`);
          const module = utf8.decode(m.bytes);
          const name = utf8.decode(n.bytes);
          onOpcode?.({ offset: opAt, name: info.name, arg: `${module} ${name}` });
          const g = recordGlobal(module, name, info.name === 'GLOBAL' ? 'GLOBAL' : 'INST');
          if (opByte === 0x63) push(g);
          else push(makeObject('inst', g, popMark()));
          break;
        }
        case 0x93: {
          onOpcode?.({ offset: opAt, name: info.name });
          const n = pop('a name');
          const m = pop('a module name');
          const module = m.t === 'str' ? m.v : `<${preview(m, 60)}>`;
          const name = n.t === 'str' ? n.v : `<${preview(n, 60)}>`;
          if (m.t !== 'str' || n.t !== 'str') {
            anomaly('bad-stack-global', 'high', `STACK_GLOBAL at byte ${opAt} takes module ${preview(m, 60)} and name ${preview(n, 60)}; CPython requires two str ("STACK_GLOBAL requires str")`);
          }
          push(recordGlobal(module, name, 'STACK_GLOBAL'));
          break;
        }
        // ── calls ──
        case 0x52: {
          onOpcode?.({ offset: opAt, name: info.name });
          const args = pop('an argument tuple');
          const callee = pop('a callable');
          push(makeObject('reduce', callee, args.t === 'tuple' ? args.items : [args]));
          break;
        }
        case 0x81: {
          onOpcode?.({ offset: opAt, name: info.name });
          const args = pop('an argument tuple');
          const cls = pop('a class');
          push(makeObject('newobj', cls, args.t === 'tuple' ? args.items : [args]));
          break;
        }
        case 0x92: {
          onOpcode?.({ offset: opAt, name: info.name });
          const kwargs = pop('keyword arguments');
          const args = pop('an argument tuple');
          const cls = pop('a class');
          push(makeObject('newobj_ex', cls, args.t === 'tuple' ? args.items : [args], kwargs));
          break;
        }
        case 0x6f: {
          onOpcode?.({ offset: opAt, name: info.name });
          const items = popMark();
          const cls = items.shift() ?? unknown('OBJ without a class');
          push(makeObject('obj', cls, items));
          break;
        }
        case 0x62: {
          onOpcode?.({ offset: opAt, name: info.name });
          const state = pop('a state');
          const target = top('an object to build');
          recordCall(target, 'build', state);
          if (target.t === 'object' || target.t === 'dict') target.state = state;
          else if (target.t !== 'unknown') anomaly('bad-target', 'low', `BUILD at byte ${opAt} sets state on ${preview(target, 60)}, which is not an object`);
          break;
        }
        // ── persistent ids ──
        case 0x50:
        case 0x51: {
          let pid: PValue;
          if (opByte === 0x50) {
            const line = await readLine('PERSID');
            pid = { t: 'str', v: utf8.decode(line.bytes), byteLength: line.byteLength, truncated: line.truncated };
            onOpcode?.({ offset: opAt, name: info.name, arg: (pid as { v: string }).v.slice(0, 200) });
          } else {
            onOpcode?.({ offset: opAt, name: info.name });
            pid = pop('a persistent id');
          }
          const p: PValue = { t: 'persid', pid, offset: opAt };
          const { storage, problem } = storageFromPid(pid, opAt);
          if (storage) {
            p.storage = storage;
            if (storages.length >= MAX_TENSORS_PER_FILE) throw fail('pickle_too_large', `The pickle names more than ${MAX_TENSORS_PER_FILE} storages; expected at most that many`);
            storages.push(storage);
          } else if (problem) {
            anomaly('bad-persistent-id', 'medium', `The persistent id at byte ${opAt} is ${problem}: ${preview(pid, 120)}`);
          } else {
            anomaly('non-storage-persistent-id', 'info', `The persistent id at byte ${opAt} is not a torch storage: ${preview(pid, 120)}`);
          }
          push(p);
          break;
        }
        default:
          // Every byte OPCODES defines is handled above.
          throw fail('internal_error', `Opcode ${info.name} at byte ${opAt} has no handler`);
      }
      if (complete) break;
    }
  } catch (e) {
    if (e instanceof ScanFailure) {
      error = new SleuthError(e.code, e.message, { offset: e.at, ...(file ? { file } : {}) }).toInfo();
    } else {
      error = toErrorInfo(e, file || undefined);
    }
    anomaly('scan-incomplete', 'high', `The pickle could not be read to its end (${error.code}: ${error.message}); globals after byte ${opAt} are unknown`, error.offset ?? opAt);
  }

  const endOffset = inp.pos;
  if (complete && (options.expectEnd ?? true) && endOffset < inp.end) {
    anomaly('opcodes-after-stop', 'medium', `${inp.end - endOffset} bytes follow the STOP opcode at byte ${endOffset - 1}; pickle.load ignores them, but another reader (or a second load) may not`, endOffset);
  }

  const located = locateTensors(complete ? root : undefined, tensorObjects, limits);
  for (const a of located.anomalies) anomaly(a.code, a.severity, a.message, a.offset);
  for (const [code, n] of anomalyCounts) {
    if (n > 20) anomalies.push({ code, severity: anomalies.find((a) => a.code === code)?.severity ?? 'medium', message: `… and ${n - 20} more "${code}" anomalies not listed`, offset: endOffset });
  }

  const scan: PickleScan = {
    file,
    startOffset: inp.start,
    endOffset,
    complete,
    opcodeCount,
    globals,
    calls,
    callCount,
    anomalies,
    storages,
    tensors: located.tensors,
  };
  if (error) scan.error = error;
  if (protocol !== undefined) scan.protocol = protocol;
  if (root !== undefined && (options.keepRoot ?? true)) scan.root = root;
  return scan;
}

/**
 * Reads consecutive pickles from one stream (legacy torch.save writes five; a raw .pkl may hold
 * several) until the input ends, a pickle fails, or MAX_PICKLES_PER_STREAM is reached.
 */
export async function scanPickleStream(input: PickleInput, options: ScanPickleOptions & { maxPickles: number; stopAt?: (scan: PickleScan, index: number) => boolean }): Promise<PickleScan[]> {
  const out: PickleScan[] = [];
  const base = input instanceof Uint8Array ? (options.baseOffset ?? 0) : input.offset;
  const end = input instanceof Uint8Array ? base + input.length : input.length === undefined ? input.source.size : Math.min(input.source.size, input.offset + input.length);
  let at = base;
  while (at < end && out.length < options.maxPickles) {
    const part: PickleInput = input instanceof Uint8Array ? input.subarray(at - base) : { source: input.source, offset: at, length: end - at };
    const scan = await scanPickle(part, { ...options, baseOffset: at, expectEnd: false });
    out.push(scan);
    if (!scan.complete || scan.endOffset <= at) break;
    at = scan.endOffset;
    if (options.stopAt?.(scan, out.length - 1)) break;
  }
  return out;
}

/** Disassembly listing (pickletools.dis style) of at most `maxOps` opcodes. */
export async function disassemblePickle(input: PickleInput, maxOps = 100_000, options: Omit<ScanPickleOptions, 'onOpcode'> = {}): Promise<{ ops: DisassembledOp[]; scan: PickleScan }> {
  const ops: DisassembledOp[] = [];
  const scan = await scanPickle(input, {
    ...options,
    keepRoot: false,
    onOpcode: (op) => {
      if (ops.length < maxOps) ops.push(op);
    },
  });
  return { ops, scan };
}

// ── value helpers ───────────────────────────────────────────────────────────────────────────

/** Small ints are immutable and frequent (sizes, strides, memo-less BININT1): one object each. */
const SMALL_INTS: readonly PValue[] = Array.from({ length: 256 }, (_, i): PValue => ({ t: 'int', v: i }));

function intOf(v: number | bigint): PValue {
  if (typeof v === 'number' && v >= 0 && v < 256 && Number.isInteger(v)) return SMALL_INTS[v] as PValue;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return { t: 'int', v: Number(v) };
  return { t: 'int', v };
}

function asArg(stack: PValue[]): string | number | bigint {
  const v = stack[stack.length - 1];
  if (!v) return '';
  if (v.t === 'int') return v.v;
  if (v.t === 'str') return v.v.slice(0, 200);
  return preview(v, 80);
}

/** Two's-complement little-endian integer (pickletools long1/long4). */
export function decodeLong(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if (((b[b.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
  return v;
}

/** Python `int(text)` (base 10) or `int(text, 0)`; 'huge' beyond the digit cap, undefined when invalid. */
export function parsePyInt(text: string, base0: boolean, maxDigits: number): bigint | 'huge' | undefined {
  const s = text.trim();
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/.exec(s);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  let body = m[2] as string;
  if (body.includes('__') || body.endsWith('_')) return undefined;
  let prefix = '';
  if (/^0[xXoObB]/.test(body)) {
    if (!base0) return undefined;
    prefix = body.slice(0, 2).toLowerCase();
    body = body.slice(2).replace(/^_/, '');
  } else if (base0 && /^0+[1-9]/.test(body.replace(/_/g, ''))) {
    // int("010", 0) is a SyntaxError-like ValueError in Python 3 (no octal without 0o).
    return undefined;
  }
  body = body.replace(/_/g, '');
  if (body.length === 0) return undefined;
  if (body.length > maxDigits) return 'huge';
  return sign * BigInt(prefix ? `${prefix}${body}` : body);
}

/** Python `float(text)` for the forms repr() writes (and inf/nan). */
export function parsePyFloat(text: string): number | undefined {
  const s = text.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** codecs.escape_decode of a Python 2 str literal body (latin-1 result). */
export function escapeDecode(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === undefined) return undefined; // trailing backslash
    switch (n) {
      case '\n':
        break;
      case '\\':
      case "'":
      case '"':
        out += n;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const h = s.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          let j = i;
          let o = '';
          while (j < s.length && o.length < 3 && (s[j] as string) >= '0' && (s[j] as string) <= '7') o += s[j++];
          out += String.fromCharCode(parseInt(o, 8) & 0xff);
          i = j - 1;
        } else {
          out += `\\${n}`;
        }
    }
  }
  return out;
}

/** raw-unicode-escape: only \uXXXX and \UXXXXXXXX are escapes; every other byte is latin-1. */
export function rawUnicodeEscapeDecode(b: Uint8Array): string {
  const s = latin1(b);
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (all, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt(u4 ?? u8 ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
  });
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export type { NamedTensor, TensorRecord, StorageRecord };
