/**
 * Runs a fixture generator script (tests/fixtures/torch/*.py) into a fresh temp dir at test time.
 * Returns `{ skip }` with the reason when the interpreter or its modules are missing, so the
 * calling suite can skip *visibly* (describe.skipIf + a console line), never silently pass.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/torch');
export const REAL_MODELS = process.env['SLEUTH_REAL_MODELS'] ?? '/work/shared/real-models';

export type Generated = { dir: string; expected: unknown; cleanup: () => void } | { skip: string };

export function generate(script: string, pythons: readonly string[]): Generated {
  const path = join(FIXTURE_SCRIPTS, script);
  const reasons: string[] = [];
  for (const py of pythons) {
    if (py.startsWith('/') && !existsSync(py)) {
      reasons.push(`${py} not found`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sleuth-fixtures-'));
    const r = spawnSync(py, [path, dir], { encoding: 'utf8', timeout: 180_000 });
    if (r.status === 0 && existsSync(join(dir, 'expected.json'))) {
      return { dir, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as unknown, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    }
    rmSync(dir, { recursive: true, force: true });
    reasons.push(`${py}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? `exit ${r.status}`}`);
  }
  return { skip: `${script} could not run (${reasons.join('; ')})` };
}
