import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The workbench is a static app: every byte of evidence stays in the browser (CSP in index.html,
// connect-src 'self'). Workers are ES modules so they can import the same core as the page.
// A <meta> CSP does not reach workers, so the preview server (what `npm start` runs) also sends the
// policy as a header; the service worker attaches it to worker scripts it serves offline.
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'";

export default defineConfig({
  plugins: [svelte()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, headers: { 'Content-Security-Policy': CSP } },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2000 },
});
