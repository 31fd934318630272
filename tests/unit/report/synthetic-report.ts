/**
 * Reports built directly (no comparison run) for renderer tests: big models, every status, and
 * hostile strings in every place a model file can put one.
 */
import type { DeltaReport, ReportTensor, ReportV1, TensorStatus } from '../../../src/lib/report/types.ts';

export const HEX_A = 'a'.repeat(64);
export const HEX_B = 'b'.repeat(64);

export function hist(bins: Record<number, number>): number[] {
  return Array.from({ length: 128 }, (_, i) => bins[i] ?? 0);
}

export function delta(over: Partial<DeltaReport> = {}): DeltaReport {
  return {
    l2: 0.5,
    relL2: 0.01,
    maxAbs: 0.05,
    cosine: 0.999,
    changedCount: 10,
    changedFraction: 0.01,
    changedRows: [1, 2],
    changedRowsTruncated: false,
    topRows: [
      { index: 1, l2: 0.3, changed: 5 },
      { index: 2, l2: 0.2, changed: 5 },
    ],
    topElements: [{ index: [1, 3], knownGood: 0.01, suspect: 0.06, flippedBits: [22, 25] }],
    edit: { kind: 'rows', confidence: 0.9, explanation: '2 rows rewritten' },
    deltaHistogram: hist({ 40: 6, 104: 4 }),
    ...over,
  };
}

export function tensor(name: string, status: TensorStatus = 'identical', over: Partial<ReportTensor> = {}): ReportTensor {
  const missingKg = status === 'added';
  const missingSu = status === 'removed';
  return {
    name,
    status,
    dtype: { knownGood: missingKg ? null : 'F32', suspect: missingSu ? null : status === 'dtype-changed' ? 'BF16' : 'F32' },
    shape: { knownGood: missingKg ? null : [64, 64], suspect: missingSu ? null : status === 'shape-changed' ? [65, 64] : [64, 64] },
    sha256: { knownGood: missingKg ? null : HEX_A, suspect: missingSu ? null : status === 'identical' ? HEX_A : HEX_B },
    file: { knownGood: missingKg ? null : 'model.safetensors', suspect: missingSu ? null : 'model.safetensors' },
    ...(status === 'modified' || status === 'dtype-changed' ? { delta: delta() } : {}),
    ...over,
  };
}

export function report(tensors: ReportTensor[], over: Partial<ReportV1> = {}): ReportV1 {
  const counts: Record<TensorStatus, number> = { identical: 0, modified: 0, added: 0, removed: 0, 'shape-changed': 0, 'dtype-changed': 0, unverified: 0 };
  for (const t of tensors) counts[t.status]++;
  return {
    schema: 'model-sleuth/report/v1',
    generatedAt: '2026-11-22T10:00:00.000Z',
    tool: { name: 'model-sleuth', version: 'test', engine: 'cpu' },
    inputs: {
      knownGood: { label: 'known-good', files: [{ path: 'model.safetensors', size: 1000, sha256: HEX_A, format: 'safetensors', role: 'weights' }] },
      suspect: { label: 'suspect', files: [{ path: 'model.safetensors', size: 1000, sha256: HEX_B, format: 'safetensors', role: 'weights' }] },
    },
    tensors,
    findings: [],
    verdict: { status: 'clean', summary: 'nothing', reasons: [] },
    summary: { tensors: counts, filesCompared: 2, bytesRead: 2000, durationMs: 12 },
    ...over,
  };
}

const MODULES = ['input_layernorm', 'self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'post_attention_layernorm', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];

/** A Llama-shaped model of `layers` × 9 tensors + 3 outside; `change(name, i)` picks statuses. */
export function bigModel(layers: number, change: (name: string, i: number) => TensorStatus = () => 'identical'): ReportV1 {
  const names = ['model.embed_tokens.weight'];
  for (let l = 0; l < layers; l++) for (const m of MODULES) names.push(`model.layers.${l}.${m}.weight`);
  names.push('model.norm.weight', 'lm_head.weight');
  const tensors = names.map((n, i) => {
    const status = change(n, i);
    return tensor(n, status, status === 'modified' ? { delta: delta({ relL2: 10 ** -((i % 9) + 1), edit: { kind: 'dense', confidence: 0.9 } }) } : {});
  });
  const changed = tensors.filter((t) => t.status !== 'identical');
  return report(tensors, {
    findings: changed.map((t, i) => ({ id: `F${i + 1}`, severity: 'high', kind: 'tensor-modified', message: `${t.name} changed`, tensor: t.name })),
    verdict: changed.length ? { status: 'tampered', summary: `${changed.length} tensors changed`, reasons: changed.map((_, i) => `F${i + 1}`) } : { status: 'clean', summary: 'all identical', reasons: [] },
  });
}

/** Strings a hostile model file could carry in names, paths, labels, tokens and metadata. */
export const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  '</style><script>alert(4)</script>',
  '</title><script>alert(5)</script>',
  '</svg><script>alert(6)</script><svg>',
  'javascript:alert(7)',
  '<a href="https://evil.example/x">click</a>',
  '<iframe src="//evil.example"></iframe>',
  '<!-- ]]> -->',
  'line\u2028separator\u2029paragraph',
  'right-to-left \u202Egnp.exe',
  '| pipe | `tick` ```fence``` *star* _under_ [link](http://evil.example) ![img](x) <b>bold</b> ~~s~~ $x$',
  '# heading',
  '{{constructor.constructor("alert(8)")()}}',
  '${alert(9)}',
] as const;

export const LONG_NAME = `model.layers.1.${'very_long_module_name.'.repeat(5000)}weight`;

/** A schema-valid report with a hostile string in every place the model files reach. */
export function hostileReport(): ReportV1 {
  const h = (i: number): string => HOSTILE[i % HOSTILE.length] as string;
  const tensors: ReportTensor[] = HOSTILE.map((s, i) => {
    const name = i % 2 ? `model.layers.${i}.${s}.weight` : s;
    const status: TensorStatus = (['modified', 'identical', 'added', 'removed', 'shape-changed', 'dtype-changed'] as const)[i % 6] ?? 'modified';
    const t = tensor(name, status);
    if (t.delta) {
      t.delta.edit.explanation = h(i + 1);
      t.delta.topRows = [{ index: 3, l2: 1, changed: 2, token: h(i + 2) }];
      t.delta.topElements = [{ index: [3, 1], knownGood: 'NaN', suspect: '-Infinity', flippedBits: [31, 30, 1] }];
    }
    if (status === 'dtype-changed') t.dtype.suspect = h(i + 3);
    if (status === 'removed') t.notCompared = h(i + 4);
    t.file = { knownGood: h(i + 5), suspect: h(i + 6) };
    return t;
  });
  tensors.push(tensor(LONG_NAME, 'modified'));
  const files = HOSTILE.map((s, i) => ({ path: s, size: i, sha256: i % 3 ? HEX_A : null, format: h(i + 1), role: h(i + 2) }));
  return report(tensors, {
    inputs: {
      knownGood: { label: h(0), files, problems: [{ code: 'truncated', kind: 'input', message: h(1), file: h(2), offset: 5 }] },
      suspect: { label: h(3), files: files.map((f) => ({ ...f, sha256: HEX_B })) },
    },
    findings: HOSTILE.map((s, i) => ({ id: `F${i + 1}`, severity: 'high', kind: 'tensor-modified', message: s, tensor: h(i + 1), file: h(i + 2), details: { note: h(i + 3) } })),
    verdict: { status: 'tampered', summary: HOSTILE.join(' '), reasons: ['F1', 'F2'] },
    notes: [...HOSTILE],
    tool: { name: 'model-sleuth', version: h(0), engine: 'cpu' },
  });
}
