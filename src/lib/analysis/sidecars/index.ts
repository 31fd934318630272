/** Semantic diffs of the files beside the weights (tokenizer, templates, configs). */
export { diffSidecars, modelTemplates } from './diff-sidecars.ts';
export type { SidecarEffect, SidecarFinding } from './types.ts';
export { MAX_LISTED } from './types.ts';
export { diffVocab, diffMerges, diffTokenizers, type VocabDiff, type MergeDiff } from './tokenizer-diff.ts';
export { diffConfigObjects, classifyConfigKey, COSMETIC_KEYS, type ConfigFileKind, type KeyClass } from './config-diff.ts';
export { scanChatTemplate, segmentTemplate, MAX_TEMPLATE_LINE, type TemplateHazard, type TemplateRule, type TemplateScan } from './template-scan.ts';
export { diffTemplateSources, effectiveTemplates, templateHazardFindings, type TemplateSource } from './template-diff.ts';
export { unifiedDiff, firstDifference, type LineDiff } from './line-diff.ts';
export { diffJson, jsonEqual, formatPath, type JsonChange, type JsonDiff } from './json-diff.ts';
export { visible, quote } from './display.ts';
