/**
 * Shader sources for Node (the CLI, without Vite): shaders/<name>.wgsl read from disk once per
 * name. The folder is found relative to this module both when it runs from the TypeScript sources
 * (src/lib/engine/webgpu/) and from the bundle (dist-cli/).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ShaderName } from './kernels.ts';

const CANDIDATES = ['../../../../shaders/', '../shaders/'].map((p) => new URL(p, import.meta.url));
const cache = new Map<ShaderName, string>();
let dir: URL | undefined;

export function loadShaderNode(name: ShaderName): string {
  let text = cache.get(name);
  if (text === undefined) {
    dir ??= CANDIDATES.find((d) => existsSync(new URL('decode-common.wgsl', d))) ?? (CANDIDATES[0] as URL);
    text = readFileSync(new URL(`${name}.wgsl`, dir), 'utf8');
    cache.set(name, text);
  }
  return text;
}
