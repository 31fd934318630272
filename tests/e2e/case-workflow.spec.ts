/**
 * The case file as a new user tries it (issue 6 "Done when"): create a case, drop evidence,
 * compare, fill a checklist, reload — everything is still there; export the report, the checksums
 * and the custody log; `sha256sum -c` accepts the checksums on the real files; one edited byte of
 * the exported report or one edited custody event is detected on import; an OMS manifest of the
 * known-good verifies and the same manifest on the modified model names the file, then the tensor.
 * Screenshots of every screen at 1440×900 and 1024×768 go to test-results/screenshots/case-*.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import { clone, find } from '../fixtures/tiny-llama.ts';
import { generateKey, shardResources, signBundle, statement } from '../fixtures/oms/build-oms.ts';
import { APP, SMALL, screenshot, singleFileModel, tempDir, tinyLlama, watchConsole } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('case');
});
test.afterAll(() => tmp.cleanup());

const CHANGED = 'model.layers.1.mlp.down_proj.weight';

function models(): { kg: string[]; su: string[]; kgDir: string; suDir: string } {
  const tensors = tinyLlama(SMALL, 11);
  const edited = clone(tensors);
  const t = find(edited, CHANGED);
  t.values[5] = (t.values[5] ?? 0) + 0.75;
  const kgDir = join(tmp.dir, 'known-good');
  const suDir = join(tmp.dir, 'suspect');
  return { kg: singleFileModel(kgDir, tensors), su: singleFileModel(suDir, edited), kgDir, suDir };
}

async function save(download: Download, name: string): Promise<string> {
  const path = join(tmp.dir, name);
  await download.saveAs(path);
  return path;
}

async function both(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: 1440, height: 900 });
  await screenshot(page, `case-${name}-1440`, false);
  await page.setViewportSize({ width: 1024, height: 768 });
  await screenshot(page, `case-${name}-1024`, false);
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('a case from first evidence to verified exports', async ({ page }) => {
  test.setTimeout(180_000);
  const console = watchConsole(page);
  const { kg, su, kgDir, suDir } = models();
  await page.goto(APP);
  await expect(page.getByTestId('case-bar')).toContainText('No case open');
  await screenshot(page, 'case-none-1440', false);

  // ── create a case ──
  await page.getByTestId('new-case').click();
  await page.getByTestId('new-case-title').fill('Support bot answers oddly after the 3.2 rollout');
  await page.getByTestId('new-case-summary').fill('Users report wrong refund amounts since Tuesday.');
  await page.getByTestId('analyst-name').fill('Dana Reyes');
  await page.getByTestId('new-case-role-incident-commander').fill('Alex Kim');
  await page.getByTestId('new-case-role-evidence-custodian').fill('Dana Reyes');
  await both(page, 'new');
  await page.getByTestId('create-case').click();
  const year = new Date().getUTCFullYear();
  await expect(page.getByTestId('case-id')).toHaveText(`AI-IR-${year}-0001`);
  const caseId = `AI-IR-${year}-0001`;
  await expect(page.getByTestId('case-panel-overview')).toBeVisible();

  // ── drop evidence and compare ──
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered');
  await expect(page.getByTestId('case-notice')).toContainText(`Comparison recorded in ${caseId}`);
  await both(page, 'compare');

  await page.getByTestId('tab-evidence').click();
  const evidence = page.getByTestId('evidence-table');
  await expect(evidence.locator('tbody tr[data-evidence]')).toHaveCount(4);
  await page.getByTestId('edit-provenance-E-0003').click();
  await page.getByTestId('prov-source').fill('prod-gpu-07:/srv/models/support-bot');
  await page.getByTestId('prov-at').fill('2026-11-21T08:00Z');
  await page.getByTestId('prov-save').click();
  await expect(evidence.locator('tr[data-evidence="E-0003"]')).toContainText('prod-gpu-07');
  await both(page, 'evidence');

  // ── checklists: auto-filled from the comparison, one set by hand ──
  await page.getByTestId('tab-checklists').click();
  await expect(page.getByTestId('checklist-integrity.file-hashes')).toHaveAttribute('data-state', 'fail');
  await expect(page.getByTestId('checklist-integrity.adapter-audit')).toHaveAttribute('data-state', 'n/a');
  await page.getByTestId('checklist-pm.timeline-pass').click();
  await expect(page.getByTestId('checklist-pm.timeline')).toHaveAttribute('data-state', 'pass');
  await page.getByTestId('checklist-note-pm.timeline').fill('Rollout 3.2 on Tuesday 14:00 UTC; first report Wednesday 09:10 UTC');
  await page.getByTestId('checklist-note-pm.timeline').press('Tab');
  await expect(page.getByTestId('checklist-pm.timeline')).toContainText('set by Dana Reyes');
  await both(page, 'checklists');

  // ── provenance: deployment files differ from the release record ──
  await page.getByTestId('tab-provenance').click();
  // This model was used as released: no fine-tune, no conversion.
  await page.getByTestId('provenance-fine-tune').getByRole('checkbox').uncheck();
  await page.getByTestId('provenance-post-processing').getByRole('checkbox').uncheck();
  await page.getByTestId('provenance-deployment').getByRole('button', { name: 'known-good' }).click();
  await page.getByTestId('provenance-deployment-observed').selectOption('suspect');
  await page.getByTestId('provenance-base').getByRole('button', { name: 'known-good' }).click();
  await page.getByTestId('provenance-base-observed').selectOption('known-good');
  await expect(page.getByTestId('compromise-point')).toHaveAttribute('data-point', 'deployment-compromise');
  await expect(page.getByTestId('compromise-point')).not.toContainText('at or before');
  await page.getByTestId('save-provenance').click();
  await expect(page.getByTestId('save-provenance')).toBeDisabled();
  await both(page, 'provenance');

  // ── reload: everything is still there, without re-reading the model files ──
  await page.reload();
  await expect(page.getByTestId('case-id')).toHaveText(caseId);
  await page.getByTestId('tab-evidence').click();
  await expect(page.getByTestId('evidence-table').locator('tbody tr[data-evidence]')).toHaveCount(4);
  await expect(page.getByTestId('evidence-table').locator('tr[data-evidence="E-0003"]')).toContainText('prod-gpu-07');
  await page.getByTestId('tab-checklists').click();
  await expect(page.getByTestId('checklist-pm.timeline')).toHaveAttribute('data-state', 'pass');
  await expect(page.getByTestId('checklist-note-pm.timeline')).toHaveValue(/Rollout 3\.2/);
  await page.getByTestId('tab-provenance').click();
  await expect(page.getByTestId('compromise-point')).toHaveAttribute('data-point', 'deployment-compromise');
  await page.getByTestId('tab-compare').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered');
  await expect(page.getByTestId('tensor-table').locator(`tr[data-tensor="${CHANGED}"]`)).toHaveAttribute('data-status', 'modified');
  await page.getByTestId('tab-overview').click();
  await expect(page.getByTestId('analysis-list')).toContainText('tampered');
  await both(page, 'overview');

  // ── re-dropping a file re-verifies it against the recorded hash ──
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('suspect-input').setInputFiles(su);
  await expect(page.getByTestId('reverify-result')).toContainText('all match');

  // ── OMS manifest of the known-good: verifies; on the modified model: the file, then the tensor ──
  const key = await generateKey('P-256');
  const kgFiles = { 'model.safetensors': readFileSync(join(kgDir, 'model.safetensors')), 'config.json': readFileSync(join(kgDir, 'config.json')) };
  const bundle = await signBundle(statement('support-bot', shardResources(kgFiles, 8192), { method: 'shards', hash_type: 'sha256', shard_size: 8192, allow_symlinks: false, ignore_paths: ['model.sig'] }), key);
  writeFileSync(join(tmp.dir, 'model.sig'), bundle);
  writeFileSync(join(tmp.dir, 'signer.pub'), key.publicPem);
  await page.getByTestId('tab-manifests').click();
  await page.getByTestId('manifest-input').setInputFiles(join(tmp.dir, 'model.sig'));
  await page.getByTestId('manifest-key-input').setInputFiles(join(tmp.dir, 'signer.pub'));
  await page.getByTestId('manifest-files-input').setInputFiles(kg);
  await page.getByTestId('manifest-verify').click();
  await expect(page.getByTestId('manifest-result')).toHaveAttribute('data-verdict', 'verified');
  await expect(page.getByTestId('manifest-signature')).toHaveAttribute('data-status', 'verified');
  await page.getByTestId('manifest-files-input').setInputFiles(su);
  await page.getByTestId('manifest-verify').click();
  const result = page.getByTestId('manifest-result');
  await expect(result).toHaveAttribute('data-verdict', 'mismatch');
  const failed = result.locator('tr[data-status="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed).toHaveAttribute('data-name', /^model\.safetensors:\d+:\d+$/);
  await expect(failed.getByTestId('manifest-tensors').locator('[data-tensor]')).toHaveText([CHANGED]);
  await both(page, 'manifests');

  // ── custody log: verify the chain ──
  await page.getByTestId('tab-custody').click();
  await page.getByTestId('custody-note').fill('Isolated prod-gpu-07 from the load balancer.');
  await page.getByTestId('add-note').click();
  await expect(page.getByTestId('custody-table').locator('tr[data-type="note"]')).toHaveCount(1);
  await page.getByTestId('verify-chain').click();
  await expect(page.getByTestId('chain-result')).toHaveAttribute('data-ok', 'true');
  await both(page, 'custody');

  // ── exports: signed case report (JSON, HTML), checksums, custody log, Markdown, SARIF ──
  await page.getByTestId('tab-reports').click();
  await page.getByTestId('sign-exports').check();
  const dl = async (testid: string, name: string): Promise<string> => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
    return save(d, name);
  };
  const json = await dl('export-case-json', 'case.json');
  await expect(page.getByTestId('key-fingerprint')).toContainText('Your key');
  const html = await dl('export-case-html', 'case.html');
  const custody = await dl('export-custody-log', 'custody-log.json');
  const sums = await dl('export-checksums-suspect', 'checksums.sha256');
  const md = await dl('export-case-md', 'case.md');
  const sarif = await dl('export-case-sarif', 'case.sarif');
  expect(readFileSync(md, 'utf8')).toContain(`# ${caseId}`);
  expect((JSON.parse(readFileSync(sarif, 'utf8')) as { version: string }).version).toBe('2.1.0');
  // sha256sum -c accepts the checksums on the real files.
  writeFileSync(join(suDir, 'checksums.sha256'), readFileSync(sums));
  expect(execFileSync('sha256sum', ['-c', '--strict', 'checksums.sha256'], { cwd: suDir, encoding: 'utf8' })).toBe('config.json: OK\nmodel.safetensors: OK\n');

  // ── import: the untouched exports verify ──
  const importAndExpect = async (path: string, status: string): Promise<void> => {
    await page.getByTestId('report-import-input').setInputFiles(path);
    await expect(page.getByTestId('import-result')).toHaveAttribute('data-status', status);
  };
  await importAndExpect(json, 'verified');
  await expect(page.getByTestId('import-signature')).toHaveAttribute('data-status', 'valid');
  await expect(page.getByTestId('import-signature')).toContainText('your key in this browser');
  await page.getByTestId('import-check-input').setInputFiles(su);
  await expect(page.getByTestId('import-file-matches').locator('tr[data-result="match"]')).toHaveCount(2);
  await both(page, 'reports');
  await importAndExpect(html, 'verified');
  await importAndExpect(custody, 'verified');

  // ── import: one edited byte of the report, or one edited custody event, is detected ──
  const text = readFileSync(json, 'utf8');
  const sha = (JSON.parse(text) as { evidence: { sha256: string }[] }).evidence[0]?.sha256 ?? '';
  const flipped = `${sha.slice(0, 20)}${sha[20] === 'a' ? 'b' : 'a'}${sha.slice(21)}`;
  writeFileSync(join(tmp.dir, 'case-tampered.json'), text.replace(sha, flipped));
  await importAndExpect(join(tmp.dir, 'case-tampered.json'), 'tampered');
  await expect(page.getByTestId('import-digest')).toHaveAttribute('data-status', 'invalid');
  await both(page, 'import-tampered');
  const page1 = readFileSync(html, 'utf8');
  writeFileSync(join(tmp.dir, 'case-tampered.html'), page1.replace('Support bot answers oddly', 'Support bot answers fine.'));
  await importAndExpect(join(tmp.dir, 'case-tampered.html'), 'tampered');
  await expect(page.getByTestId('import-bytes')).toHaveAttribute('data-status', 'page-edited');
  const log = readFileSync(custody, 'utf8');
  writeFileSync(join(tmp.dir, 'custody-tampered.json'), log.replace('"summary": "Isolated prod-gpu-07', '"summary": "Isolated prod-gpu-08'));
  await importAndExpect(join(tmp.dir, 'custody-tampered.json'), 'tampered');
  await expect(page.getByTestId('import-custody')).toHaveAttribute('data-ok', 'false');

  // The exported HTML report opens offline with its own script-free CSP.
  const report = await page.context().newPage();
  await report.goto(`file://${html}`);
  await expect(report.getByTestId('case-report-head')).toContainText(caseId);
  await expect(report.getByTestId('case-report-compromise')).toContainText('Deployment compromise');
  expect(await report.evaluate(() => document.scripts.length)).toBe(1);
  expect(await report.evaluate(() => (document.scripts[0]?.type ?? ''))).toBe('application/json');
  await report.setViewportSize({ width: 1440, height: 900 });
  await screenshot(report, 'case-report-html-1440', false);
  await screenshot(report, 'case-report-html-full', true);
  await report.close();

  // The case list shows the case.
  await page.getByTestId('open-cases').click();
  await expect(page.getByTestId('case-list').locator(`tr[data-case-id="${caseId}"]`)).toBeVisible();
  await both(page, 'cases');
  console.check();
});
