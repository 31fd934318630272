/**
 * The third drop zone: a PEFT LoRA (r = 4 on four q/v tensors) given beside the two models. Merged
 * as declared, every change is explained (verdict still "tampered": the weights differ); with an
 * extra edit beside the merge, that tensor is listed as not explained.
 */
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildSafetensors } from '../fixtures/safetensors-builder.ts';
import { applyLora, makeLora, peftAdapterFiles } from '../fixtures/lora.ts';
import { clone, find, rank1Edit } from '../fixtures/tiny-llama.ts';
import { APP, SMALL, screenshot, specs, tempDir, tinyLlama, watchConsole, writeFiles } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('adapter');
});
test.afterAll(() => tmp.cleanup());

const TARGETS = ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.v_proj.weight'];

test('adapter drop zone: a declared LoRA merge is explained tensor by tensor; an extra edit is not', async ({ page }) => {
  const watch = watchConsole(page);
  const base = tinyLlama(SMALL, 21);
  const factors = TARGETS.map((name, i) => makeLora(find(base, name), 4, 300 + 10 * i));
  const merged = clone(base);
  for (const f of factors) applyLora(find(merged, f.target), f, 2);
  const extra = clone(merged);
  rank1Edit(find(extra, 'model.layers.0.mlp.down_proj.weight'), 0.003, 7);

  const [kg] = writeFiles(join(tmp.dir, 'kg'), { 'model.safetensors': buildSafetensors(specs(base)) });
  const [su] = writeFiles(join(tmp.dir, 'su'), { 'model.safetensors': buildSafetensors(specs(merged)) });
  const [su2] = writeFiles(join(tmp.dir, 'su2'), { 'model.safetensors': buildSafetensors(specs(extra)) });
  const adapter = writeFiles(join(tmp.dir, 'lora'), peftAdapterFiles(factors, { r: 4, alpha: 8, layers: [1, 2] }));
  if (kg === undefined || su === undefined || su2 === undefined) throw new Error('fixture not written');

  await page.goto(APP);
  await expect(page.getByTestId('adapter-zone')).toContainText('Adapter (optional)');
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('adapter-input').setInputFiles(adapter);
  await expect(page.getByTestId('adapter-summary')).toContainText('2 files');
  await page.getByTestId('compare-button').click();

  await expect(page.getByTestId('verdict')).toContainText('tampered');
  await expect(page.getByTestId('verdict-summary')).toContainText('only by the merge of the given adapter');
  const panel = page.getByTestId('adapter-audit');
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('data-all-explained', 'true');
  await expect(panel).toContainText('PEFT LoRA · r 4 · alpha 8 · scale 2');
  for (const name of TARGETS) await expect(panel.locator(`tr[data-tensor="${name}"]`)).toHaveAttribute('data-status', 'explained');
  await expect(page.getByTestId('adapter-unexplained')).toHaveCount(0);
  await screenshot(page, 'adapter-explained-1440', true);

  // The same adapter against a suspect with one more edit beside the merge.
  await page.getByTestId('suspect-input').setInputFiles(su2);
  await page.getByTestId('compare-button').click();
  await expect(panel).toHaveAttribute('data-all-explained', 'false');
  await expect(page.getByTestId('adapter-unexplained')).toContainText('model.layers.0.mlp.down_proj.weight');
  for (const name of TARGETS) await expect(panel.locator(`tr[data-tensor="${name}"]`)).toHaveAttribute('data-status', 'explained');
  await expect(page.getByTestId('tensor-table').locator('[data-tensor="model.layers.0.mlp.down_proj.weight"]')).toHaveAttribute('data-status', 'modified');
  watch.check();
});
