/** `model-sleuth hash` and `model-sleuth verify` as a user or CI runs them (the real CLI, real files, real sha256sum). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { clone, find, tinyConfigJson, tinyLlama, type TinyConfig } from '../../fixtures/tiny-llama.ts';
import { fileResources, generateKey, shardResources, signBundle, statement } from '../../fixtures/oms/build-oms.ts';

const tmp = mkdtempSync(join(tmpdir(), 'model-sleuth-cli-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CFG: TinyConfig = { vocab: 64, hidden: 32, intermediate: 64, layers: 3, heads: 4, kvHeads: 2, tieEmbeddings: false };

function model(edit: boolean): Record<string, Uint8Array> {
  const t = clone(tinyLlama(CFG, 5));
  if (edit) {
    const x = find(t, 'model.layers.2.self_attn.q_proj.weight');
    x.values[7] = 42;
  }
  return {
    'model.safetensors': buildSafetensors(t.map((x) => ({ name: x.name, dtype: 'F32', shape: x.shape, data: f32Bytes(x.values) }))),
    'config.json': new TextEncoder().encode(tinyConfigJson(CFG)),
  };
}

function write(dir: string, files: Record<string, Uint8Array | string>): string {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return dir;
}

describe('model-sleuth hash', () => {
  it('prints exactly what sha256sum prints, and sha256sum -c accepts it', async () => {
    const dir = write(join(tmp, 'h'), { ...model(false), 'tokenizer.json': '{}', 'sub/generation_config.json': '{"a": 1}' });
    const r = await runCli(['hash', dir]);
    expect(r.exitCode).toBe(0);
    const names = ['config.json', 'model.safetensors', 'sub/generation_config.json', 'tokenizer.json'];
    expect(r.stdout).toBe(execFileSync('sha256sum', names, { cwd: dir, encoding: 'utf8' }));
    writeFileSync(join(tmp, 'h.sha256'), r.stdout);
    expect(execFileSync('sha256sum', ['-c', join(tmp, 'h.sha256')], { cwd: dir, encoding: 'utf8' })).toMatch(/model\.safetensors: OK/);
  });

  it('hashes big models on the worker pool with the same output', async () => {
    const big = new Uint8Array(40 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4099) big[i] = i & 0xff;
    const dir = write(join(tmp, 'big'), { 'a.safetensors': big, 'b.safetensors': big.subarray(1), 'config.json': '{}' });
    const r = await runCli(['hash', dir, '--workers', '2'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(execFileSync('sha256sum', ['a.safetensors', 'b.safetensors', 'config.json'], { cwd: dir, encoding: 'utf8' }));
  });
});

describe('model-sleuth compare --sarif', () => {
  it('writes SARIF 2.1.0 next to the other outputs: rule ids are finding kinds, locations the file and the tensor', async () => {
    const kg = write(join(tmp, 'cmp-kg'), model(false));
    const su = write(join(tmp, 'cmp-su'), model(true));
    const out = join(tmp, 'cmp.sarif');
    const r = await runCli(['compare', kg, su, '--engine', 'cpu', '--quiet', '--sarif', out, '--html', join(tmp, 'cmp.html')], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(1);
    const log = JSON.parse(readFileSync(out, 'utf8')) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; locations?: { physicalLocation?: { artifactLocation: { uri: string } }; logicalLocations?: { name: string }[] }[] }[] }[] };
    expect(log.version).toBe('2.1.0');
    const modified = log.runs[0]?.results.find((x) => x.ruleId === 'tensor-modified');
    expect(modified?.locations?.[0]?.logicalLocations?.[0]?.name).toBe('model.layers.2.self_attn.q_proj.weight');
    expect(modified?.locations?.[0]?.physicalLocation?.artifactLocation.uri).toBe('model.safetensors');
    expect(log.runs[0]?.tool.driver.rules.map((x) => x.id)).toContain('tensor-modified');
    // The CLI's HTML report embeds its JSON (a data block) so it can be imported and checked.
    expect(readFileSync(join(tmp, 'cmp.html'), 'utf8')).toContain('<script type="application/json" id="model-sleuth-report">');
  });
});

describe('model-sleuth verify', () => {
  it('a signed OMS manifest of the known-good verifies (exit 0); the modified model names the file, then the tensors (exit 1)', async () => {
    const key = await generateKey();
    const good = model(false);
    const bundle = await signBundle(statement('tiny', shardResources(good, 2048), { method: 'shards', hash_type: 'sha256', shard_size: 2048, allow_symlinks: false, ignore_paths: ['model.sig'] }), key);
    const goodDir = write(join(tmp, 'good'), { ...good, 'model.sig': bundle });
    const badDir = write(join(tmp, 'bad'), { ...model(true), 'model.sig': bundle });
    writeFileSync(join(tmp, 'key.pub'), key.publicPem);
    const ok = await runCli(['verify', goodDir, '--manifest', join(goodDir, 'model.sig'), '--key', join(tmp, 'key.pub')]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^model\.safetensors:0:2048: OK$/m);
    expect(ok.stderr).toMatch(/signature: VERIFIED/);
    const bad = await runCli(['verify', badDir, '--manifest', join(badDir, 'model.sig'), '--key', join(tmp, 'key.pub'), '--json', join(tmp, 'bad.json'), '--sarif', join(tmp, 'bad.sarif')]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^model\.safetensors:\d+:\d+: FAILED$/m);
    expect(bad.stdout).toMatch(/^ {2}tensors in bytes \d+–\d+: .*model\.layers\.2\.self_attn\.q_proj\.weight/m);
    expect(bad.stderr).toMatch(/1 computed checksum did NOT match/);
    const json = JSON.parse(readFileSync(join(tmp, 'bad.json'), 'utf8')) as { verdict: string };
    expect(json.verdict).toBe('mismatch');
    const sarif = JSON.parse(readFileSync(join(tmp, 'bad.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]?.results.map((x) => x.ruleId)).toEqual(['manifest-digest-mismatch']);
  });

  it('per-file manifests, sha256sum files, and the exit codes for unreadable input', async () => {
    const key = await generateKey();
    const good = model(false);
    const dir = write(join(tmp, 'pf'), { ...good });
    writeFileSync(join(tmp, 'pf.sig'), await signBundle(statement('tiny', fileResources(good)), key));
    const noKey = await runCli(['verify', dir, '--manifest', join(tmp, 'pf.sig')]);
    expect(noKey.exitCode).toBe(0);
    expect(noKey.stderr).toMatch(/signature: NOT-CHECKED/);
    writeFileSync(join(tmp, 'pf.sha256'), `${execFileSync('sha256sum', ['config.json', 'model.safetensors'], { cwd: dir, encoding: 'utf8' })}`);
    const sums = await runCli(['verify', dir, '--manifest', join(tmp, 'pf.sha256')]);
    expect(sums.exitCode).toBe(0);
    expect(sums.stdout).toBe('config.json: OK\nmodel.safetensors: OK\n');
    writeFileSync(join(tmp, 'missing.sha256'), `${'0'.repeat(64)}  gone.bin\n`);
    const missing = await runCli(['verify', dir, '--manifest', join(tmp, 'missing.sha256')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe('gone.bin: FAILED open or read\n');
    expect((await runCli(['verify', dir])).exitCode).toBe(2);
    expect((await runCli(['verify', dir, '--manifest', join(tmp, 'nope')])).exitCode).toBe(2);
    writeFileSync(join(tmp, 'junk.txt'), 'hello\n');
    expect((await runCli(['verify', dir, '--manifest', join(tmp, 'junk.txt')])).exitCode).toBe(2);
    expect((await runCli(['verify', dir, '--manifest', join(tmp, 'pf.sig'), '--key', join(tmp, 'junk.txt')])).exitCode).toBe(2);
  });
});
