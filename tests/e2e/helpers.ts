/**
 * Shared helpers of the end-to-end tests: model folders built on the fly (never downloaded) from
 * the same fixture builders as the unit tests, and screenshots for human review.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { buildSafetensors, f32Bytes, type TensorSpec } from '../fixtures/safetensors-builder.ts';
import { tinyConfigJson, tinyLlama, type FloatTensor, type TinyConfig } from '../fixtures/tiny-llama.ts';

export const SMALL: TinyConfig = { vocab: 64, hidden: 32, intermediate: 64, layers: 3, heads: 4, kvHeads: 2, tieEmbeddings: false };

export function specs(tensors: readonly FloatTensor[]): TensorSpec[] {
  return tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: f32Bytes(t.values) }));
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `model-sleuth-e2e-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFiles(dir: string, files: Record<string, Uint8Array | string>): string[] {
  return Object.entries(files).map(([rel, data]) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    return p;
  });
}

/** A single-file model folder: model.safetensors + config.json. */
export function singleFileModel(dir: string, tensors: readonly FloatTensor[], config: TinyConfig = SMALL): string[] {
  return writeFiles(dir, { 'model.safetensors': buildSafetensors(specs(tensors)), 'config.json': tinyConfigJson(config) });
}

/**
 * The same tensors split over `shards` files with a Hugging Face index
 * (model.safetensors.index.json: {"metadata": {"total_size"}, "weight_map": {tensor: shard}}).
 */
export function shardedModel(dir: string, tensors: readonly FloatTensor[], shards: number, config: TinyConfig = SMALL): string[] {
  const names = Array.from({ length: shards }, (_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`);
  const per = Math.ceil(tensors.length / shards);
  const files: Record<string, Uint8Array | string> = {};
  const weightMap: Record<string, string> = {};
  let total = 0;
  names.forEach((name, i) => {
    const part = tensors.slice(i * per, (i + 1) * per);
    for (const t of part) {
      weightMap[t.name] = name;
      total += t.values.byteLength;
    }
    files[name] = buildSafetensors(specs(part));
  });
  files['model.safetensors.index.json'] = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2);
  files['config.json'] = tinyConfigJson(config);
  return writeFiles(dir, files);
}

export { tinyLlama };

/**
 * The app's URL for tests. The analysis engine is pinned to the CPU (E2E_ENGINE overrides): the
 * suite checks the workbench, not the engine choice, and on a CPU-only machine the default 'auto'
 * first calibrates WebGPU on SwiftShader. One test (engine.spec.ts) covers the default URL.
 */
export const APP = `/?engine=${process.env['E2E_ENGINE'] ?? 'cpu'}`;

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join('test-results', 'screenshots', `${name}.png`), fullPage });
}

/** Fails the test on any uncaught page error or CSP violation (a CSP break is a shipped bug). */
export function watchConsole(page: Page): { errors: string[]; check: () => void } {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(`csp: ${m.text()}`);
  });
  return { errors, check: () => expect(errors, errors.join('\n')).toEqual([]) };
}
