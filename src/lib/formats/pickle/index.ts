/**
 * Pickles read without executing anything: disassembler + symbolic interpreter (protocols 0–5),
 * torch tensor/storage recognition with state-dict names, and the global allowlist policy.
 */
export { scanPickle, scanPickleStream, disassemblePickle, DEFAULT_PICKLE_LIMITS } from './scan-pickle.ts';
export type { PickleScan, PickleInput, ScanPickleOptions, PickleLimits, PickleGlobalRef, PickleCall, PickleAnomaly, PickleAnomalyCode, DisassembledOp } from './scan-pickle.ts';
export type { NamedTensor } from './locate-tensors.ts';
export type { PValue, PObject, PGlobal, StorageRecord, TensorRecord, CallKind } from './values.ts';
export { preview } from './values.ts';
export { classifyGlobal, evaluatePickle, zipAnomalyFindings } from './policy.ts';
export type { GlobalClassification, GlobalVerdict, PolicyContext } from './policy.ts';
export { maxSeverity, severityRank } from './findings.ts';
export type { SecurityFinding, SecurityFindingKind, Severity } from './findings.ts';
export { OPCODES, opcodeName } from './opcodes.ts';
