/**
 * No egress, offline (issue 5 item 4): a whole analysis — the demo case, a comparison of picked
 * files, every export, and the exported HTML report opened in the browser — sends no request
 * anywhere but this machine (page, workers and service worker alike) and breaks no CSP rule; after
 * a first visit the service worker (public/sw.js) lets the workbench load and analyse with the
 * network switched off; and a new build's worker replaces the old cache.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { clone, find, flipBits } from '../fixtures/tiny-llama.ts';
import { APP, SMALL, singleFileModel, tempDir, tinyLlama, watchConsole } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('offline');
});
test.afterAll(() => tmp.cleanup());

// Real users get the service worker: these tests must see it (and its own requests).
test.use({ serviceWorkers: 'allow' });

interface SeenRequest {
  url: string;
  from: 'page' | 'service-worker';
}

/** Every request of the context — pages, their workers and the service worker — and web sockets. */
function recordRequests(context: BrowserContext, page: Page): SeenRequest[] {
  const seen: SeenRequest[] = [];
  context.on('request', (r) => seen.push({ url: r.url(), from: r.serviceWorker() ? 'service-worker' : 'page' }));
  page.on('websocket', (ws) => seen.push({ url: ws.url(), from: 'page' }));
  return seen;
}

/** Local means 127.0.0.1 over http(s)/ws(s), a blob: of that origin, or an inline data: URL. */
function isLocal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:') return true;
  if (u.protocol === 'blob:') return isLocal(u.pathname);
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname === '127.0.0.1';
}

/** CSP violations as the page sees them (securitypolicyviolation events, also from its workers' reports). */
async function watchCspEvents(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
}

/**
 * CSP refusals the browser logs for the page *and its workers* (a worker's console does not reach
 * page.on('console'); the DevTools log of the page target does include it).
 */
async function watchCspLog(context: BrowserContext, page: Page): Promise<string[]> {
  const refused: string[] = [];
  const cdp = await context.newCDPSession(page);
  cdp.on('Log.entryAdded', ({ entry }) => {
    if (/Content Security Policy|Refused to/i.test(entry.text)) refused.push(`${entry.source}: ${entry.text}`);
  });
  await cdp.send('Log.enable');
  return refused;
}

/** Waits until the service worker is active and controls the page (after a first visit). */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller) return;
    await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
  });
}

function tamperedPair(dir: string, seed: number): { kg: string[]; su: string[] } {
  const tensors = tinyLlama(SMALL, seed);
  const suspect = clone(tensors);
  flipBits(find(suspect, 'model.layers.1.mlp.up_proj.weight'), [5, 77], 30);
  return { kg: singleFileModel(join(dir, 'kg'), tensors), su: singleFileModel(join(dir, 'su'), suspect) };
}

async function compareFiles(page: Page, pair: { kg: string[]; su: string[] }): Promise<void> {
  await page.getByTestId('known-good-input').setInputFiles(pair.kg);
  await page.getByTestId('suspect-input').setInputFiles(pair.su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered');
  await expect(page.getByTestId('tensor-table').locator('tr[data-tensor="model.layers.1.mlp.up_proj.weight"]')).toHaveAttribute('data-status', 'modified');
}

test('a whole analysis sends nothing beyond 127.0.0.1 and breaks no CSP rule', async ({ page, context }) => {
  const seen = recordRequests(context, page);
  const console = watchConsole(page);
  const cspEvents = await watchCspEvents(page);
  await page.goto(APP);
  const cspLog = await watchCspLog(context, page);
  await waitForServiceWorker(page);

  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered');
  await compareFiles(page, tamperedPair(join(tmp.dir, 'egress'), 11));

  const exported: Record<string, string> = {};
  for (const kind of ['json', 'html', 'md']) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${kind}`).click()]);
    // Saved under its own name: opened from disk, the .html suffix is what makes it a web page.
    const saved = join(tmp.dir, download.suggestedFilename());
    await download.saveAs(saved);
    exported[kind] = saved;
  }
  expect(JSON.parse(readFileSync(exported['json'] ?? '', 'utf8')).verdict.status).toBe('tampered');
  expect(await cspEvents()).toEqual([]);
  expect(cspLog).toEqual([]);

  // The exported report opened in a browser (a reviewer's double-click) fetches nothing either:
  // its own CSP forbids scripts and remote loads.
  const htmlPath = exported['html'] ?? '';
  const reportPage = await context.newPage();
  const reportConsole = watchConsole(reportPage);
  await reportPage.goto(`file://${htmlPath}`);
  await expect(reportPage.locator('body')).toContainText('tampered');
  const reportCsp = await reportPage.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(reportCsp).toMatch(/default-src 'none'/);
  expect(reportCsp).not.toMatch(/script-src(?![^;]*'none')/);
  expect(await reportPage.locator('script').count()).toBe(0);
  reportConsole.check();

  const outside = seen.filter((r) => !isLocal(r.url) && r.url !== `file://${htmlPath}`);
  expect(outside, outside.map((r) => `${r.from}: ${r.url}`).join('\n')).toEqual([]);
  // The listener does see the service worker's own traffic (its precache), and the app's.
  expect(seen.some((r) => r.from === 'service-worker')).toBe(true);
  expect(seen.some((r) => /\/demo\/suspect\/model\.safetensors$/.test(r.url))).toBe(true);
  expect(seen.some((r) => /analysis\.worker-[\w-]+\.js$/.test(r.url))).toBe(true);
  console.check();
});

test('after a first visit the workbench loads and analyses with the network off', async ({ page, context }) => {
  const console = watchConsole(page);
  await page.goto(APP);
  await waitForServiceWorker(page);
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls: string[] = [];
    for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
    return { names, urls };
  });
  expect(cached.names).toHaveLength(1);
  expect(cached.names[0]).toMatch(/^model-sleuth-[0-9a-z]+$/);
  // The precache holds the shell, the worker chunk (first needed only when a job starts), the
  // lazily imported hashing chunk, the report importer (loaded when a report is imported) and the
  // demo case — and no source maps.
  for (const re of [/^\/$/, /^\/assets\/index-[\w-]+\.js$/, /^\/assets\/index-[\w-]+\.css$/, /^\/assets\/analysis\.worker-[\w-]+\.js$/, /^\/assets\/case-import-[\w-]+\.js$/, /^\/demo\/manifest\.json$/, /^\/demo\/known-good\/model\.safetensors$/, /^\/demo\/suspect\/tokenizer\.json$/]) {
    expect(cached.urls.some((u) => re.test(u)), `${re} in ${cached.urls.join(', ')}`).toBe(true);
  }
  expect(cached.urls.filter((u) => u.endsWith('.map'))).toEqual([]);

  await context.setOffline(true);
  try {
    // The switch is real for the page and for the service worker's own fetches: a file the worker
    // does not handle fails, and so does one it would fetch network-first but never cached.
    const probe = await page.evaluate(async () => {
      const attempt = (u: string): Promise<string> => fetch(u, { cache: 'no-store' }).then((r) => `HTTP ${r.status}`, () => 'failed');
      return { page: await attempt(`/probe-${Date.now()}.txt`), serviceWorker: await attempt(`demo/probe-${Date.now()}.json`) };
    });
    expect(probe).toEqual({ page: 'failed', serviceWorker: 'failed' });

    const served: { url: string; fromServiceWorker: boolean }[] = [];
    page.on('response', (r) => served.push({ url: r.url(), fromServiceWorker: r.fromServiceWorker() }));
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Model Sleuth' })).toBeVisible();
    await page.getByTestId('demo-button').click();
    await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered');
    await compareFiles(page, tamperedPair(join(tmp.dir, 'offline'), 12));
    const fromNetwork = served.filter((r) => r.url.startsWith('http') && !r.fromServiceWorker);
    expect(fromNetwork, fromNetwork.map((r) => r.url).join('\n')).toEqual([]);
    expect(served.some((r) => r.url.endsWith('/demo/suspect/model.safetensors'))).toBe(true);
  } finally {
    await context.setOffline(false);
  }
  console.check();
});

test('analysis workers are held to the same CSP as the page', async ({ page, context }) => {
  await page.goto(APP);
  await waitForServiceWorker(page);
  const cspLog = await watchCspLog(context, page);
  const workerUrl = await page.evaluate(async () => {
    for (const n of await caches.keys()) for (const r of await (await caches.open(n)).keys()) if (/analysis\.worker-/.test(r.url)) return r.url;
    return '';
  });
  expect(workerUrl).not.toBe('');
  const [worker] = await Promise.all([page.waitForEvent('worker'), page.evaluate((url) => void new Worker(url, { type: 'module' }), workerUrl)]);
  // A <meta> CSP does not reach workers; the service worker delivers the page's policy with the
  // worker script. 192.0.2.1 (TEST-NET-1) is never routed, should the policy ever be missing.
  const attempt = await worker.evaluate(() => fetch('http://192.0.2.1/probe').then(() => 'fetched', (e: unknown) => String(e)));
  expect(attempt).toMatch(/Failed to fetch/);
  await expect.poll(() => cspLog.join('\n')).toMatch(/worker: .*192\.0\.2\.1.*connect-src 'self'/);
});

test('a new build replaces the old cache and the page keeps working', async ({ page }) => {
  await page.goto(APP);
  await waitForServiceWorker(page);
  const before = await page.evaluate(() => caches.keys());
  expect(before).toHaveLength(1);
  // What a new build does: the same script under a new version. Its activation deletes the old
  // cache and takes over the open page.
  const after = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.register('/sw.js?v=upgradetest', { scope: '/', updateViaCache: 'none' });
    const sw = reg.installing ?? reg.waiting ?? reg.active;
    if (sw && sw.state !== 'activated') await new Promise<void>((resolve) => sw.addEventListener('statechange', () => sw.state === 'activated' && resolve()));
    return { caches: await caches.keys(), controller: navigator.serviceWorker.controller?.scriptURL ?? '' };
  });
  expect(after.caches).toEqual(['model-sleuth-upgradetest']);
  expect(after.controller).toMatch(/sw\.js\?v=upgradetest$/);
  // Reloading registers this build's own version again: one cache, and the demo still runs.
  await page.reload();
  await expect.poll(() => page.evaluate(() => caches.keys())).toEqual(before);
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered');
});
