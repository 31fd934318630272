/**
 * Workbench behaviour beyond the happy path: cancel, drag and drop, thousands of tensors, the
 * folder walker, and that model-derived text is never interpreted as markup.
 */
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildSafetensors, f32Bytes, type TensorSpec } from '../fixtures/safetensors-builder.ts';
import { selectFromEntries, type EntryLike } from '../../src/ui/input/collect-files.ts';
import { APP, SMALL, screenshot, specs, tempDir, tinyLlama, watchConsole, writeFiles } from './helpers.ts';

// Created per worker (not at import: the runner also imports spec files just to list tests).
let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('workbench');
});
test.afterAll(() => tmp.cleanup());

test('cancel stops a running comparison and the workbench stays usable', async ({ page }) => {
  // 2 × 160 MB: long enough on two shared cores to press Cancel mid-stream.
  const n = 40 * 1024 * 1024;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i += 997) values[i] = (i % 13) * 0.01;
  const edited = Float32Array.from(values);
  edited[12345] = 42;
  const big = (v: Float32Array): Uint8Array => buildSafetensors([{ name: 'model.layers.0.mlp.down_proj.weight', dtype: 'F32', shape: [n / 4096, 4096], data: f32Bytes(v) }]);
  const [kg] = writeFiles(join(tmp.dir, 'big-kg'), { 'model.safetensors': big(values) });
  const [su] = writeFiles(join(tmp.dir, 'big-su'), { 'model.safetensors': big(edited) });
  if (kg === undefined || su === undefined) throw new Error('fixture not written');
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  const progress = page.getByTestId('progress');
  await expect(progress).toBeVisible();
  await expect(page.getByTestId('progress-phase')).toHaveText('Hashing and comparing tensors', { timeout: 20_000 });
  await screenshot(page, 'progress-1440', false);
  await page.getByTestId('cancel-button').click();
  await expect(progress).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByTestId('cancelled')).toBeVisible();
  await expect(page.getByTestId('verdict')).toHaveCount(0);
  await expect(page.getByTestId('compare-button')).toBeEnabled();

  // Cancel at once, while the workers may still be starting (with 'auto', choosing an engine):
  // workers that do not answer are terminated, so the page is free within seconds.
  await page.goto('/');
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  await expect(progress).toBeVisible();
  const t0 = Date.now();
  await page.getByTestId('cancel-button').click();
  await expect(page.getByTestId('cancelled')).toBeVisible({ timeout: 10_000 });
  expect(Date.now() - t0).toBeLessThan(8_000);
  await expect(progress).toHaveCount(0);
});

test('files dropped on a zone are taken like picked files', async ({ page }) => {
  const tensors = tinyLlama(SMALL, 8);
  const kgBytes = buildSafetensors(specs(tensors));
  await page.goto(APP);
  const drop = async (zone: string, files: { name: string; b64: string }[]): Promise<void> => {
    const dt = await page.evaluateHandle((list) => {
      const d = new DataTransfer();
      for (const f of list) d.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
      return d;
    }, files);
    const target = page.getByTestId(`${zone}-zone`);
    await target.dispatchEvent('dragenter', { dataTransfer: dt });
    await target.dispatchEvent('dragover', { dataTransfer: dt });
    await target.dispatchEvent('drop', { dataTransfer: dt });
  };
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  await drop('known-good', [
    { name: 'model.safetensors', b64: b64(kgBytes) },
    { name: 'notes.docx', b64: b64(new Uint8Array([1, 2, 3])) },
  ]);
  await expect(page.getByTestId('known-good-summary')).toContainText('1 file');
  await expect(page.getByTestId('known-good-zone')).toContainText('Skipped 1 file');
  await drop('suspect', [{ name: 'model.safetensors', b64: b64(kgBytes) }]);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('clean');
});

test('a dropped folder tree keeps relative paths and strips the folder name', async () => {
  const file = (name: string): EntryLike & { file: (ok: (f: File) => void) => void } => ({
    name,
    isFile: true,
    isDirectory: false,
    file: (ok) => ok(new File([new Uint8Array(4)], name)),
  });
  // readEntries returns batches until an empty one (Chromium: 100 per call).
  const dir = (name: string, children: EntryLike[]): EntryLike & { createReader: () => { readEntries: (ok: (e: EntryLike[]) => void) => void } } => ({
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      const batches = [children.slice(0, 2), children.slice(2), []];
      return { readEntries: (ok) => ok(batches.shift() ?? []) };
    },
  });
  const root = dir('Llama-3-8B', [
    file('config.json'),
    file('model.safetensors.index.json'),
    dir('shards', [file('model-00001-of-00002.safetensors'), file('model-00002-of-00002.safetensors')]),
    file('README.md'),
    dir('.git', [file('HEAD')]),
  ]);
  const sel = await selectFromEntries([root]);
  expect(sel.folderName).toBe('Llama-3-8B');
  expect(sel.taken.map((f) => f.path)).toEqual(['config.json', 'model.safetensors.index.json', 'shards/model-00001-of-00002.safetensors', 'shards/model-00002-of-00002.safetensors']);
  expect(sel.skipped.map((f) => f.path).sort()).toEqual(['.git/', 'README.md']);
  // Two dropped items: each keeps its own name.
  const two = await selectFromEntries([dir('a', [file('model.safetensors')]), file('config.json')]);
  expect(two.taken.map((f) => f.path)).toEqual(['a/model.safetensors', 'config.json']);
});

test('2,048 tensors: every row in the DOM, few rendered in full, sorting and filtering stay fast', async ({ page }) => {
  const tensors: TensorSpec[] = [];
  const modules = ['self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight', 'input_layernorm.weight'];
  for (let l = 0; l < 256; l++) for (const m of modules) tensors.push({ name: `model.layers.${l}.${m}`, dtype: 'F32', shape: [4, 4], data: f32Bytes(Array.from({ length: 16 }, (_, i) => (l * 16 + i) * 1e-3)) });
  const edited = tensors.map((t) => ({ ...t, data: Uint8Array.from(t.data) }));
  for (const name of ['model.layers.7.mlp.down_proj.weight', 'model.layers.150.self_attn.o_proj.weight', 'model.layers.255.mlp.up_proj.weight']) {
    const t = edited.find((x) => x.name === name);
    if (t) new DataView(t.data.buffer).setFloat32(4, 9.5, true);
  }
  const [kg] = writeFiles(join(tmp.dir, 'many-kg'), { 'model.safetensors': buildSafetensors(tensors) });
  const [su] = writeFiles(join(tmp.dir, 'many-su'), { 'model.safetensors': buildSafetensors(edited) });
  if (kg === undefined || su === undefined) throw new Error('fixture not written');
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered', { timeout: 60_000 });
  const table = page.getByTestId('tensor-table');
  await expect(table.locator('tbody tr[data-tensor]')).toHaveCount(2048);
  await expect(table.locator('tr[data-status="modified"]')).toHaveCount(3);
  const full = await table.locator('tbody tr:not(.light)').count();
  expect(full).toBeLessThan(80);

  let t0 = Date.now();
  await page.getByRole('button', { name: /^Tensor/ }).click();
  await expect(table.locator('tbody tr').first()).toHaveAttribute('data-tensor', 'model.layers.0.input_layernorm.weight');
  expect(Date.now() - t0).toBeLessThan(2000);

  t0 = Date.now();
  await page.locator('button[data-filter="modified"]').click();
  await expect(table.locator('tbody tr:not([hidden])')).toHaveCount(3);
  expect(Date.now() - t0).toBeLessThan(2000);
  await page.getByTestId('tensor-search').fill('layers.150.');
  await expect(table.locator('tbody tr:not([hidden])')).toHaveCount(1);

  // A heatmap click on a tensor far down the list scrolls its row into view.
  await page.getByTestId('tensor-search').fill('');
  await page.getByRole('button', { name: /^All/ }).click();
  await page.locator('[data-testid="heatmap"] rect[data-tensor="model.layers.255.mlp.up_proj.weight"]').click();
  await expect(page.getByTestId('tensor-detail')).toHaveAttribute('data-tensor', 'model.layers.255.mlp.up_proj.weight');
  await expect(table.locator('tr[data-tensor="model.layers.255.mlp.up_proj.weight"]')).toBeInViewport();
  await screenshot(page, 'many-tensors-1440');
});

test('hostile names from a model file are shown as text, never run as markup', async ({ page }) => {
  const console = watchConsole(page);
  const evil = '<img src=x onerror="window.__pwned=1">';
  const tensors = tinyLlama(SMALL, 9);
  const kgSpecs = [...specs(tensors), { name: evil, dtype: 'F32' as const, shape: [2], data: f32Bytes([1, 2]) }];
  const suSpecs = kgSpecs.map((t) => (t.name === evil ? { ...t, data: f32Bytes([1, 3]) } : t));
  const [kg] = writeFiles(join(tmp.dir, 'evil-kg'), { 'model.safetensors': buildSafetensors(kgSpecs) });
  const [su] = writeFiles(join(tmp.dir, `evil-su`), { 'model.safetensors': buildSafetensors(suSpecs, { metadata: { note: '<script>window.__pwned=2</script>' } }) });
  if (kg === undefined || su === undefined) throw new Error('fixture not written');
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered');
  await expect(page.getByTestId('tensor-table').locator('tr[data-status="modified"]')).toHaveAttribute('data-tensor', evil);
  await expect(page.getByTestId('tensor-detail')).toContainText(evil);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  console.check();
});

test('the demo at 1024×768 and a partly hidden tensor on keyboard', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(APP);
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered');
  // Keyboard: focus a row's name, arrow down moves the selection.
  const first = page.getByTestId('tensor-table').locator('tbody tr').first().locator('button.name');
  await first.focus();
  await page.keyboard.press('Enter');
  const name = await page.getByTestId('tensor-table').locator('tbody tr').first().getAttribute('data-tensor');
  await expect(page.getByTestId('tensor-detail')).toHaveAttribute('data-tensor', name ?? '');
  await page.keyboard.press('ArrowDown');
  const second = await page.getByTestId('tensor-table').locator('tbody tr').nth(1).getAttribute('data-tensor');
  await expect(page.getByTestId('tensor-detail')).toHaveAttribute('data-tensor', second ?? '');
  await screenshot(page, 'demo-1024-full');
});
