/**
 * Pickle policy: which globals a weights file may import, and how bad the others are.
 *
 * The allowlist is what a state dict needs (close to torch's own `weights_only` unpickler,
 * torch/_weights_only_unpickler.py): OrderedDict, the tensor/parameter rebuild functions, storage
 * classes, dtypes, torch.Size/device/layouts. A second tier is *allowed but noted*: globals benign
 * trainers really write that weights_only refuses — numpy arrays and scalars in RNG states
 * (`numpy.core.multiarray._reconstruct`, `numpy.ndarray`, `numpy.dtype`), `_codecs.encode` (how
 * bytes are pickled at protocol 2), `copyreg._reconstructor`, harmless builtin types, TorchScript's
 * own `__torch__.*` classes in TorchScript archives. Everything else is an `unsafe-pickle-global`:
 * critical when it can run commands, code, network or file access (os/posix/nt/subprocess, eval &
 * co., runpy, importlib, socket/ssl, asyncio's subprocess transports, shutil, pip, sys, ctypes,
 * marshal, types, code, webbrowser, …), high otherwise — an arbitrary class import is how
 * gadget chains start, and a scanner cannot prove a class harmless.
 *
 * Module names are matched after CPython's Python-2 compatibility mapping (Lib/_compat_pickle.py:
 * `__builtin__` → builtins, `copy_reg` → copyreg, `commands` → subprocess …), which `pickle.load`
 * applies to protocol 0–2 pickles. A scan that could not finish is never clean: it yields a high
 * `pickle-anomaly`.
 */
import type { ZipAnomaly } from '../zip/read-zip.ts';
import type { SecurityFinding, Severity } from './findings.ts';
import type { PickleScan } from './scan-pickle.ts';

export type GlobalVerdict = 'allowed' | 'noted' | 'unsafe';

export interface GlobalClassification {
  verdict: GlobalVerdict;
  severity: Severity;
  /** Why, in a few words ("runs shell commands", "numpy array reconstruction"). */
  reason: string;
}

export interface PolicyContext {
  file: string;
  member?: string;
  /** The pickle belongs to a TorchScript archive (its `__torch__.*` classes are TorchScript's own). */
  torchscript?: boolean;
}

/** Lib/_compat_pickle.py IMPORT_MAPPING, the modules that matter for classification. */
const MODULE_ALIASES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  commands: 'subprocess',
  exceptions: 'builtins',
  UserDict: 'collections',
  UserList: 'collections',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  SocketServer: 'socketserver',
  cStringIO: 'io',
  StringIO: 'io',
  _winreg: 'winreg',
  thread: '_thread',
  Queue: 'queue',
  repr: 'reprlib',
  dbm: 'dbm.ndbm',
  'multiprocessing.forking': 'multiprocessing.popen_fork',
};

/** Modules whose every global is critical: they run commands or code, touch the network, files or the interpreter. */
const CRITICAL_MODULES: Record<string, string> = {
  os: 'operating-system access (commands, files, environment)',
  posix: 'operating-system access (posix.system runs shell commands)',
  nt: 'operating-system access (nt.system runs shell commands)',
  subprocess: 'runs external commands',
  _posixsubprocess: 'runs external commands',
  pty: 'spawns processes on a terminal',
  runpy: 'runs Python modules and files',
  importlib: 'imports arbitrary modules',
  imp: 'imports arbitrary modules',
  pkgutil: 'resolves and imports arbitrary names',
  zipimport: 'imports code from archives',
  socket: 'opens network connections',
  _socket: 'opens network connections',
  socketserver: 'opens network servers',
  ssl: 'opens network connections',
  _ssl: 'opens network connections',
  asyncio: 'runs subprocesses and network I/O (e.g. asyncio.unix_events._UnixSubprocessTransport._start)',
  urllib: 'network access',
  http: 'network access',
  ftplib: 'network access',
  smtplib: 'network access',
  telnetlib: 'network access',
  poplib: 'network access',
  imaplib: 'network access',
  requests: 'network access',
  httpx: 'network access',
  aiohttp: 'network access',
  webbrowser: 'opens URLs / runs a browser',
  shutil: 'copies, moves and deletes files',
  tempfile: 'creates files',
  io: 'opens files',
  _io: 'opens files',
  pathlib: 'reads and writes files',
  glob: 'lists files',
  fileinput: 'reads files',
  linecache: 'reads files',
  shelve: 'opens databases (and unpickles them)',
  dbm: 'opens databases',
  pip: 'installs packages (runs setup code)',
  ensurepip: 'installs packages',
  venv: 'creates environments and runs commands',
  setuptools: 'runs build code',
  distutils: 'runs build code',
  sys: 'interpreter internals (modules, path, exit)',
  ctypes: 'calls native code',
  _ctypes: 'calls native code',
  cffi: 'calls native code',
  marshal: 'loads code objects',
  types: 'builds code and function objects',
  code: 'runs Python source (code.interact / InteractiveInterpreter)',
  codeop: 'compiles Python source',
  pickle: 'nested unpickling',
  _pickle: 'nested unpickling',
  pickletools: 'nested pickle processing',
  dill: 'nested unpickling of code',
  cloudpickle: 'nested unpickling of code',
  joblib: 'nested unpickling',
  multiprocessing: 'spawns processes',
  concurrent: 'runs callables in other threads/processes',
  threading: 'runs callables in threads',
  _thread: 'runs callables in threads',
  signal: 'installs signal handlers',
  operator: 'attribute/method access gadgets (attrgetter, methodcaller)',
  pydoc: 'runs pagers (shell commands)',
  timeit: 'runs Python source',
  cProfile: 'runs Python source',
  profile: 'runs Python source',
  trace: 'runs Python source',
  pdb: 'runs Python source / debugger',
  bdb: 'runs Python source / debugger',
  doctest: 'runs Python source',
  idlelib: 'runs Python source (IDLE shell internals)',
  platform: 'runs external commands (platform.popen in old Pythons)',
  builtins: 'Python builtins',
  winreg: 'Windows registry access',
  _winapi: 'Windows process creation',
  msvcrt: 'Windows console and process access',
  gc: 'interpreter internals',
  inspect: 'interpreter internals',
  site: 'interpreter start-up hooks',
  sysconfig: 'interpreter configuration',
  uuid: 'runs external commands (uuid._get_command_stdout)',
  ctypes_util: 'loads native libraries',
  bz2: 'opens files',
  gzip: 'opens files',
  lzma: 'opens files',
  zipfile: 'opens files',
  tarfile: 'opens and extracts files',
};

/** builtins that are plain data types (allowed but noted); every other builtin is critical or high. */
const BENIGN_BUILTINS = new Set(['set', 'frozenset', 'bytearray', 'bytes', 'complex', 'slice', 'range', 'xrange', 'dict', 'list', 'tuple', 'int', 'long', 'float', 'bool', 'str', 'unicode', 'object', 'NoneType', 'Ellipsis', 'NotImplemented']);
/** builtins that run code, import, or reach arbitrary attributes and files. */
const CRITICAL_BUILTINS = new Set(['eval', 'exec', 'execfile', 'compile', 'getattr', 'setattr', 'delattr', '__import__', 'open', 'file', 'apply', 'globals', 'locals', 'vars', 'input', 'raw_input', 'breakpoint', 'reload', 'exit', 'quit', 'help', 'memoryview', 'type', 'super', 'classmethod', 'staticmethod', 'property', '__build_class__', 'dir', 'print']);

/** Exact dotted names that are critical although their module is not. */
const CRITICAL_NAMES: Record<string, string> = {
  'numpy.testing._private.utils.runstring': 'runs Python source (exec)',
  'numpy.load': 'nested load (may unpickle)',
  'numpy.lib.npyio.load': 'nested load (may unpickle)',
  'torch.load': 'nested torch.load (unpickles another file)',
  'torch.serialization.load': 'nested torch.load (unpickles another file)',
  'torch.storage._load_from_bytes': 'nested torch.load of inline bytes',
  'torch.jit.load': 'loads a TorchScript program',
  'torch._C._jit_pass_lower_all_tuples': 'TorchScript compiler internals',
  'torch.utils.cpp_extension.load': 'compiles and loads native code',
  'torch.utils.cpp_extension.load_inline': 'compiles and loads native code',
};
const CRITICAL_PREFIXES: [string, string][] = [
  ['torch.hub.', 'downloads and runs code from a repository'],
  ['torch._dynamo.', 'compiler internals'],
  ['torch._inductor.', 'compiler internals (generates and runs code)'],
  ['torch.distributed.', 'process groups and RPC'],
  ['torch.multiprocessing.', 'spawns processes'],
  ['torch.package.', 'imports packaged code'],
  // Code-running helpers under torch names (scanner bypasses: a torch prefix looks like plumbing).
  ['torch.jit.unsupported_tensor_ops.', 'runs Python source (execWrapper is exec)'],
  ['torch.fx.experimental.symbolic_shapes.', 'evaluates guard expressions with eval'],
  ['torch.utils.bottleneck.', 'runs scripts under profilers'],
  ['torch.utils.collect_env.', 'runs external commands'],
  ['torch.utils._config_module.', 'nested unpickling of config bytes'],
  ['torch.testing._internal.', 'test helpers that run code and subprocesses'],
];

const ALLOWED_EXACT = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_sparse_csr_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor',
  'torch._tensor._rebuild_from_type_v2',
  'torch._tensor._rebuild_from_type',
  'torch.nn.parameter.Parameter',
  'torch.nn.parameter._rebuild_parameter',
  'torch.Size',
  'torch.device',
  'torch.Tensor',
  'torch.serialization._get_layout',
  'torch.storage.TypedStorage',
  'torch.storage.UntypedStorage',
]);
/** torch.<dtype>, torch.<layout>, torch.<qscheme>, torch.<memory_format>. */
const TORCH_CONSTANTS = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'complex32', 'chalf', 'complex64', 'cfloat', 'complex128', 'cdouble',
  'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'short', 'int32', 'int', 'int64', 'long', 'bool',
  'float8_e4m3fn', 'float8_e4m3fnuz', 'float8_e5m2', 'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2',
  'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4', 'bits8', 'bits16', 'bits1x8', 'bits2x4', 'bits4x2',
  'strided', 'sparse_coo', 'sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc', '_mkldnn', 'jagged',
  'per_tensor_affine', 'per_channel_affine', 'per_tensor_symmetric', 'per_channel_symmetric', 'per_channel_affine_float_qparams',
  'contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format',
]);
const NOTED: Record<string, string> = {
  'numpy.core.multiarray._reconstruct': 'numpy array reconstruction (benign trainers pickle numpy RNG states this way)',
  'numpy._core.multiarray._reconstruct': 'numpy array reconstruction (benign trainers pickle numpy RNG states this way)',
  'numpy.core.multiarray.scalar': 'numpy scalar reconstruction',
  'numpy._core.multiarray.scalar': 'numpy scalar reconstruction',
  'numpy.ndarray': 'numpy array type',
  'numpy.dtype': 'numpy dtype',
  'numpy.core.numeric._frombuffer': 'numpy array from bytes',
  'numpy._core.numeric._frombuffer': 'numpy array from bytes',
  '_codecs.encode': 'bytes pickled at protocol 2 (str → latin-1 bytes); benign in RNG states, but also a step of known gadget chains',
  'copyreg._reconstructor': 'plain-object reconstruction (object.__new__ of the class it names)',
  'copyreg.__newobj__': 'plain-object reconstruction',
  'collections.defaultdict': 'defaultdict (calls its factory on missing keys)',
  'collections.deque': 'deque container',
  'torch._utils._rebuild_device_tensor_from_numpy': 'tensor rebuilt from a numpy array',
  'torch._utils._rebuild_wrapper_subclass': 'tensor subclass wrapper (the class it names is flagged separately)',
  'torch.nn.modules.module._IncompatibleKeys': 'load_state_dict result',
  'argparse.Namespace': 'argparse options (common in research checkpoints)',
  'datetime.datetime': 'timestamp',
  'datetime.date': 'date',
  'datetime.timedelta': 'duration',
  'decimal.Decimal': 'decimal number',
  'fractions.Fraction': 'fraction',
  'uuid.UUID': 'UUID value',
  'pathlib.PosixPath': 'path value (constructing it touches no file)',
  'pathlib.WindowsPath': 'path value (constructing it touches no file)',
  'pathlib.PurePosixPath': 'path value',
  'pathlib.PureWindowsPath': 'path value',
};

/** Classifies one global as written in the pickle. */
export function classifyGlobal(module: string, name: string, ctx: { torchscript?: boolean } = {}): GlobalClassification {
  const mod = MODULE_ALIASES[module] ?? module;
  const dotted = `${mod}.${name}`;
  const top = mod.split('.')[0] ?? mod;

  if (ALLOWED_EXACT.has(dotted)) return { verdict: 'allowed', severity: 'info', reason: 'state-dict plumbing' };
  if ((mod === 'torch' || mod === 'torch.storage' || mod === 'torch.cuda') && /^[A-Za-z0-9]+Storage$/.test(name)) return { verdict: 'allowed', severity: 'info', reason: 'storage class' };
  if (mod === 'torch' && TORCH_CONSTANTS.has(name)) return { verdict: 'allowed', severity: 'info', reason: 'torch dtype/layout constant' };
  if (mod === 'numpy.dtypes' && /^[A-Za-z0-9]+DType$/.test(name)) return { verdict: 'noted', severity: 'info', reason: 'numpy dtype class' };
  const noted = NOTED[dotted];
  if (noted) return { verdict: 'noted', severity: 'info', reason: noted };
  if (mod === 'builtins') {
    if (BENIGN_BUILTINS.has(name)) return { verdict: 'noted', severity: 'info', reason: `builtin data type ${name}` };
    if (CRITICAL_BUILTINS.has(name)) return { verdict: 'unsafe', severity: 'critical', reason: `builtins.${name} runs code, imports or reaches arbitrary attributes/files` };
    return { verdict: 'unsafe', severity: 'high', reason: `builtins.${name} is not a data type` };
  }
  // TorchScript's pickler writes these list/tensor helpers (torch/jit/_pickle.py: build_intlist,
  // build_tensorlist, restore_type_tag …): identity functions over their argument.
  if (mod === 'torch.jit._pickle') return { verdict: 'noted', severity: 'info', reason: 'TorchScript pickle helper (returns its argument)' };
  if (ctx.torchscript && (mod === '__torch__' || mod.startsWith('__torch__.'))) {
    return { verdict: 'noted', severity: 'info', reason: 'TorchScript class (resolved by the TorchScript runtime, not imported by Python)' };
  }
  const critical = CRITICAL_NAMES[dotted];
  if (critical) return { verdict: 'unsafe', severity: 'critical', reason: critical };
  for (const [prefix, why] of CRITICAL_PREFIXES) if (dotted.startsWith(prefix)) return { verdict: 'unsafe', severity: 'critical', reason: why };
  const modReason = CRITICAL_MODULES[mod] ?? CRITICAL_MODULES[top];
  if (modReason) return { verdict: 'unsafe', severity: 'critical', reason: modReason };
  if (module.startsWith('<') || name.startsWith('<') || module.startsWith('copyreg') && name.startsWith('_extension_registry')) {
    return { verdict: 'unsafe', severity: 'high', reason: 'a global whose name is not known from the file' };
  }
  return { verdict: 'unsafe', severity: 'high', reason: 'not needed by a state dict; importing an arbitrary class is how gadget chains start' };
}

/**
 * Findings for one scanned pickle: one per distinct unsafe or noted global (first offset, with the
 * number of occurrences and what it was called with), one per anomaly, and a high finding when the
 * scan could not finish.
 */
export function evaluatePickle(scan: PickleScan, ctx: PolicyContext): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  const base = (): { file: string; member?: string } => (ctx.member === undefined ? { file: ctx.file } : { file: ctx.file, member: ctx.member });
  const seen = new Map<string, { count: number; finding: SecurityFinding }>();
  for (const g of scan.globals) {
    const dotted = `${g.module}.${g.name}`;
    const prev = seen.get(dotted);
    if (prev) {
      prev.count++;
      continue;
    }
    const c = classifyGlobal(g.module, g.name, ctx.torchscript === undefined ? {} : { torchscript: ctx.torchscript });
    if (c.verdict === 'allowed') {
      seen.set(dotted, { count: 1, finding: { ...base(), kind: 'pickle-anomaly', severity: 'info', code: dotted, offset: g.offset, message: '' } });
      continue;
    }
    const call = scan.calls.find((k) => k.callee === dotted);
    const callText = call ? `; called as ${dotted}${call.args} at byte ${call.offset}` : '';
    const f: SecurityFinding =
      c.verdict === 'unsafe'
        ? {
            ...base(),
            kind: 'unsafe-pickle-global',
            severity: c.severity,
            code: dotted,
            module: g.module,
            name: g.name,
            offset: g.offset,
            message: `The pickle imports ${dotted} (${g.opcode} at byte ${g.offset}): ${c.reason}${callText}`,
          }
        : {
            ...base(),
            kind: 'pickle-anomaly',
            severity: 'info',
            code: 'noted-global',
            module: g.module,
            name: g.name,
            offset: g.offset,
            message: `Allowed but noted: the pickle imports ${dotted} (${g.opcode} at byte ${g.offset}): ${c.reason}`,
          };
    seen.set(dotted, { count: 1, finding: f });
    findings.push(f);
  }
  for (const { count, finding } of seen.values()) {
    if (count > 1 && finding.message) finding.message += ` (${count} occurrences)`;
  }
  for (const a of scan.anomalies) {
    findings.push({ ...base(), kind: 'pickle-anomaly', severity: a.severity, code: a.code, offset: a.offset, message: a.message });
  }
  if (!scan.complete && !scan.anomalies.some((a) => a.code === 'scan-incomplete')) {
    findings.push({ ...base(), kind: 'pickle-anomaly', severity: 'high', code: 'scan-incomplete', offset: scan.endOffset, message: `The pickle could not be read to its end${scan.error ? ` (${scan.error.code}: ${scan.error.message})` : ''}` });
  }
  return findings;
}

/** ZIP anomalies as findings. */
export function zipAnomalyFindings(anomalies: readonly ZipAnomaly[], file: string): SecurityFinding[] {
  return anomalies.map((a) => {
    const f: SecurityFinding = { kind: 'zip-anomaly', severity: a.severity, code: a.code, file, offset: a.offset, message: a.message };
    if (a.member !== undefined) f.member = a.member;
    return f;
  });
}
