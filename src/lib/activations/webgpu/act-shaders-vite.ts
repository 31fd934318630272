/**
 * Activation kernels for the browser build: inlined by Vite (`?raw`), so they ship inside the
 * worker bundle (no fetch; a bundled string cannot drift from the code that expects it).
 */
import matmul from '../../../../shaders/act-matmul.wgsl?raw';
import norm from '../../../../shaders/act-norm.wgsl?raw';
import rope from '../../../../shaders/act-rope.wgsl?raw';
import attnScores from '../../../../shaders/act-attn-scores.wgsl?raw';
import attnSoftmax from '../../../../shaders/act-attn-softmax.wgsl?raw';
import attnMix from '../../../../shaders/act-attn-mix.wgsl?raw';
import elementwise from '../../../../shaders/act-elementwise.wgsl?raw';
import embed from '../../../../shaders/act-embed.wgsl?raw';
import sparsity from '../../../../shaders/act-sparsity.wgsl?raw';
import type { ActShaderName } from './act-shaders.ts';

const SOURCES: Readonly<Record<ActShaderName, string>> = {
  'act-matmul': matmul,
  'act-norm': norm,
  'act-rope': rope,
  'act-attn-scores': attnScores,
  'act-attn-softmax': attnSoftmax,
  'act-attn-mix': attnMix,
  'act-elementwise': elementwise,
  'act-embed': embed,
  'act-sparsity': sparsity,
};

export function loadActShaderVite(name: ActShaderName): string {
  return SOURCES[name];
}
