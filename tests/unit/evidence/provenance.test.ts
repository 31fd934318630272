import { describe, expect, it } from 'vitest';
import { assessProvenance, emptyProvenanceChain, type ProvenanceStep } from '../../../src/lib/evidence/provenance.ts';

const H = (c: string): string => c.repeat(64);

/** A chain where every step's observed checksum equals its expected one. */
function healthy(): ProvenanceStep[] {
  return [
    { stage: 'base', applicable: true, name: 'vendor release', expected: [{ path: 'model.safetensors', sha256: H('a') }], observed: [{ path: 'model.safetensors', sha256: H('a') }] },
    { stage: 'fine-tune', applicable: true, name: 'lora run', expected: [{ path: 'ft.safetensors', sha256: H('b') }], observed: [{ path: 'ft.safetensors', sha256: H('b') }] },
    { stage: 'post-processing', applicable: true, name: 'q8 conversion', expected: [{ path: 'model.gguf', sha256: H('c') }], observed: [{ path: 'model.gguf', sha256: H('c') }] },
    { stage: 'deployment', applicable: true, name: 'prod', expected: [{ path: 'model.gguf', sha256: H('c') }], observed: [{ path: 'model.gguf', sha256: H('c') }] },
  ];
}

function withStep(steps: ProvenanceStep[], stage: ProvenanceStep['stage'], patch: Partial<ProvenanceStep>): ProvenanceStep[] {
  return steps.map((s) => (s.stage === stage ? { ...s, ...patch } : s));
}

describe('assessProvenance (the playbook table)', () => {
  it('no compromise point when every step matches', () => {
    expect(assessProvenance(healthy()).point).toBe('none');
  });
  it('download tampering: the base copy differs from the provider’s checksums', () => {
    const a = assessProvenance(withStep(healthy(), 'base', { observed: [{ path: 'model.safetensors', sha256: H('f') }] }));
    expect(a).toMatchObject({ point: 'download-tampering', stage: 'base' });
  });
  it('provider compromise: the copy matches the published checksums, which differ from an independent reference', () => {
    const a = assessProvenance(withStep(healthy(), 'base', { reference: [{ path: 'model.safetensors', sha256: H('9') }] }));
    expect(a).toMatchObject({ point: 'provider-compromise', stage: 'base' });
  });
  it('provider compromise: the provider’s signature fails although the copy matches', () => {
    expect(assessProvenance(withStep(healthy(), 'base', { providerSignature: 'mismatch' })).point).toBe('provider-compromise');
  });
  it('fine-tune compromise, post-processing tampering, deployment compromise: the first step that breaks', () => {
    expect(assessProvenance(withStep(healthy(), 'fine-tune', { observed: [{ path: 'ft.safetensors', sha256: H('0') }] })).point).toBe('fine-tune-compromise');
    expect(assessProvenance(withStep(healthy(), 'post-processing', { observed: [{ path: 'model.gguf', sha256: H('0') }] })).point).toBe('post-processing-tampering');
    const dep = withStep(healthy(), 'deployment', { observed: [{ path: 'model.gguf', sha256: H('c') }, { path: 'adapter_model.safetensors', sha256: H('e') }] });
    expect(assessProvenance(dep).point).toBe('deployment-compromise');
    // Later breaks do not move the point.
    const two = withStep(withStep(healthy(), 'fine-tune', { observed: [{ path: 'ft.safetensors', sha256: H('0') }] }), 'deployment', { observed: [{ path: 'model.gguf', sha256: H('1') }] });
    expect(assessProvenance(two).point).toBe('fine-tune-compromise');
  });
  it('runtime modification: every file at rest matches but the runtime does not', () => {
    expect(assessProvenance(withStep(healthy(), 'deployment', { runtime: 'mismatch' })).point).toBe('runtime-modification');
  });
  it('steps that do not apply are skipped; unchecked steps make it "at or before"', () => {
    const noFt = withStep(healthy(), 'fine-tune', { applicable: false, expected: [], observed: [] });
    expect(assessProvenance(noFt).point).toBe('none');
    const unknownFt = withStep(withStep(healthy(), 'fine-tune', { expected: [] }), 'post-processing', { observed: [{ path: 'model.gguf', sha256: H('0') }] });
    const a = assessProvenance(unknownFt);
    expect(a).toMatchObject({ point: 'post-processing-tampering', unchecked: ['fine-tune'] });
    expect(a.headline).toMatch(/at or before/);
    expect(assessProvenance(emptyProvenanceChain()).point).toBe('undetermined');
  });
});
