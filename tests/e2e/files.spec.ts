/**
 * Models given through the file pickers (setInputFiles): single files, a sharded folder, bad files.
 * Fixtures are built on the fly into a temp folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildSafetensors } from '../fixtures/safetensors-builder.ts';
import { clone, find, flipBits, tinyConfigJson } from '../fixtures/tiny-llama.ts';
import { APP, SMALL, screenshot, shardedModel, singleFileModel, specs, tempDir, tinyLlama, watchConsole, writeFiles } from './helpers.ts';

// Created per worker (not at import: the runner also imports spec files just to list tests).
let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('files');
});
test.afterAll(() => tmp.cleanup());

test('identical copy picked as files → clean', async ({ page }) => {
  const console = watchConsole(page);
  const tensors = tinyLlama(SMALL, 3);
  const kg = singleFileModel(join(tmp.dir, 'clean-kg'), tensors);
  const su = singleFileModel(join(tmp.dir, 'clean-su'), clone(tensors));
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await expect(page.getByTestId('known-good-summary')).toContainText('2 files');
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('clean');
  await expect(page.getByTestId('tensor-table').locator('tr[data-tensor]')).toHaveCount(tensors.length);
  await expect(page.getByTestId('tensor-table').locator('tr[data-status="identical"]')).toHaveCount(tensors.length);
  await screenshot(page, 'clean-1440');
  console.check();
});

test('3-shard folder with index vs a single file → clean', async ({ page }) => {
  const console = watchConsole(page);
  const tensors = tinyLlama(SMALL, 4);
  const shardDir = join(tmp.dir, 'sharded');
  shardedModel(shardDir, tensors, 3);
  writeFiles(shardDir, { 'README.md': '# not a model file', '.git/HEAD': 'ref: refs/heads/main' });
  const single = singleFileModel(join(tmp.dir, 'single'), clone(tensors));
  await page.goto(APP);
  // The folder picker (webkitdirectory): the folder's own name is stripped, README is skipped.
  await page.getByTestId('known-good-folder-input').setInputFiles(shardDir);
  await expect(page.getByTestId('known-good-summary')).toContainText('5 files');
  await expect(page.getByTestId('known-good-zone')).toContainText('model-00001-of-00003.safetensors');
  await expect(page.getByTestId('known-good-zone')).toContainText('Skipped');
  await page.getByTestId('suspect-input').setInputFiles(single);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('clean');
  await expect(page.getByTestId('input-problems')).toHaveCount(0);
  await expect(page.getByTestId('tensor-table').locator('tr[data-status="identical"]')).toHaveCount(tensors.length);
  // The same shards picked as plain files (a multi-file pick equals a folder drop) → clean too.
  await page.getByTestId('known-good-input').setInputFiles(shardedModel(join(tmp.dir, 'sharded-2'), tensors, 3));
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('clean');
  console.check();
});

test('a shard missing from the folder is reported, never clean', async ({ page }) => {
  const tensors = tinyLlama(SMALL, 5);
  const files = shardedModel(join(tmp.dir, 'missing-shard'), tensors, 3).filter((p) => !p.endsWith('model-00002-of-00003.safetensors'));
  const single = singleFileModel(join(tmp.dir, 'single-5'), clone(tensors));
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(single);
  await page.getByTestId('suspect-input').setInputFiles(files);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toBeVisible();
  await expect(page.getByTestId('verdict')).not.toHaveAttribute('data-status', 'clean');
  await expect(page.getByTestId('input-problems')).toContainText('index_missing_shard');
});

test('truncated and garbage .safetensors → visible coded error, not clean', async ({ page }) => {
  const console = watchConsole(page);
  const tensors = tinyLlama(SMALL, 6);
  const good = buildSafetensors(specs(tensors));
  const kg = singleFileModel(join(tmp.dir, 'bad-kg'), tensors);
  // Beside the same config.json as the known-good, so the unreadable weights are the only problem.
  const truncated = writeFiles(join(tmp.dir, 'truncated'), { 'model.safetensors': good.subarray(0, 4000), 'config.json': tinyConfigJson(SMALL) });
  const garbage = writeFiles(join(tmp.dir, 'garbage'), { 'model.safetensors': new TextEncoder().encode('this is not a model at all, just text pretending\n'.repeat(20)), 'config.json': tinyConfigJson(SMALL) });
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);

  for (const bad of [truncated, garbage]) {
    await page.getByTestId('suspect-input').setInputFiles(bad);
    await page.getByTestId('compare-button').click();
    const verdict = page.getByTestId('verdict');
    await expect(verdict).toBeVisible();
    await expect(verdict).not.toHaveAttribute('data-status', 'clean');
    // Scripts read the verdict by its text (REPORT.md): a non-clean card must not say "clean".
    await expect(verdict).not.toContainText('clean');
    const problems = page.getByTestId('input-problems');
    await expect(problems).toBeVisible();
    await expect(problems.locator('code').first()).toHaveText(/^[a-z0-9_]+$/);
    await expect(problems).toContainText('model.safetensors');
    await expect(page.getByTestId('findings').locator('li[data-kind="parse-error"]').first()).toBeVisible();
  }
  await screenshot(page, 'bad-file-1440');
  console.check();
});

test('export-json downloads the report whose verdict matches the page', async ({ page }) => {
  const tensors = tinyLlama(SMALL, 7);
  const suspect = clone(tensors);
  flipBits(find(suspect, 'model.layers.1.mlp.up_proj.weight'), [5, 77], 30);
  const kg = singleFileModel(join(tmp.dir, 'exp-kg'), tensors);
  const su = singleFileModel(join(tmp.dir, 'exp-su'), suspect);
  await page.goto(APP);
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toContainText('tampered');
  const status = await verdict.getAttribute('data-status');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  expect(download.suggestedFilename()).toMatch(/\.json$/);
  const path = await download.path();
  const report = JSON.parse(readFileSync(path, 'utf8')) as { schema: string; verdict: { status: string }; tensors: { name: string; status: string }[] };
  expect(report.schema).toBe('model-sleuth/report/v1');
  expect(report.verdict.status).toBe(status);
  expect(report.tensors.find((t) => t.name === 'model.layers.1.mlp.up_proj.weight')?.status).toBe('modified');

  const [html] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  expect(html.suggestedFilename()).toMatch(/\.html$/);
  const text = readFileSync(await html.path(), 'utf8');
  expect(text).toContain('Content-Security-Policy');
  expect(text.toLowerCase()).toContain('tampered');
});
