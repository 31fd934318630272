/**
 * Activation engine benchmark: prefill and decode tokens/s of a ~100M-parameter Llama
 * (tests/fixtures/activations/bench-model.ts, built deterministically) on
 *   - the CPU twin in Node (one thread, f64 sums),
 *   - the WebGPU engine in Node through Dawn (SwiftShader on a CPU-only machine),
 *   - the WebGPU engine and the CPU twin in Chromium (vitest browser mode,
 *     tests/browser/activations-bench.test.ts),
 *   - the PyTorch reference on the same machine (tests/fixtures/activations/golden.py bench: the
 *     same math with a KV cache, torch's CPU kernels, 1 and all threads),
 * all measured in this run (best of 3 per engine: the machines are shared), with the ratios to
 * PyTorch printed at the end.
 *
 *   npx tsx bench/activations-bench.ts [--layers N] [--prompt 64] [--new 16] [--skip browser,torch,node-webgpu,node-cpu]
 *
 * Not part of the tests (minutes of CPU). Weights go through the real loading path (safetensors
 * file → loadModel → TensorReader → backend); load time (read, decode, upload, pipeline
 * compilation) is reported separately and excluded from the rates.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend } from '../src/lib/activations/cpu/cpu-backend.ts';
import { openPath } from '../src/lib/io/node-source.ts';
import { BENCH_CONFIG, benchParameterCount, buildBenchSafetensors } from '../tests/fixtures/activations/bench-model.ts';
import { benchEngine, type BenchResult } from '../tests/fixtures/activations/bench-run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const layers = arg('--layers') === undefined ? BENCH_CONFIG.num_hidden_layers : Number(arg('--layers'));
const promptTokens = Number(arg('--prompt') ?? 64);
const newTokens = Number(arg('--new') ?? 16);
const skip = new Set((arg('--skip') ?? '').split(',').filter(Boolean));
const python = process.env['GOLDEN_PYTHON'] ?? '/usr/bin/python3';

type Row = Partial<BenchResult> & { engine: string; prefillTokensPerSecond: number; decodeTokensPerSecond: number };
const rows: Row[] = [];

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'ms-act-bench-'));
try {
  const config = { ...BENCH_CONFIG, num_hidden_layers: layers };
  log(`bench model: ${(benchParameterCount(layers) / 1e6).toFixed(1)}M parameters (${layers} layers, hidden ${config.hidden_size}, vocab ${config.vocab_size}); prompt ${promptTokens} tokens, ${newTokens} new`);
  writeFileSync(join(dir, 'model.safetensors'), buildBenchSafetensors(layers));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));

  if (!skip.has('torch')) {
    for (const threads of [...new Set([1, availableParallelism()])]) {
      log(`PyTorch, ${threads} thread(s)…`);
      const out = execFileSync(python, [join(root, 'tests/fixtures/activations/golden.py'), 'bench', '--model', dir, '--prompt-tokens', String(promptTokens), '--new-tokens', String(newTokens), '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      rows.push(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Row);
    }
  }
  if (!skip.has('node-cpu')) {
    log('CPU twin in Node…');
    const sources = await openPath(dir);
    rows.push(await benchEngine(new CpuBackend(), sources, { promptTokens, newTokens, label: 'cpu-node' }));
    for (const s of sources) await s.close();
  }
  if (!skip.has('node-webgpu')) {
    log('WebGPU in Node (Dawn)…');
    try {
      const { createNodeGpuBackend } = await import('../src/cli/activations-gpu.ts');
      const gpu = await createNodeGpuBackend();
      const sources = await openPath(dir);
      try {
        rows.push(await benchEngine(gpu, sources, { promptTokens, newTokens, label: 'webgpu-node', adapter: gpu.adapter.description }));
      } finally {
        gpu.dispose();
        for (const s of sources) await s.close();
      }
    } catch (e) {
      log(`  skipped: ${(e as Error).message}`);
    }
  }
  if (!skip.has('browser')) {
    log('Chromium (vitest browser mode: WebGPU, then the CPU twin)…');
    const lines = await new Promise<string>((resolve, reject) => {
      const child = spawn('npx', ['vitest', 'run', '--project', 'browser', 'tests/browser/activations-bench.test.ts'], {
        cwd: root,
        env: { ...process.env, VITE_ACT_BENCH: '1', VITE_ACT_BENCH_LAYERS: String(layers), VITE_ACT_BENCH_PROMPT: String(promptTokens), VITE_ACT_BENCH_NEW: String(newTokens) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    for (const m of lines.matchAll(/ACT_BENCH (\{.*\})/g)) rows.push(JSON.parse(m[1] ?? '{}') as Row);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const torch1 = rows.find((r) => r.engine === 'pytorch-1-thread');
const pad = (s: string, n: number): string => s.padEnd(n);
const num = (x: number | undefined, d = 2): string => (x === undefined ? '—' : x.toFixed(d));
console.log(`\n${pad('engine', 20)} ${pad('prefill tok/s', 14)} ${pad('decode tok/s', 13)} ${pad('load s', 8)} ${pad('× torch-1 prefill', 18)} × torch-1 decode`);
for (const r of rows) {
  const rp = torch1 ? r.prefillTokensPerSecond / torch1.prefillTokensPerSecond : undefined;
  const rd = torch1 ? r.decodeTokensPerSecond / torch1.decodeTokensPerSecond : undefined;
  console.log(`${pad(r.engine, 20)} ${pad(num(r.prefillTokensPerSecond), 14)} ${pad(num(r.decodeTokensPerSecond), 13)} ${pad(num(r.loadSeconds, 1), 8)} ${pad(num(rp, 3), 18)} ${num(rd, 3)}`);
}
for (const r of rows) if (r.adapter) console.log(`(${r.engine}: ${r.adapter})`);
