/**
 * Runs the real CLI (bin/model-sleuth.js, a child process) for the robustness tests: stderr is
 * collected as it arrives so a test can act at a given moment of the run (send SIGINT, change a
 * file), and a preloaded module reports the process's peak resident memory at exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'model-sleuth.js');
const PEAK_RSS = pathToFileURL(join(import.meta.dirname, 'report-peak-rss.mjs')).href;

export interface CliRun {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves when stderr matches (rejects if the process ends first). */
  waitForStderr: (pattern: RegExp) => Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; peakRssKiB?: number; ms: number }>;
}

export function runCli(args: readonly string[], options: { nodeArgs?: readonly string[] } = {}): CliRun {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', PEAK_RSS, BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const done = new Promise<Awaited<CliRun['done']>>((resolve) => {
    child.on('close', (code, signal) => {
      const m = /peak-rss-kib=(\d+)/.exec(err);
      resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - started, ...(m?.[1] === undefined ? {} : { peakRssKiB: Number(m[1]) }) });
    });
  });
  const waitForStderr = (pattern: RegExp): Promise<void> =>
    pattern.test(err)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
          done.then((r) => {
            throw new Error(`the CLI ended (code ${r.code}) before stderr matched ${pattern}:\n${r.stderr}`);
          }),
        ]);
  return { child, stderr: () => err, waitForStderr, done };
}
