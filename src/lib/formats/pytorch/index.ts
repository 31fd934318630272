/** PyTorch checkpoints: torch.save zip and legacy streams, TorchScript archives, raw pickles. */
export { parseTorchCheckpoint, sniffTorch } from './parse-torch.ts';
export type { TorchCheckpoint, TorchFormat, TorchTensorDetail, TorchStorage, ParseTorchOptions, TorchSniff } from './parse-torch.ts';
export { viewSpan, rowMajorStrides, columnMajorStrides } from './tensor-span.ts';
export type { ViewSpan } from './tensor-span.ts';
export { storageTypeInfo, torchDtypeInfo, STORAGE_TYPES, TORCH_DTYPES } from './torch-dtypes.ts';
export type { TorchTypeInfo } from './torch-dtypes.ts';
