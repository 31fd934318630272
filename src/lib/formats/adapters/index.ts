/** Adapter readers: configs (PEFT, mlx-lm), factor naming, and the manifest the adapter audit uses. */
export { loadAdapter, isAdapterConfigPath } from './load-adapter.ts';
export { pairAdapterTensors, productShape, stripPeftPrefix } from './adapter-names.ts';
export { configKind, isTargetedModule, layerOf, parseAdapterConfig, patternValue } from './adapter-config.ts';
export type { AdapterConfigSummary, AdapterFormat, AdapterManifest, AdapterNaming, AdapterPair, FactorRef } from './types.ts';
