// Bundles the CLI and its worker into dist-cli/ (plain ESM, no TypeScript loader at run time):
// startup drops from ~0.5 s + ~0.45 s per worker (tsx) to ~0.1 s. bin/model-sleuth.js uses the
// bundle when it is newer than every source file, and the TypeScript sources otherwise.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { 'model-sleuth': 'src/cli/main.ts', 'node-worker': 'src/cli/node-worker.ts' },
  outdir: 'dist-cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Dawn ships a native addon: load it from node_modules at run time.
  external: ['webgpu'],
  define: { 'import.meta.env': 'undefined' },
  banner: { js: "import { createRequire as __msRequire } from 'node:module'; const require = __msRequire(import.meta.url);" },
  logLevel: 'warning',
});
process.stderr.write('dist-cli/ built\n');
