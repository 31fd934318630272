import { describe, expect, it } from 'vitest';
import { classifyGlobal, evaluatePickle, zipAnomalyFindings } from '../../../../src/lib/formats/pickle/policy.ts';
import { scanPickle } from '../../../../src/lib/formats/pickle/scan-pickle.ts';
import { pk } from './pickle-builder.ts';

describe('classifyGlobal', () => {
  it.each([
    ['posix', 'system'],
    ['nt', 'system'],
    ['os', 'system'],
    ['os', 'popen'],
    ['subprocess', 'Popen'],
    ['commands', 'getoutput'], // Python 2 name, mapped to subprocess by _compat_pickle
    ['builtins', 'eval'],
    ['__builtin__', 'eval'],
    ['builtins', 'exec'],
    ['builtins', 'compile'],
    ['builtins', 'getattr'],
    ['builtins', 'setattr'],
    ['builtins', '__import__'],
    ['builtins', 'open'],
    ['__builtin__', 'apply'],
    ['runpy', '_run_code'],
    ['importlib', 'import_module'],
    ['pty', 'spawn'],
    ['socket', 'create_connection'],
    ['ssl', 'get_server_certificate'],
    ['asyncio.unix_events', '_UnixSubprocessTransport._start'],
    ['shutil', 'rmtree'],
    ['pip', 'main'],
    ['sys', 'exit'],
    ['ctypes', 'CDLL'],
    ['marshal', 'loads'],
    ['types', 'FunctionType'],
    ['code', 'InteractiveInterpreter'],
    ['webbrowser', 'open'],
    ['operator', 'attrgetter'],
    ['pickle', 'loads'],
    ['torch.hub', 'load'],
    ['torch', 'load'],
    ['numpy.testing._private.utils', 'runstring'],
  ])('%s.%s is critical', (module, name) => {
    expect(classifyGlobal(module, name)).toMatchObject({ verdict: 'unsafe', severity: 'critical' });
  });

  it.each([
    ['transformers.training_args', 'TrainingArguments'],
    ['torch.nn.modules.linear', 'Linear'],
    ['__main__', 'Net'],
    ['functools', 'partial'],
    ['builtins', 'map'],
    ['__torch__', 'M'], // outside a TorchScript archive
  ])('%s.%s is high', (module, name) => {
    expect(classifyGlobal(module, name)).toMatchObject({ verdict: 'unsafe', severity: 'high' });
  });

  it.each([
    ['collections', 'OrderedDict'],
    ['torch._utils', '_rebuild_tensor_v2'],
    ['torch._utils', '_rebuild_tensor_v3'],
    ['torch._utils', '_rebuild_parameter'],
    ['torch._utils', '_rebuild_parameter_with_state'],
    ['torch', 'FloatStorage'],
    ['torch', 'BFloat16Storage'],
    ['torch', 'UntypedStorage'],
    ['torch.storage', 'UntypedStorage'],
    ['torch', 'bfloat16'],
    ['torch', 'float16'],
    ['torch', 'Size'],
    ['torch', 'device'],
    ['torch.nn.parameter', 'Parameter'],
  ])('%s.%s is allowed', (module, name) => {
    expect(classifyGlobal(module, name).verdict).toBe('allowed');
  });

  it.each([
    ['numpy.core.multiarray', '_reconstruct'],
    ['numpy._core.multiarray', '_reconstruct'],
    ['numpy', 'ndarray'],
    ['numpy', 'dtype'],
    ['numpy.dtypes', 'Float64DType'],
    ['_codecs', 'encode'],
    ['__builtin__', 'set'],
    ['__builtin__', 'xrange'],
    ['copy_reg', '_reconstructor'],
    ['torch.jit._pickle', 'build_intlist'],
  ])('%s.%s is allowed but noted', (module, name) => {
    expect(classifyGlobal(module, name)).toMatchObject({ verdict: 'noted', severity: 'info' });
  });

  it('TorchScript classes are noted inside TorchScript archives only', () => {
    expect(classifyGlobal('__torch__.model', 'Net', { torchscript: true }).verdict).toBe('noted');
    expect(classifyGlobal('__torch__.model', 'Net').verdict).toBe('unsafe');
  });
});

describe('evaluatePickle', () => {
  it('one finding per distinct unsafe global, with offset, occurrences and the call', async () => {
    const bytes = pk().proto(2).global('posix', 'system').put(0).str('id').tuple(1).reduce().raw('0').get(0).str('ls').tuple(1).reduce().raw('0').global('collections', 'OrderedDict').tuple(0).reduce().stop().bytes();
    const scan = await scanPickle(bytes, { baseOffset: 64 });
    const f = evaluatePickle(scan, { file: 'x.pt', member: 'x/data.pkl' });
    expect(f).toEqual([
      {
        kind: 'unsafe-pickle-global',
        severity: 'critical',
        code: 'posix.system',
        module: 'posix',
        name: 'system',
        file: 'x.pt',
        member: 'x/data.pkl',
        offset: 66,
        message: expect.stringContaining('posix.system("id",)') as unknown as string,
      },
    ]);
    expect(f[0]?.message).toContain('GLOBAL at byte 66');
  });

  it('a scan that could not finish is never clean', async () => {
    const scan = await scanPickle(pk().proto(2).global('collections', 'OrderedDict').tuple(0).bytes());
    const f = evaluatePickle(scan, { file: 'x.pkl' });
    expect(f.some((x) => x.kind === 'pickle-anomaly' && x.severity === 'high' && x.code === 'scan-incomplete')).toBe(true);
  });

  it('a clean state dict yields no findings', async () => {
    const bytes = pk().proto(2).emptyDict().str('w').tensor({ key: '0', numel: 4, size: [4], stride: [1] }).setitem().stop().bytes();
    expect(evaluatePickle(await scanPickle(bytes), { file: 'x.pt' })).toEqual([]);
  });

  it('ZIP anomalies map to zip-anomaly findings', () => {
    expect(zipAnomalyFindings([{ code: 'duplicate-name', severity: 'high', offset: 5, member: 'a', message: 'm' }], 'f.zip')).toEqual([
      { kind: 'zip-anomaly', severity: 'high', code: 'duplicate-name', file: 'f.zip', member: 'a', offset: 5, message: 'm' },
    ]);
  });
});
