/**
 * Shader sources for the browser build: Vite inlines each shaders/*.wgsl file as a string
 * (`?raw`), so the kernels ship inside the worker bundle and need no fetch (CSP connect-src 'self'
 * would allow it, but a bundled string cannot drift from the code that expects it).
 */
import decodeCommon from '../../../../shaders/decode-common.wgsl?raw';
import quantCommon from '../../../../shaders/quant-common.wgsl?raw';
import diffCommon from '../../../../shaders/diff-common.wgsl?raw';
import decode from '../../../../shaders/decode.wgsl?raw';
import stats from '../../../../shaders/stats.wgsl?raw';
import diffBlocks from '../../../../shaders/diff-blocks.wgsl?raw';
import diffRows from '../../../../shaders/diff-rows.wgsl?raw';
import sketch from '../../../../shaders/sketch.wgsl?raw';
import type { ShaderName } from './kernels.ts';

const SOURCES: Readonly<Record<ShaderName, string>> = {
  'decode-common': decodeCommon,
  'quant-common': quantCommon,
  'diff-common': diffCommon,
  decode,
  stats,
  'diff-blocks': diffBlocks,
  'diff-rows': diffRows,
  sketch,
};

export function loadShaderVite(name: ShaderName): string {
  return SOURCES[name];
}
