/**
 * Registers public/sw.js (offline use after a first visit; see the header of that file) — in
 * production builds only: under `vite dev` a service worker would cache modules the dev server
 * rewrites on every edit.
 *
 * The script URL carries a fingerprint of this build (`sw.js?v=…`): the hashed names of the entry
 * chunk and of the scripts and styles index.html loads. A new build is thus a new script URL, which
 * the browser installs as a new worker with a cache of its own, deleting the old one on activation.
 */

/** FNV-1a (32-bit) of the build's hashed entry file names: short, stable, no crypto needed. */
export function buildFingerprint(urls: readonly string[]): string {
  const text = [...new Set(urls)].sort().join('\n');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** The hashed files that make up this build, as this page loaded them. */
export function entryFiles(doc: Document, entryUrl: string): string[] {
  const urls = [entryUrl];
  for (const s of Array.from(doc.querySelectorAll<HTMLScriptElement>('script[src]'))) urls.push(s.src);
  for (const l of Array.from(doc.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"][href], link[rel="modulepreload"][href]'))) urls.push(l.href);
  return urls.map((u) => new URL(u, doc.baseURI).pathname);
}

export function registerServiceWorker(base: string): void {
  if (!('serviceWorker' in navigator)) return;
  const root = base.endsWith('/') ? base : `${base}/`;
  const version = buildFingerprint(entryFiles(document, import.meta.url));
  const register = (): void => {
    navigator.serviceWorker.register(`${root}sw.js?v=${version}`, { scope: root, updateViaCache: 'none' }).catch((e: unknown) => {
      // Offline use is a convenience: the workbench works without it (e.g. in a private window).
      console.warn(`Model Sleuth: offline support unavailable (${e instanceof Error ? e.message : String(e)})`);
    });
  };
  // After the page has loaded, so that precaching never competes with the first paint.
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
