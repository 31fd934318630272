/**
 * Torch storage classes and dtypes → format-neutral DType and element size.
 *
 * Storage classes are the legacy typed storages torch.save still writes for the classic dtypes
 * (torch/storage.py `_get_dtype_from_pickle_storage_type`); dtypes without one (uint16/32/64,
 * float8 variants) are saved with `UntypedStorage` and a dtype argument to `_rebuild_tensor_v3`
 * (torch/storage.py `_new_dtypes`). `dtype` is undefined where the DType set has no equivalent
 * (complex128, the *fnuz float8 encodings, packed 4-bit and quantized sub-byte types): such
 * tensors are reported, not compared.
 */
import type { DType } from '../dtype.ts';

export interface TorchTypeInfo {
  dtype: DType | undefined;
  /** Bytes per element. */
  size: number;
  /** torch dtype name, for messages. */
  torchName: string;
  quantized?: boolean;
}

const t = (dtype: DType | undefined, size: number, torchName: string, quantized = false): TorchTypeInfo => ({ dtype, size, torchName, ...(quantized ? { quantized } : {}) });

export const STORAGE_TYPES: Readonly<Record<string, TorchTypeInfo>> = {
  DoubleStorage: t('F64', 8, 'float64'),
  FloatStorage: t('F32', 4, 'float32'),
  HalfStorage: t('F16', 2, 'float16'),
  BFloat16Storage: t('BF16', 2, 'bfloat16'),
  LongStorage: t('I64', 8, 'int64'),
  IntStorage: t('I32', 4, 'int32'),
  ShortStorage: t('I16', 2, 'int16'),
  CharStorage: t('I8', 1, 'int8'),
  ByteStorage: t('U8', 1, 'uint8'),
  BoolStorage: t('BOOL', 1, 'bool'),
  ComplexFloatStorage: t('C64', 8, 'complex64'),
  ComplexDoubleStorage: t(undefined, 16, 'complex128'),
  QInt8Storage: t('I8', 1, 'qint8', true),
  QUInt8Storage: t('U8', 1, 'quint8', true),
  QInt32Storage: t('I32', 4, 'qint32', true),
  QUInt4x2Storage: t(undefined, 1, 'quint4x2', true),
  QUInt2x4Storage: t(undefined, 1, 'quint2x4', true),
  UntypedStorage: t('U8', 1, 'uint8'),
  _UntypedStorage: t('U8', 1, 'uint8'),
};

export const TORCH_DTYPES: Readonly<Record<string, TorchTypeInfo>> = {
  float64: t('F64', 8, 'float64'),
  double: t('F64', 8, 'float64'),
  float32: t('F32', 4, 'float32'),
  float: t('F32', 4, 'float32'),
  float16: t('F16', 2, 'float16'),
  half: t('F16', 2, 'float16'),
  bfloat16: t('BF16', 2, 'bfloat16'),
  int64: t('I64', 8, 'int64'),
  long: t('I64', 8, 'int64'),
  int32: t('I32', 4, 'int32'),
  int: t('I32', 4, 'int32'),
  int16: t('I16', 2, 'int16'),
  short: t('I16', 2, 'int16'),
  int8: t('I8', 1, 'int8'),
  uint8: t('U8', 1, 'uint8'),
  uint16: t('U16', 2, 'uint16'),
  uint32: t('U32', 4, 'uint32'),
  uint64: t('U64', 8, 'uint64'),
  bool: t('BOOL', 1, 'bool'),
  complex64: t('C64', 8, 'complex64'),
  cfloat: t('C64', 8, 'complex64'),
  complex128: t(undefined, 16, 'complex128'),
  cdouble: t(undefined, 16, 'complex128'),
  complex32: t(undefined, 4, 'complex32'),
  chalf: t(undefined, 4, 'complex32'),
  float8_e4m3fn: t('F8_E4M3', 1, 'float8_e4m3fn'),
  float8_e5m2: t('F8_E5M2', 1, 'float8_e5m2'),
  float8_e8m0fnu: t('F8_E8M0', 1, 'float8_e8m0fnu'),
  // Same width, different encodings (no negative zero, other bias): not the safetensors F8 types.
  float8_e4m3fnuz: t(undefined, 1, 'float8_e4m3fnuz'),
  float8_e5m2fnuz: t(undefined, 1, 'float8_e5m2fnuz'),
  // Two 4-bit values per element byte; the shape counts bytes, not values.
  float4_e2m1fn_x2: t(undefined, 1, 'float4_e2m1fn_x2'),
  qint8: t('I8', 1, 'qint8', true),
  quint8: t('U8', 1, 'quint8', true),
  qint32: t('I32', 4, 'qint32', true),
};

/** Type of a storage class name (module torch / torch.storage / torch.cuda). */
export function storageTypeInfo(name: string): TorchTypeInfo | undefined {
  return Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name) ? STORAGE_TYPES[name] : undefined;
}

export function torchDtypeInfo(name: string): TorchTypeInfo | undefined {
  return Object.prototype.hasOwnProperty.call(TORCH_DTYPES, name) ? TORCH_DTYPES[name] : undefined;
}
