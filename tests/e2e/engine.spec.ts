/**
 * The default URL (engine 'auto'): the demo must finish in reasonable time whatever the machine
 * has — a hardware GPU, a software one (SwiftShader here) or none — and say which engine ran.
 */
import { expect, test } from '@playwright/test';

test('default engine (auto) runs the demo to a verdict and names the engine', async ({ page }) => {
  // Generous: on a CPU-only machine each worker first times WebGPU (SwiftShader) against the CPU.
  test.setTimeout(150_000);
  await page.goto('/');
  const t0 = Date.now();
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered', { timeout: 130_000 });
  test.info().annotations.push({ type: 'demo duration (engine auto)', description: `${((Date.now() - t0) / 1000).toFixed(1)} s` });
  await expect(page.getByTestId('verdict')).toContainText(/engine (cpu|webgpu)/);
});

test('?engine=cpu is honoured', async ({ page }) => {
  await page.goto('/?engine=cpu');
  await expect(page.getByRole('banner')).toContainText('engine: cpu');
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toContainText('engine cpu');
});
