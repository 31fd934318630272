/**
 * The default URL (engine 'auto'): the demo must finish in reasonable time whatever the machine
 * has — a hardware GPU, a software one (SwiftShader here) or none — and say which engine ran.
 */
import { expect, test } from '@playwright/test';

test('default engine (auto) runs the demo to a verdict and names the engine', async ({ page }) => {
  // Generous: on a CPU-only machine the page first times WebGPU (SwiftShader) against the CPU.
  test.setTimeout(150_000);
  await page.goto('/');
  const t0 = Date.now();
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered', { timeout: 130_000 });
  test.info().annotations.push({ type: 'demo duration (engine auto)', description: `${((Date.now() - t0) / 1000).toFixed(1)} s` });
  await expect(page.getByTestId('verdict')).toContainText(/engine (cpu|webgpu)/);
  // The engine was chosen once for the page while it was idle (browser-pool.ts prewarm); the
  // report still says why when the choice was not simply "a hardware GPU".
  if (/engine cpu/.test(await page.getByTestId('verdict').innerText())) {
    await expect(page.getByRole('region', { name: 'Notes' })).toContainText(/CPU engine|WebGPU unavailable|WebGPU calibration failed/);
  }
  // A second comparison reuses the page's choice: same engine, same note, no new calibration.
  const notes = await page.getByRole('region', { name: 'Notes' }).innerText().catch(() => '');
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered', { timeout: 60_000 });
  await expect(page.getByTestId('verdict')).toContainText(/engine (cpu|webgpu)/);
  if (notes) expect(await page.getByRole('region', { name: 'Notes' }).innerText()).toBe(notes);
});

test('?engine=cpu is honoured', async ({ page }) => {
  await page.goto('/?engine=cpu');
  await expect(page.getByRole('banner')).toContainText('engine: cpu');
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toContainText('engine cpu');
});
