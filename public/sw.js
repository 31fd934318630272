// @ts-check
/// <reference lib="webworker" />
/**
 * Model Sleuth service worker: after a first visit the workbench loads and analyses with the
 * network switched off (issue 5, "No egress, offline").
 *
 * What it caches, and nothing else: the app shell (index.html), the built assets it references
 * (found by following index.html → scripts/styles → the chunks and workers they import), the
 * favicon, and the bundled demo case (demo/manifest.json and the files it lists). User model files
 * are never fetched — they are read from File handles inside the workers — so this worker never
 * sees them; requests outside the allow-list below are not even intercepted.
 *
 * Freshness (never stale code after an upgrade):
 * - The cache is named after the build: src/sw/register.ts registers `sw.js?v=<fingerprint of the
 *   hashed entry files>`, so every new build is a new script URL, hence a new install with its own
 *   cache; `activate` deletes every older model-sleuth cache and claims open pages.
 * - Content-hashed files under assets/ are served cache-first (a name never changes content);
 *   everything else (the shell, the demo case, the favicon) network-first, the cache being only
 *   the offline fallback.
 *
 * Hardening: worker scripts served from here carry the page's Content-Security-Policy as a header
 * (read from the cached index.html's <meta>), so the analysis workers, which a <meta> CSP does not
 * reach, are held to connect-src 'self' too.
 *
 * Served from public/ (not bundled) so its URL, and so its scope, is the app's root.
 */

const PREFIX = 'model-sleuth-';
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const VERSION = new URL(sw.location.href).searchParams.get('v') || 'unversioned';
const CACHE = `${PREFIX}${VERSION}`;
const SCOPE = sw.registration.scope;
const SCOPE_PATH = new URL(SCOPE).pathname;
/**
 * Cache key of the app shell: every navigation falls back to it offline. Lookups ignore Vary: the
 * precache fetched without an Origin header, module scripts are requested with one (vite preview
 * answers `Vary: Origin`), and a build file is the same whoever asks.
 */
const SHELL = new URL('./', SCOPE).href;
/** Bounds the crawl of the build (a bundle is a handful of files; this only stops a runaway). */
const MAX_PRECACHE = 200;
/** A navigation waits this long for the network before the cached shell is served. */
const NAVIGATION_TIMEOUT_MS = 4000;

sw.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || req.headers.has('range')) return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || !url.pathname.startsWith(SCOPE_PATH)) return;
  if (req.mode === 'navigate') {
    event.respondWith(navigation(req));
    return;
  }
  const path = url.pathname.slice(SCOPE_PATH.length);
  if (path.endsWith('.map') || path === 'sw.js') return;
  if (path.startsWith('assets/')) event.respondWith(cacheFirst(req));
  else if (path.startsWith('demo/') || /^[\w.-]+\.(?:svg|png|ico|webmanifest)$/.test(path)) event.respondWith(networkFirst(req));
});

/**
 * Network first (fresh when online), the cached shell when offline or the network stalls.
 * @param {Request} req
 * @returns {Promise<Response>}
 */
async function navigation(req) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(SHELL, { ignoreVary: true });
  const network = fetch(req).then(async (res) => {
    if (res.ok && res.type === 'basic' && (res.headers.get('content-type') ?? '').includes('text/html')) await cache.put(SHELL, res.clone());
    return res;
  });
  if (!cached) return network;
  /** @type {Promise<Response>} */
  const fallback = new Promise((resolve) => setTimeout(() => resolve(cached), NAVIGATION_TIMEOUT_MS));
  return Promise.race([network.catch(() => cached), fallback]);
}

/** @param {Request} req */
async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  } catch (e) {
    const cached = await cache.match(req, { ignoreSearch: true, ignoreVary: true });
    if (cached) return cached;
    throw e;
  }
}

/** @param {Request} req */
async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  let res = await cache.match(req, { ignoreVary: true });
  if (!res) {
    res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
  }
  return req.destination === 'worker' || req.destination === 'sharedworker' ? withPageCsp(res, cache) : res;
}

/**
 * The worker script with the page's CSP as a header (a <meta> CSP does not apply to workers).
 * @param {Response} res
 * @param {Cache} cache
 */
async function withPageCsp(res, cache) {
  const shell = await cache.match(SHELL, { ignoreVary: true });
  const csp = shell ? cspOf(await shell.text()) : undefined;
  if (!csp || !res.ok) return res;
  const headers = new Headers(res.headers);
  headers.set('Content-Security-Policy', csp);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** @param {string} html */
function cspOf(html) {
  const meta = /<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>/i.exec(html);
  // The policy is quoted with " and holds ' ('self'): match the opening quote.
  const content = meta && /\scontent=(["'])(.*?)\1/is.exec(meta[0]);
  return content ? content[2]?.replace(/\s+/g, ' ').trim() : undefined;
}

/**
 * Caches the shell, the build it references (followed transitively through scripts and styles)
 * and the demo case. The shell and the files index.html names must all load, or the install
 * fails and is retried on the next visit; references merely spotted inside a bundle are optional.
 */
async function precache() {
  const cache = await caches.open(CACHE);
  const shell = await fetchFresh(SHELL);
  if (!shell.ok) throw new Error(`app shell: HTTP ${shell.status}`);
  const html = await shell.clone().text();
  await cache.put(SHELL, shell);

  /** @type {Map<string, boolean>} url → required */
  const queue = new Map();
  /** @type {(href: string | undefined, required: boolean) => void} */
  const add = (href, required) => {
    if (!href || !sameScope(href) || queue.size >= MAX_PRECACHE || href === SHELL) return;
    if (!queue.has(href)) queue.set(href, required);
  };
  for (const m of html.matchAll(/<(?:script|link)\s[^>]*?(?:src|href)=["']([^"']+)["']/gi)) add(resolve(m[1], SHELL), true);
  for (const href of await demoFiles()) add(href, true);

  const done = new Set();
  for (let pending = [...queue.keys()]; pending.length > 0; pending = [...queue.keys()].filter((u) => !done.has(u))) {
    await Promise.all(
      pending.map(async (href) => {
        done.add(href);
        let res;
        try {
          res = await fetchFresh(href);
        } catch (e) {
          if (queue.get(href)) throw e;
          return;
        }
        if (!res.ok || res.type !== 'basic') {
          if (queue.get(href)) throw new Error(`${href}: HTTP ${res.status}`);
          return;
        }
        const type = res.headers.get('content-type') ?? '';
        // A missing optional file may come back as the SPA fallback page: never cache that as code.
        if (!queue.get(href) && type.includes('text/html')) return;
        if (/javascript|css/.test(type)) for (const ref of references(await res.clone().text(), type, href)) add(ref, false);
        await cache.put(href, res);
      }),
    );
  }
}

/** The demo case's manifest and every file it lists (same shape as src/ui/input/demo-case.ts). */
async function demoFiles() {
  const manifestUrl = new URL('demo/manifest.json', SCOPE).href;
  const res = await fetchFresh(manifestUrl);
  if (!res.ok) return [];
  /** @type {unknown} */
  const manifest = await res.json();
  const out = [manifestUrl];
  /** @type {(p: unknown) => p is string} */
  const safe = (p) => typeof p === 'string' && p.length > 0 && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '' || s === '.');
  for (const key of ['knownGood', 'suspect']) {
    const side = typeof manifest === 'object' && manifest !== null ? /** @type {Record<string, unknown>} */ (manifest)[key] : undefined;
    if (typeof side !== 'object' || side === null) continue;
    const { dir, files } = /** @type {{ dir?: unknown, files?: unknown }} */ (side);
    if (!safe(dir) || !Array.isArray(files)) continue;
    for (const f of files) if (safe(f)) out.push(new URL(`demo/${dir}/${f}`, SCOPE).href);
  }
  return out;
}

/**
 * Files a script or stylesheet loads: chunk and worker names in JS, url()/@import in CSS.
 * @param {string} text
 * @param {string} type
 * @param {string} base
 * @returns {(string | undefined)[]}
 */
function references(text, type, base) {
  const out = [];
  const pattern = type.includes('css') ? /url\(\s*["']?([^"')\s]+)["']?\s*\)|@import\s+["']([^"']+)["']/g : /["'`]((?:\.{0,2}\/)?[\w./-]{0,200}?[\w-]\.(?:m?js|css|wasm))["'`]/g;
  for (const m of text.matchAll(pattern)) {
    const ref = m[1] ?? m[2];
    if (!ref || ref.startsWith('data:') || ref.startsWith('//') || ref.includes('://')) continue;
    // "./x.js" and "../x.js" are relative to the importing file; "/x" to the origin; a bare
    // "assets/x.js" (Vite with a relative base) to the app's root.
    out.push(resolve(ref, ref.startsWith('.') || type.includes('css') ? base : SCOPE));
  }
  return out;
}

/**
 * @param {string} ref
 * @param {string} base
 */
function resolve(ref, base) {
  try {
    const u = new URL(ref, base);
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

/** @param {string} href */
function sameScope(href) {
  const u = new URL(href);
  return u.origin === sw.location.origin && u.pathname.startsWith(SCOPE_PATH) && !u.pathname.endsWith('.map');
}

/** @param {string} href */
function fetchFresh(href) {
  return fetch(href, { cache: 'reload', credentials: 'same-origin' });
}
