import { expect, test } from '@playwright/test';
import { APP, screenshot, watchConsole } from './helpers.ts';

test('demo button → tampered verdict with the three edited tensors marked modified', async ({ page }) => {
  const console = watchConsole(page);
  await page.goto(APP);
  await expect(page.getByRole('heading', { name: 'Model Sleuth' })).toBeVisible();
  await screenshot(page, 'empty-1440');
  await page.getByTestId('demo-button').click();

  const verdict = page.getByTestId('verdict');
  await expect(verdict).toContainText('tampered');
  await expect(page.getByTestId('progress')).toHaveCount(0);
  await expect(page.getByTestId('verdict-summary')).toContainText('3 elements of model.layers.3.self_attn.o_proj.weight had exponent bit 30 flipped');

  const table = page.getByTestId('tensor-table');
  for (const name of ['model.embed_tokens.weight', 'model.layers.2.mlp.down_proj.weight', 'model.layers.3.self_attn.o_proj.weight']) {
    await expect(table.locator(`tr[data-tensor="${name}"]`)).toHaveAttribute('data-status', 'modified');
  }
  await expect(table.locator('tr[data-status="modified"]')).toHaveCount(3);
  const rows = await table.locator('tbody tr[data-tensor]').count();
  expect(rows).toBe(75);

  // Heatmap click selects the tensor; the detail panel explains the bit flips.
  await page.locator('[data-testid="heatmap"] rect[data-tensor="model.layers.3.self_attn.o_proj.weight"]').click();
  const detail = page.getByTestId('tensor-detail');
  await expect(detail).toHaveAttribute('data-tensor', 'model.layers.3.self_attn.o_proj.weight');
  await expect(detail).toContainText('exponent');
  // Direction of the Δ histogram: one flipped element grew (0.0153 → 5.2e36), two shrank
  // (−0.0137 → −4.6e36, −0.0072 → −2.4e36). Guards src/ui/report/delta-sign.ts.
  const hist = page.getByTestId('delta-histogram');
  await expect(hist.locator('rect.up[data-count="1"]')).toHaveCount(1);
  await expect(hist.locator('rect.down[data-count="2"]')).toHaveCount(1);
  await screenshot(page, 'demo-1440');
  await page.setViewportSize({ width: 1024, height: 768 });
  await screenshot(page, 'demo-1024');
  await screenshot(page, 'demo-1024-viewport', false);
  console.check();
});

test('a missing demo case shows a readable error instead of breaking the page', async ({ page }) => {
  await page.route('**/demo/manifest.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(APP);
  await page.getByTestId('demo-button').click();
  const error = page.getByTestId('error');
  await expect(error).toBeVisible();
  await expect(page.getByTestId('error-code')).toHaveText('read_failed');
  await expect(error).toContainText('HTTP 404');
  await expect(page.getByTestId('verdict')).toHaveCount(0);
  // The workbench stays usable: the demo can be tried again.
  await expect(page.getByTestId('demo-button')).toBeEnabled();
  await page.setViewportSize({ width: 1024, height: 768 });
  await screenshot(page, 'error-1024', false);
});

test('empty state at 1024×768 explains what to do', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(APP);
  await expect(page.getByTestId('demo-button')).toBeVisible();
  await expect(page.getByTestId('compare-button')).toBeDisabled();
  await expect(page.getByTestId('progress')).toHaveCount(0);
  await screenshot(page, 'empty-1024', false);
});
