/** Readers for the Hugging Face files beside the weights (see each module for provenance). */
export * from './limits.ts';
export * from './read-json.ts';
export * from './tokenizer-json.ts';
export * from './slow-tokenizer-files.ts';
export * from './tokenizer-config.ts';
export * from './model-config.ts';
export * from './generation-config.ts';
export * from './byte-level.ts';
