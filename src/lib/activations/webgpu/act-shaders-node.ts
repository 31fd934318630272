/**
 * Activation kernels for Node (the CLI, tests, benchmarks): shaders/<name>.wgsl read from disk once.
 * Found relative to this module from the TypeScript sources (src/lib/activations/webgpu/) and from
 * the CLI bundle (dist-cli/).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ActShaderName } from './act-shaders.ts';

const CANDIDATES = ['../../../../shaders/', '../shaders/'].map((p) => new URL(p, import.meta.url));
const cache = new Map<ActShaderName, string>();
let dir: URL | undefined;

export function loadActShaderNode(name: ActShaderName): string {
  let text = cache.get(name);
  if (text === undefined) {
    dir ??= CANDIDATES.find((d) => existsSync(new URL('act-matmul.wgsl', d))) ?? (CANDIDATES[0] as URL);
    text = readFileSync(new URL(`${name}.wgsl`, dir), 'utf8');
    cache.set(name, text);
  }
  return text;
}
