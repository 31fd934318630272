/**
 * The activation kernels (shaders/act-*.wgsl), each a standalone WGSL file (no composition). The
 * names are kept here, apart from the comparison engine's list (../../engine/webgpu/kernels.ts),
 * so the two sets of kernels evolve independently.
 */
export type ActShaderName =
  | 'act-matmul'
  | 'act-norm'
  | 'act-rope'
  | 'act-attn-scores'
  | 'act-attn-softmax'
  | 'act-attn-mix'
  | 'act-elementwise'
  | 'act-embed'
  | 'act-sparsity';

export const ACT_SHADER_NAMES: readonly ActShaderName[] = ['act-matmul', 'act-norm', 'act-rope', 'act-attn-scores', 'act-attn-softmax', 'act-attn-mix', 'act-elementwise', 'act-embed', 'act-sparsity'];

export type ActShaderLoader = (name: ActShaderName) => string;
