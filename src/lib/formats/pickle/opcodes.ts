/**
 * Pickle opcodes of protocols 0–5, as documented by CPython's Lib/pickletools.py (`opcodes`) and
 * PEP 307 (protocol 2), PEP 3154 (4), PEP 574 (5). `arg` names how the argument is encoded in the
 * stream; the interpreter in scan-pickle.ts implements each one's stack effect symbolically.
 */

export type PickleArg =
  | 'none'
  | 'uint1' | 'uint2' | 'uint4' | 'uint8' | 'int4'
  | 'decimalnl_short' | 'decimalnl_long' | 'floatnl' | 'float8'
  | 'long1' | 'long4'
  | 'stringnl' | 'stringnl_noescape' | 'stringnl_noescape_pair' | 'unicodestringnl'
  | 'string1' | 'string4' | 'bytes1' | 'bytes4' | 'bytes8' | 'bytearray8'
  | 'unicodestring1' | 'unicodestring4' | 'unicodestring8';

export interface OpcodeInfo {
  readonly name: string;
  readonly arg: PickleArg;
  /** Lowest protocol that defines it. */
  readonly proto: number;
}

const T: Record<string, OpcodeInfo> = {
  I: { name: 'INT', arg: 'decimalnl_short', proto: 0 },
  J: { name: 'BININT', arg: 'int4', proto: 1 },
  K: { name: 'BININT1', arg: 'uint1', proto: 1 },
  M: { name: 'BININT2', arg: 'uint2', proto: 1 },
  L: { name: 'LONG', arg: 'decimalnl_long', proto: 0 },
  '\x8a': { name: 'LONG1', arg: 'long1', proto: 2 },
  '\x8b': { name: 'LONG4', arg: 'long4', proto: 2 },
  S: { name: 'STRING', arg: 'stringnl', proto: 0 },
  T: { name: 'BINSTRING', arg: 'string4', proto: 1 },
  U: { name: 'SHORT_BINSTRING', arg: 'string1', proto: 1 },
  B: { name: 'BINBYTES', arg: 'bytes4', proto: 3 },
  C: { name: 'SHORT_BINBYTES', arg: 'bytes1', proto: 3 },
  '\x8e': { name: 'BINBYTES8', arg: 'bytes8', proto: 4 },
  '\x96': { name: 'BYTEARRAY8', arg: 'bytearray8', proto: 5 },
  '\x97': { name: 'NEXT_BUFFER', arg: 'none', proto: 5 },
  '\x98': { name: 'READONLY_BUFFER', arg: 'none', proto: 5 },
  N: { name: 'NONE', arg: 'none', proto: 0 },
  '\x88': { name: 'NEWTRUE', arg: 'none', proto: 2 },
  '\x89': { name: 'NEWFALSE', arg: 'none', proto: 2 },
  V: { name: 'UNICODE', arg: 'unicodestringnl', proto: 0 },
  '\x8c': { name: 'SHORT_BINUNICODE', arg: 'unicodestring1', proto: 4 },
  X: { name: 'BINUNICODE', arg: 'unicodestring4', proto: 1 },
  '\x8d': { name: 'BINUNICODE8', arg: 'unicodestring8', proto: 4 },
  F: { name: 'FLOAT', arg: 'floatnl', proto: 0 },
  G: { name: 'BINFLOAT', arg: 'float8', proto: 1 },
  ']': { name: 'EMPTY_LIST', arg: 'none', proto: 1 },
  a: { name: 'APPEND', arg: 'none', proto: 0 },
  e: { name: 'APPENDS', arg: 'none', proto: 1 },
  l: { name: 'LIST', arg: 'none', proto: 0 },
  ')': { name: 'EMPTY_TUPLE', arg: 'none', proto: 1 },
  t: { name: 'TUPLE', arg: 'none', proto: 0 },
  '\x85': { name: 'TUPLE1', arg: 'none', proto: 2 },
  '\x86': { name: 'TUPLE2', arg: 'none', proto: 2 },
  '\x87': { name: 'TUPLE3', arg: 'none', proto: 2 },
  '}': { name: 'EMPTY_DICT', arg: 'none', proto: 1 },
  d: { name: 'DICT', arg: 'none', proto: 0 },
  s: { name: 'SETITEM', arg: 'none', proto: 0 },
  u: { name: 'SETITEMS', arg: 'none', proto: 1 },
  '\x8f': { name: 'EMPTY_SET', arg: 'none', proto: 4 },
  '\x90': { name: 'ADDITEMS', arg: 'none', proto: 4 },
  '\x91': { name: 'FROZENSET', arg: 'none', proto: 4 },
  '0': { name: 'POP', arg: 'none', proto: 0 },
  '2': { name: 'DUP', arg: 'none', proto: 0 },
  '(': { name: 'MARK', arg: 'none', proto: 0 },
  '1': { name: 'POP_MARK', arg: 'none', proto: 1 },
  g: { name: 'GET', arg: 'decimalnl_short', proto: 0 },
  h: { name: 'BINGET', arg: 'uint1', proto: 1 },
  j: { name: 'LONG_BINGET', arg: 'uint4', proto: 1 },
  p: { name: 'PUT', arg: 'decimalnl_short', proto: 0 },
  q: { name: 'BINPUT', arg: 'uint1', proto: 1 },
  r: { name: 'LONG_BINPUT', arg: 'uint4', proto: 1 },
  '\x94': { name: 'MEMOIZE', arg: 'none', proto: 4 },
  '\x82': { name: 'EXT1', arg: 'uint1', proto: 2 },
  '\x83': { name: 'EXT2', arg: 'uint2', proto: 2 },
  '\x84': { name: 'EXT4', arg: 'int4', proto: 2 },
  c: { name: 'GLOBAL', arg: 'stringnl_noescape_pair', proto: 0 },
  '\x93': { name: 'STACK_GLOBAL', arg: 'none', proto: 4 },
  R: { name: 'REDUCE', arg: 'none', proto: 0 },
  b: { name: 'BUILD', arg: 'none', proto: 0 },
  i: { name: 'INST', arg: 'stringnl_noescape_pair', proto: 0 },
  o: { name: 'OBJ', arg: 'none', proto: 1 },
  '\x81': { name: 'NEWOBJ', arg: 'none', proto: 2 },
  '\x92': { name: 'NEWOBJ_EX', arg: 'none', proto: 4 },
  '\x80': { name: 'PROTO', arg: 'uint1', proto: 2 },
  '.': { name: 'STOP', arg: 'none', proto: 0 },
  '\x95': { name: 'FRAME', arg: 'uint8', proto: 4 },
  P: { name: 'PERSID', arg: 'stringnl_noescape', proto: 0 },
  Q: { name: 'BINPERSID', arg: 'none', proto: 1 },
};

/** Indexed by opcode byte; undefined for bytes that are not opcodes. */
export const OPCODES: readonly (OpcodeInfo | undefined)[] = (() => {
  const out: (OpcodeInfo | undefined)[] = new Array<OpcodeInfo | undefined>(256).fill(undefined);
  for (const [ch, info] of Object.entries(T)) out[ch.charCodeAt(0)] = info;
  return out;
})();

export function opcodeName(byte: number): string {
  return OPCODES[byte]?.name ?? `0x${byte.toString(16).padStart(2, '0')}`;
}
