/**
 * Recognising torch tensors in the symbolic pickle: the persistent ids torch.save writes for
 * storages, and the rebuild calls that turn a storage into a tensor. Pure pattern matching on
 * recorded values — nothing is imported or called.
 *
 * Persistent id (torch/serialization.py `persistent_id`, zip format):
 *   ('storage', <storage class>, key: str, location: str, numel: int)
 * legacy format (pre-1.6 `_legacy_save`) adds a sixth item, view metadata or None:
 *   (..., (view_key: str, offset: int, view_numel: int) | None)
 * Rebuild calls (torch/_utils.py, torch/_tensor.py):
 *   _rebuild_tensor(storage, storage_offset, size, stride)
 *   _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
 *   _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
 *   _rebuild_qtensor(storage, storage_offset, size, stride, quantizer_params, requires_grad, backward_hooks)
 *   _rebuild_parameter(data, requires_grad, backward_hooks)
 *   _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)
 *   torch._tensor._rebuild_from_type_v2(func, new_type, args, state)   (tensor subclasses)
 */
import { MAX_TENSOR_DIMS } from '../limits.ts';
import { asNumber, asSequence, asString, globalName, type PObject, type PValue, type StorageRecord, type TensorRecord } from './values.ts';

const TENSOR_REBUILDERS = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_qtensor',
]);
const PARAMETER_REBUILDERS = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state', 'torch.nn.parameter.Parameter']);
const SUBCLASS_REBUILDERS = new Set(['torch._tensor._rebuild_from_type_v2', 'torch._tensor._rebuild_from_type']);

/** Reads a torch storage persistent id; undefined when the id is something else. */
export function storageFromPid(pid: PValue, offset: number): { storage?: StorageRecord; problem?: string } {
  const items = asSequence(pid);
  if (!items || asString(items[0]) !== 'storage') return {};
  const type = items[1];
  const key = asString(items[2]) ?? (asNumber(items[2]) !== undefined ? String(asNumber(items[2])) : undefined);
  const location = asString(items[3]);
  const numel = asNumber(items[4]);
  if (type?.t !== 'global' || key === undefined || location === undefined || numel === undefined || numel < 0 || items.length < 5 || items.length > 6) {
    return { problem: 'a "storage" persistent id that is not (storage, <class>, key, location, numel[, view])' };
  }
  const storage: StorageRecord = { key, storageType: type.name, storageModule: type.module, location, numel, offset };
  const viewMeta = items[5];
  if (viewMeta && viewMeta.t !== 'none') {
    const v = asSequence(viewMeta);
    const vKey = asString(v?.[0]);
    const vOffset = asNumber(v?.[1]);
    const vNumel = asNumber(v?.[2]);
    if (vKey === undefined || vOffset === undefined || vNumel === undefined || vOffset < 0 || vNumel < 0) {
      return { problem: 'a legacy storage view that is not (key, offset, numel)' };
    }
    // The root storage is `key`; the object the tensor uses is the view, keyed vKey.
    storage.view = { key: vKey, offset: vOffset, numel: vNumel };
  }
  return { storage };
}

/** If `obj` (a REDUCE/NEWOBJ just recorded) rebuilds a tensor, returns the tensor record. */
export function recogniseTensor(obj: PObject): TensorRecord | undefined {
  const fn = globalName(obj.callee);
  if (fn === undefined) return undefined;
  if (TENSOR_REBUILDERS.has(fn)) return fromRebuildArgs(fn, obj.args, obj.offset);
  if (PARAMETER_REBUILDERS.has(fn)) {
    const data = obj.args[0];
    const inner = data?.t === 'object' ? data.tensor : undefined;
    if (!inner) return undefined;
    const rg = obj.args[1];
    const out: TensorRecord = { ...inner, parameter: true };
    if (rg?.t === 'bool') out.requiresGrad = rg.v;
    return out;
  }
  if (SUBCLASS_REBUILDERS.has(fn)) {
    const innerFn = globalName(obj.args[0]);
    const innerArgs = asSequence(obj.args[2]);
    if (innerFn === undefined || innerArgs === undefined) return undefined;
    let inner: TensorRecord | undefined;
    if (TENSOR_REBUILDERS.has(innerFn)) inner = fromRebuildArgs(innerFn, innerArgs, obj.offset);
    else if (PARAMETER_REBUILDERS.has(innerFn)) {
      const data = innerArgs[0];
      inner = data?.t === 'object' && data.tensor ? { ...data.tensor, parameter: true } : undefined;
    }
    if (!inner) return undefined;
    if (globalName(obj.args[1]) === 'torch.nn.parameter.Parameter') inner = { ...inner, parameter: true };
    return inner;
  }
  return undefined;
}

function fromRebuildArgs(fn: string, args: PValue[], offset: number): TensorRecord {
  const storageArg = args[0];
  const storage = storageArg?.t === 'persid' ? storageArg.storage : undefined;
  const record: TensorRecord = { rebuild: fn, storage, storageOffset: 0, size: [], stride: [], parameter: false, quantized: fn.endsWith('_qtensor'), offset };
  const problems: string[] = [];
  if (!storage) problems.push(storageArg?.t === 'persid' ? 'its storage persistent id is not a torch storage' : 'its first argument is not a persistent storage');
  const off = asNumber(args[1]);
  if (off === undefined || off < 0) problems.push('storage_offset is not a non-negative integer');
  else record.storageOffset = off;
  const size = intList(args[2]);
  const stride = intList(args[3]);
  if (!size) problems.push('size is not a tuple of non-negative integers');
  if (!stride) problems.push('stride is not a tuple of non-negative integers');
  if (size && stride && size.length !== stride.length) problems.push(`size has ${size.length} dims but stride has ${stride.length}`);
  if (size && size.length > MAX_TENSOR_DIMS) problems.push(`size has ${size.length} dims (at most ${MAX_TENSOR_DIMS} supported)`);
  if (size) record.size = size;
  if (stride) record.stride = stride;
  const rgIndex = fn.endsWith('_qtensor') ? 5 : 4;
  const rg = args[rgIndex];
  if (rg?.t === 'bool') record.requiresGrad = rg.v;
  if (fn.endsWith('_v3')) {
    const dt = args[6];
    if (dt?.t === 'global' && dt.module === 'torch') record.dtypeName = dt.name;
    else problems.push('the dtype argument of _rebuild_tensor_v3 is not a torch dtype');
  }
  if (problems.length > 0) record.problem = problems.join('; ');
  return record;
}

function intList(v: PValue | undefined): number[] | undefined {
  // torch.Size pickles as a plain tuple, but a REDUCE of torch.Size((…)) is also seen in the wild.
  let items = asSequence(v);
  if (!items && v?.t === 'object' && globalName(v.callee) === 'torch.Size') items = asSequence(v.args[0]);
  if (!items) return undefined;
  const out: number[] = [];
  for (const x of items) {
    const n = asNumber(x);
    if (n === undefined || n < 0 || x.t === 'bool') return undefined;
    out.push(n);
  }
  return out;
}
