import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateValidatorSource, SCHEMA_PATH, VALIDATOR_PATH } from '../../../schemas/generate-validator.ts';
import { EDIT_KINDS, FINDING_KINDS, SEVERITIES, TENSOR_STATUSES, VERDICT_STATUSES, type ReportV1 } from '../../../src/lib/report/types.ts';
import { MAX_VALIDATION_MESSAGES, isReportV1, validateReport } from '../../../src/lib/report/validate.ts';
import { demoReportCopy } from './demo-report.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaNode = { [key: string]: Json };

const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as SchemaNode;
const defs = schema['$defs'] as Record<string, SchemaNode>;

/** What a report looks like on disk: JSON.stringify turns NaN/Infinity into null, drops undefined. */
const viaJson = (r: unknown): unknown => JSON.parse(JSON.stringify(r));

function errorsOf(value: unknown): string[] {
  const r = validateReport(value);
  return r.ok ? [] : r.errors;
}

/** Every optional field filled in, so a field added to types.ts must be added here (tsc) and to the schema (the walk below). */
type DeepRequired<T> = T extends readonly (infer U)[] ? DeepRequired<U>[] : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;

const HEX_A = 'a'.repeat(64);
const HEX_B = '0123456789abcdef'.repeat(4);
const hist = (hot: number): number[] => Array.from({ length: 128 }, (_, i) => (i === hot ? 5 : 0));
const stats = { count: 10, mean: 0.1, std: 0.02, min: -0.05, max: 0.2, kurtosis: null, nan: 0, inf: 0, zeros: 1, hist: hist(45) };

// ── activations section, every optional field filled (src/lib/activations/types.ts) ──
const ACT_TOKEN = { id: 3, text: 'a' };
const ACT_TOP = { id: 3, text: 'a', prob: 0.5 };
const ACT_STATS = { norm: [1], mean: [0], std: [1] };
const ACT_CONT = { ids: [3], text: 'a' };
const ACTIVATIONS_MAXIMAL: DeepRequired<NonNullable<ReportV1['activations']>> = {
  engine: 'cpu',
  architecture: 'llama',
  model: { family: 'llama', layers: 1, hidden: 4, heads: 1, kvHeads: 1, vocab: 8, source: 'config.json' },
  probes: [
    {
      prompt: 'hi',
      tokens: [ACT_TOKEN],
      suspectTokens: [ACT_TOKEN],
      precisionFloor: 1e-5,
      firstDivergentLayer: 0,
      maxDivergence: { layer: 0, position: 0, relL2: 0.5 },
      layers: [
        {
          layer: 0,
          relL2: [0.5, null],
          cosine: [0.9, null],
          knownGood: ACT_STATS,
          suspect: ACT_STATS,
          attentionEntropy: { knownGood: [[0.1]], suspect: [[0.2]] },
          mlpSparsity: { knownGood: [0.1], suspect: [0.2] },
          logitLens: { knownGood: [ACT_TOP], suspect: [ACT_TOP] },
        },
      ],
      nextToken: { knownGood: [ACT_TOP], suspect: [ACT_TOP], kl: 0.1, klReverse: 0.2 },
      continuation: { maxNewTokens: 1, stopSequences: ['\n'], knownGood: ACT_CONT, suspect: ACT_CONT, equal: false, firstDifference: 0 },
    },
  ],
  revert: {
    changedTensors: ['model.layers.0.mlp.up_proj.weight'],
    ignored: [],
    ranking: [{ target: 'model.layers.0.mlp.up_proj.weight', kind: 'tensor', tensors: ['model.layers.0.mlp.up_proj.weight'], kl: 0, explained: 1, explainedResidual: 1, continuation: ACT_CONT, restores: true }],
    minimalSet: { tensors: ['model.layers.0.mlp.up_proj.weight'], restores: true, kl: 0, continuation: ACT_CONT },
    criterion: 'continuation equal',
    runs: 1,
  },
  triggerSweep: {
    neutralPrompt: null,
    neutralTokens: [ACT_TOKEN],
    baselineKl: 0,
    baselineContinuationDiffers: false,
    candidates: [{ token: ACT_TOKEN, source: 'embedding-row', reason: 'row 3 changed', kl: 1, position: 0, continuationDiffers: true, knownGood: ACT_CONT, suspect: ACT_CONT }],
  },
  memory: { estimatedBytes: 1024, budgetBytes: 2048 },
  durationMs: 12,
  notes: ['a note'],
};

const MAXIMAL: DeepRequired<ReportV1> = {
  schema: 'model-sleuth/report/v1',
  generatedAt: '2026-11-22T10:00:00.000Z',
  tool: { name: 'model-sleuth', version: '0.1.0', engine: 'webgpu' },
  inputs: {
    knownGood: {
      label: 'base',
      files: [{ path: 'model.safetensors', size: 123, sha256: HEX_A, format: 'safetensors', role: 'weights' }],
      problems: [{ code: 'truncated', kind: 'input', message: 'ends early', offset: 12, file: 'model.safetensors' }],
    },
    suspect: { label: 'suspect', files: [{ path: 'model.safetensors', size: 123, sha256: null, format: 'safetensors', role: 'weights' }], problems: [] },
  },
  tensors: [
    {
      name: 'model.layers.0.mlp.up_proj.weight',
      status: 'modified',
      dtype: { knownGood: 'F32', suspect: 'F32' },
      shape: { knownGood: [2, 5], suspect: [2, 5] },
      sha256: { knownGood: HEX_A, suspect: HEX_B },
      file: { knownGood: 'model.safetensors', suspect: 'model.safetensors' },
      stats: { knownGood: stats, suspect: null },
      delta: {
        l2: 1,
        relL2: 0.5,
        maxAbs: 1,
        cosine: -0.25,
        changedCount: 1,
        changedFraction: 0.1,
        changedRows: [1],
        changedRowsTruncated: false,
        topRows: [{ index: 1, l2: 1, changed: 1, token: 'the' }],
        topElements: [{ index: [1, 3], knownGood: 'NaN', suspect: '-Infinity', flippedBits: [0, 30, 31] }],
        edit: { kind: 'sparse', rank: 1, confidence: 0.9, explanation: '1 element changed' },
        nonFiniteChanged: 1,
        precisionViolations: 0,
        deltaHistogram: hist(50),
        rowBucket: 1,
        spectrum: { singularValues: [2, 0.1], energy: [0.9975, 1], rowsSampled: 2, colsSampled: 4 },
      },
      notCompared: 'n/a',
    },
  ],
  findings: [{ id: 'F1', severity: 'high', kind: 'tensor-modified', message: 'changed', tensor: 'model.layers.0.mlp.up_proj.weight', file: 'model.safetensors', details: { any: ['thing'] } }],
  verdict: { status: 'tampered', summary: 'changed', reasons: ['F1'] },
  summary: { tensors: { identical: 0, modified: 1, added: 0, removed: 0, 'shape-changed': 0, 'dtype-changed': 0, unverified: 0 }, filesCompared: 2, bytesRead: 246, durationMs: 3.5 },
  patterns: ['a pattern'],
  notes: ['a note'],
  adapter: {
    label: 'lora',
    files: [{ path: 'adapter_model.safetensors', size: 64, sha256: HEX_B, format: 'safetensors', role: 'adapter-weights' }],
    format: 'peft',
    type: 'LORA',
    supported: true,
    baseModel: 'tiny-llama',
    rank: 4,
    alpha: 8,
    scale: 2,
    scaleRule: 'lora_alpha / r = 8 / 4',
    useRslora: false,
    fanInFanOut: false,
    targetModules: ['q_proj', 'v_proj'],
    targetModulesRegex: '.*q_proj',
    layers: [1, 2],
    residualThreshold: 0.05,
    targets: [
      {
        tensor: 'model.layers.0.mlp.up_proj.weight',
        module: 'model.layers.0.mlp.up_proj',
        rank: 4,
        alpha: 8,
        scale: 2,
        scaleRule: 'lora_alpha / r = 8 / 4',
        status: 'explained',
        residualRatio: 0.001,
        deltaNorm: 1,
        updateNorm: 1,
        fittedScale: 2,
        fittedResidualRatio: 0.001,
        elementsBeyondRounding: 0,
        largestResidual: { index: [1, 3], residual: -1e-7, tolerance: 1e-6 },
        reason: 'n/a',
      },
    ],
    unexplained: [],
    notMerged: [],
    allChangesExplained: true,
    notes: ['a note'],
    problems: [{ code: 'json_syntax', kind: 'input', message: 'bad', offset: 1, file: 'adapter_config.json' }],
  },
  // ── activations (src/lib/activations/types.ts) ──
  activations: ACTIVATIONS_MAXIMAL,
};

function resolve(node: SchemaNode): SchemaNode {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return node;
  const name = ref.replace('#/$defs/', '');
  const target = defs[name];
  if (!target) throw new Error(`unresolved ${ref}`);
  return resolve(target);
}

/** Paths of object keys in `data` that the schema does not declare under "properties" (open objects would let them pass silently). */
function undeclaredKeys(data: unknown, node: SchemaNode, path: string): string[] {
  const s = resolve(node);
  if (Array.isArray(data)) {
    const items = s['items'];
    return items && typeof items === 'object' && !Array.isArray(items) ? data.flatMap((d, i) => undeclaredKeys(d, items, `${path}[${i}]`)) : [];
  }
  if (typeof data !== 'object' || data === null) return [];
  const props = s['properties'];
  if (!props || typeof props !== 'object' || Array.isArray(props)) return [];
  return Object.entries(data).flatMap(([k, v]) => {
    const p = props[k];
    return p && typeof p === 'object' && !Array.isArray(p) ? undeclaredKeys(v, p, `${path}.${k}`) : [`${path}.${k}`];
  });
}

function enumOf(name: string): Json[] {
  const e = defs[name]?.['enum'];
  if (!Array.isArray(e)) throw new Error(`$defs/${name} has no enum`);
  return e;
}

describe('report-v1.schema.json', () => {
  it('accepts the demo report, as built and as written to disk', async () => {
    const report = await demoReportCopy();
    expect(report.verdict.status).toBe('tampered');
    expect(errorsOf(report)).toEqual([]);
    expect(errorsOf(viaJson(report))).toEqual([]);
    expect(isReportV1(viaJson(report))).toBe(true);
  });

  it('accepts a report with every optional field, and declares every one of them', () => {
    expect(errorsOf(viaJson(MAXIMAL))).toEqual([]);
    expect(undeclaredKeys(viaJson(MAXIMAL), schema, 'report')).toEqual([]);
  });

  it('has exactly the literals of types.ts in its closed value sets', () => {
    expect(new Set(enumOf('tensorStatus'))).toEqual(new Set(TENSOR_STATUSES));
    expect(new Set(enumOf('editKind'))).toEqual(new Set(EDIT_KINDS));
    expect(new Set(enumOf('severity'))).toEqual(new Set(SEVERITIES));
    expect(new Set(enumOf('verdictStatus'))).toEqual(new Set(VERDICT_STATUSES));
    expect(new Set(enumOf('findingKind'))).toEqual(new Set(FINDING_KINDS));
    const summaryTensors = resolve(defs['summary'] as SchemaNode)['properties'] as Record<string, SchemaNode>;
    // `unverified` is an extension status: listed, but not required of older reports.
    expect(new Set((summaryTensors['tensors'] as SchemaNode)['required'] as Json[])).toEqual(new Set(TENSOR_STATUSES.filter((s) => s !== 'unverified')));
    expect(new Set(Object.keys((summaryTensors['tensors'] as SchemaNode)['properties'] as Record<string, unknown>))).toEqual(new Set(TENSOR_STATUSES));
  });

  it('ships a precompiled validator generated from the current schema (npx tsx schemas/generate-validator.ts)', () => {
    expect(readFileSync(VALIDATOR_PATH, 'utf8') === generateValidatorSource(), 'schemas/report-v1.validate.js is stale: run npx tsx schemas/generate-validator.ts').toBe(true);
  });

  it('accepts extensions: new fields on open objects, null for a missing side, non-finite element values as strings', async () => {
    const r = (await demoReportCopy()) as ReportV1 & Record<string, unknown>;
    r['caseId'] = 'AI-IR-2026-0001';
    const t = r.tensors[0] as ReportV1['tensors'][number] & Record<string, unknown>;
    t['gguf'] = { type: 8 };
    r.tensors.push({ name: 'extra.weight', status: 'added', dtype: { knownGood: null, suspect: 'BF16' }, shape: { knownGood: null, suspect: [3] }, sha256: { knownGood: null, suspect: HEX_B } });
    const el = r.tensors.find((x) => x.delta?.topElements.length)?.delta?.topElements[0];
    if (!el) throw new Error('demo has no top elements');
    el.suspect = 'Infinity';
    el.knownGood = 'NaN';
    expect(errorsOf(viaJson(r))).toEqual([]);
  });
});

describe('validateReport messages', () => {
  const O_PROJ = 'model.layers.3.self_attn.o_proj.weight';
  const breakDemo = async (edit: (r: ReportV1) => void): Promise<string[]> => {
    const r = await demoReportCopy();
    edit(r);
    return errorsOf(viaJson(r));
  };
  const tensor = (r: ReportV1, name = O_PROJ): ReportV1['tensors'][number] => {
    const t = r.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`no ${name}`);
    return t;
  };
  const delta = (r: ReportV1): NonNullable<ReportV1['tensors'][number]['delta']> => {
    const d = tensor(r).delta;
    if (!d) throw new Error('no delta');
    return d;
  };

  it('names the tensor, the field, the allowed values and what it found', async () => {
    const errors = await breakDemo((r) => {
      (tensor(r) as { status: string }).status = 'changed';
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^tensors\[\d+\] \(model\.layers\.3\.self_attn\.o_proj\.weight\)\.status: must be one of "identical", "modified", .* \(found "changed"\)$/);
  });

  it('says what a SHA-256 must look like', async () => {
    const errors = await breakDemo((r) => {
      tensor(r).sha256.suspect = 'ABC';
      const f = r.inputs.suspect.files[0];
      if (f) f.sha256 = HEX_A.toUpperCase();
    });
    expect(errors).toContainEqual(expect.stringMatching(/o_proj\.weight\)\.sha256\.suspect: must be a SHA-256 digest: 64 lowercase hex digits \(found "ABC"\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/^inputs\.suspect\.files\[0\]\.sha256: must be a SHA-256 digest/));
  });

  it('reports missing required fields and sides', async () => {
    const errors = await breakDemo((r) => {
      delete (r as Partial<ReportV1>).verdict;
      delete (tensor(r).dtype as Partial<ReportV1['tensors'][number]['dtype']>).suspect;
      delete (delta(r) as Partial<ReturnType<typeof delta>>).changedRows;
    });
    expect(errors).toContain('report: missing required field "verdict"');
    expect(errors).toContainEqual(expect.stringMatching(/o_proj\.weight\)\.dtype: missing required field "suspect"$/));
    expect(errors).toContainEqual(expect.stringMatching(/o_proj\.weight\)\.delta: missing required field "changedRows"$/));
  });

  it('rejects a raw NaN that JSON turned into null, and misspelt non-finite strings', async () => {
    const errors = await breakDemo((r) => {
      const [a, b] = delta(r).topElements;
      if (!a || !b) throw new Error('need two top elements');
      a.suspect = Number.NaN;
      (b as { knownGood: unknown }).knownGood = 'nan';
    });
    expect(errors).toContainEqual(expect.stringMatching(/topElements\[0\]\.suspect: must be number or string \(found null\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/topElements\[1\]\.knownGood: must be a number, or one of the strings "NaN", "Infinity", "-Infinity" \(found "nan"\)$/));
  });

  it('checks ranges, histogram length, bit numbers and the schema id', async () => {
    const errors = await breakDemo((r) => {
      (r as { schema: string }).schema = 'model-sleuth/report/v2';
      const d = delta(r);
      d.cosine = 1.5;
      d.deltaHistogram = [1, 2, 3];
      const e = d.topElements[0];
      if (e) e.flippedBits = [30, 30, 64];
      d.changedCount = -1;
    });
    expect(errors).toContain('schema: must be "model-sleuth/report/v1" (found "model-sleuth/report/v2")');
    expect(errors).toContainEqual(expect.stringMatching(/\.delta\.cosine: must be <= 1 \(found 1\.5\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/\.delta\.deltaHistogram: must have at least 128 items \(found 3\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/\.flippedBits\[2\]: must be <= 63 \(found 64\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/\.flippedBits: items 0 and 1 are the same/));
    expect(errors).toContainEqual(expect.stringMatching(/\.delta\.changedCount: must be >= 0 \(found -1\)$/));
  });

  it('rejects unknown statuses, kinds and stray fields in closed objects', async () => {
    const errors = await breakDemo((r) => {
      (r.verdict as { status: string }).status = 'suspicious';
      const f = r.findings[0];
      if (f) (f as { kind: string }).kind = 'tensor_modified';
      (tensor(r).shape as unknown as Record<string, unknown>)['base'] = [1];
      (delta(r).edit as { kind: string }).kind = 'rank-2';
    });
    expect(errors).toContainEqual(expect.stringMatching(/^verdict\.status: must be one of "clean", .* \(found "suspicious"\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/^findings\[0\] \(F1\)\.kind: must be one of .* \(found "tensor_modified"\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/\.shape: unexpected field "base"$/));
    expect(errors).toContainEqual(expect.stringMatching(/\.delta\.edit\.kind: must be one of .*"rank-1".* \(found "rank-2"\)$/));
  });

  it('checks what the schema cannot: finding ids, verdict reasons, tensor names', async () => {
    const errors = await breakDemo((r) => {
      r.verdict.reasons.push('F99');
      const [a, b] = r.findings;
      if (a && b) b.id = a.id;
      const t = r.tensors[1];
      if (t) r.tensors.push(structuredClone(t));
    });
    expect(errors).toContain('verdict.reasons[3]: names finding "F99", which is not in findings');
    expect(errors).toContain('findings[1] (F1): id is already used by findings[0]; finding ids must be unique');
    expect(errors).toContainEqual(expect.stringMatching(/^tensors\[\d+\] \(.*\): the same name as tensors\[1\]; each tensor appears once$/));
  });

  it('copes with values that are not reports at all', () => {
    for (const v of [null, 'report', 42, [], undefined]) {
      const errors = errorsOf(v);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toMatch(/^report: must be object/);
    }
    expect(errorsOf({})).toContain('report: missing required field "schema"');
  });

  it('lists at most MAX_VALIDATION_MESSAGES problems and says how many more', async () => {
    const errors = await breakDemo((r) => {
      for (const t of r.tensors) (t as { status: string }).status = 'bad';
    });
    expect(errors).toHaveLength(MAX_VALIDATION_MESSAGES + 1);
    expect(errors.at(-1)).toBe(`… and ${75 - MAX_VALIDATION_MESSAGES} more problems`);
  });
});
