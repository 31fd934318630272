/**
 * The provenance chain of a model — base → fine-tune → post-processing → deployment — and where
 * its checksums stop matching: the compromise point, named with the model-compromise playbook's
 * categories. A pure function of the recorded checksums, so the UI, the case report and the tests
 * agree on one answer.
 *
 * Each step records the checksums it *should* have produced (the provider's published checksums,
 * the training pipeline's record, the build record of the quantization/merge, the release record
 * of the deployment) and the checksums *observed* for its artefacts (from the evidence items). The
 * first step whose observed checksums differ from its expected ones is where the chain breaks:
 *
 * | First step that does not match                                  | Compromise point           |
 * |-----------------------------------------------------------------|----------------------------|
 * | base: our copy matches the provider's published checksums, but   | provider compromise        |
 * |   those differ from an independent reference (archive, mirror,   |                            |
 * |   earlier signed manifest) or the provider's signature fails     |                            |
 * | base: our copy differs from the provider's published checksums   | download tampering         |
 * | fine-tune: output differs from the training pipeline's record    | fine-tune compromise       |
 * | post-processing: quantized/merged/converted files differ from    | post-processing tampering  |
 * |   the build record                                               |                            |
 * | deployment: deployed files differ from the release record        | deployment compromise      |
 * | every artefact at rest matches, but what the server runs differs | runtime modification       |
 * |   (runtime hash or behaviour)                                    |                            |
 *
 * A step that cannot be checked (no expected or no observed checksums) before the first mismatch
 * makes the answer "at or before" that step; steps marked not applicable are skipped.
 */

export const PROVENANCE_STAGES = {
  base: 'Base model',
  'fine-tune': 'Fine-tune',
  'post-processing': 'Post-processing',
  deployment: 'Deployment',
} as const;
export type ProvenanceStage = keyof typeof PROVENANCE_STAGES;
export const PROVENANCE_STAGE_IDS = Object.keys(PROVENANCE_STAGES) as ProvenanceStage[];

export interface Artefact {
  /** Relative path (data only). */
  path: string;
  sha256: string;
  /** The evidence item it was taken from, when it was. */
  evidenceId?: string;
}

export type Signal = 'match' | 'mismatch' | 'unknown';

export interface ProvenanceStep {
  stage: ProvenanceStage;
  /** False for a step the model never went through (no fine-tune, no post-processing). */
  applicable: boolean;
  /** What it is: "Llama-3-8B-Instruct from the vendor", "LoRA fine-tune run 42", "Q8_0 conversion". */
  name: string;
  /** Where the expected checksums come from (URL, pipeline record, ticket). */
  source?: string;
  expected: Artefact[];
  observed: Artefact[];
  /** base only: independent reference checksums of the provider's release (archive, mirror, earlier manifest). */
  reference?: Artefact[];
  /** base only: whether the provider's signature over its release verified (e.g. an OMS bundle). */
  providerSignature?: Signal;
  /** deployment only: whether what the server actually loads/behaves as matches the files at rest. */
  runtime?: Signal;
}

export type CompromisePoint =
  | 'provider-compromise'
  | 'download-tampering'
  | 'fine-tune-compromise'
  | 'post-processing-tampering'
  | 'deployment-compromise'
  | 'runtime-modification';

export const COMPROMISE_POINTS: Record<CompromisePoint, { label: string; meaning: string; next: string }> = {
  'provider-compromise': {
    label: 'Provider compromise',
    meaning: 'The copy obtained matches what the provider published, but the provider’s release itself is not the genuine model.',
    next: 'Notify the provider and every downstream user; obtain the model from an independent, verified source.',
  },
  'download-tampering': {
    label: 'Download tampering',
    meaning: 'The base model obtained differs from the provider’s published checksums: it was altered in transit, in a mirror or cache, or in storage before use.',
    next: 'Re-download over a verified channel, check the mirror/cache/registry, and rebuild every step from the verified base.',
  },
  'fine-tune-compromise': {
    label: 'Fine-tune compromise',
    meaning: 'The base model is genuine, but the fine-tuned output differs from what the training pipeline recorded.',
    next: 'Audit the training pipeline, its data and its credentials; retrain from the verified base with verified data.',
  },
  'post-processing-tampering': {
    label: 'Post-processing tampering',
    meaning: 'The fine-tuned model is as recorded, but the quantized, merged or converted files differ from the build record.',
    next: 'Audit the conversion/quantization tooling and its environment; rebuild the artefacts from the verified fine-tune.',
  },
  'deployment-compromise': {
    label: 'Deployment compromise',
    meaning: 'Every build artefact is as recorded, but the files deployed differ from the release record.',
    next: 'Audit the deployment path (registry, storage, hosts, CI credentials); redeploy the verified release.',
  },
  'runtime-modification': {
    label: 'Runtime modification',
    meaning: 'Every file at rest matches, but what the serving process runs or how it behaves does not.',
    next: 'Inspect the serving process and host (memory, hooks, adapters loaded at run time); restart from verified files.',
  },
};

const POINT_OF_STAGE: Record<Exclude<ProvenanceStage, 'base'>, CompromisePoint> = {
  'fine-tune': 'fine-tune-compromise',
  'post-processing': 'post-processing-tampering',
  deployment: 'deployment-compromise',
};

export type StepStatus = 'match' | 'mismatch' | 'incomplete' | 'unknown' | 'not-applicable';

export interface ArtefactComparison {
  path: string;
  expected?: string;
  observed?: string;
  result: 'match' | 'mismatch' | 'not-observed' | 'unexpected';
}

export interface StepResult {
  stage: ProvenanceStage;
  status: StepStatus;
  artefacts: ArtefactComparison[];
  /** base: the provider's checksums against the independent reference. */
  reference?: ArtefactComparison[];
  words: string;
}

export interface CompromiseAssessment {
  point: CompromisePoint | 'none' | 'undetermined';
  /** The stage where the chain breaks. */
  stage?: ProvenanceStage;
  headline: string;
  /** Steps before the break that could not be checked (the break is "at or before" the named step). */
  unchecked: ProvenanceStage[];
  reasoning: string[];
  steps: StepResult[];
}

/** Four empty steps, base to deployment. */
export function emptyProvenanceChain(): ProvenanceStep[] {
  return PROVENANCE_STAGE_IDS.map((stage) => ({ stage, applicable: true, name: '', expected: [], observed: [] }));
}

/** Compares observed against expected checksums by path (paths compared exactly, hashes case-insensitively). */
export function compareArtefacts(expected: readonly Artefact[], observed: readonly Artefact[]): ArtefactComparison[] {
  const exp = new Map(expected.map((a) => [a.path, a.sha256.toLowerCase()]));
  const obs = new Map(observed.map((a) => [a.path, a.sha256.toLowerCase()]));
  const out: ArtefactComparison[] = [];
  for (const [path, e] of exp) {
    const o = obs.get(path);
    out.push(o === undefined ? { path, expected: e, result: 'not-observed' } : { path, expected: e, observed: o, result: o === e ? 'match' : 'mismatch' });
  }
  for (const [path, o] of obs) if (!exp.has(path)) out.push({ path, observed: o, result: 'unexpected' });
  return out;
}

function stepStatus(step: ProvenanceStep, artefacts: readonly ArtefactComparison[]): StepStatus {
  if (!step.applicable) return 'not-applicable';
  if (step.expected.length === 0 || step.observed.length === 0) return 'unknown';
  // A file the record does not know is a change too (an extra adapter, a swapped tokenizer).
  if (artefacts.some((a) => a.result === 'mismatch' || a.result === 'unexpected')) return 'mismatch';
  if (artefacts.some((a) => a.result === 'not-observed')) return 'incomplete';
  return 'match';
}

function describeStep(status: StepStatus, artefacts: readonly ArtefactComparison[]): string {
  const count = (r: ArtefactComparison['result']): number => artefacts.filter((a) => a.result === r).length;
  switch (status) {
    case 'not-applicable':
      return 'not part of this model’s history';
    case 'unknown':
      return 'cannot be checked: expected or observed checksums are missing';
    case 'match':
      return `all ${count('match')} file${count('match') === 1 ? '' : 's'} match`;
    case 'incomplete':
      return `${count('match')} match, ${count('not-observed')} not observed`;
    case 'mismatch': {
      const parts = [`${count('mismatch')} differ`];
      if (count('unexpected')) parts.push(`${count('unexpected')} not in the record`);
      if (count('not-observed')) parts.push(`${count('not-observed')} not observed`);
      return parts.join(', ');
    }
  }
}

export function assessProvenance(steps: readonly ProvenanceStep[]): CompromiseAssessment {
  const ordered = PROVENANCE_STAGE_IDS.map((stage) => steps.find((s) => s.stage === stage) ?? { stage, applicable: false, name: '', expected: [], observed: [] });
  const results: StepResult[] = ordered.map((step) => {
    const artefacts = compareArtefacts(step.expected, step.observed);
    const status = stepStatus(step, artefacts);
    const result: StepResult = { stage: step.stage, status, artefacts, words: describeStep(status, artefacts) };
    if (step.stage === 'base' && step.reference && step.reference.length > 0) result.reference = compareArtefacts(step.reference, step.expected);
    return result;
  });
  const reasoning: string[] = [];
  const unchecked: ProvenanceStage[] = [];
  const found = (point: CompromisePoint, stage: ProvenanceStage, why: string): CompromiseAssessment => {
    reasoning.push(why);
    const atOrBefore = unchecked.length > 0 ? ` (at or before this step: ${unchecked.map((s) => PROVENANCE_STAGES[s].toLowerCase()).join(', ')} could not be checked)` : '';
    return { point, stage, headline: `${COMPROMISE_POINTS[point].label}${atOrBefore}`, unchecked: [...unchecked], reasoning, steps: results };
  };

  for (const [i, step] of ordered.entries()) {
    const r = results[i] as StepResult;
    const label = PROVENANCE_STAGES[step.stage];
    if (r.status === 'not-applicable') continue;
    if (step.stage === 'base') {
      if (r.status === 'mismatch') return found('download-tampering', 'base', `${label}: the copy obtained differs from the provider’s published checksums (${r.words}).`);
      const referenceBroken = r.reference?.some((a) => a.result === 'mismatch' || a.result === 'unexpected') ?? false;
      if (referenceBroken) return found('provider-compromise', 'base', `${label}: the provider’s published checksums differ from the independent reference — the release itself was changed.`);
      if (step.providerSignature === 'mismatch') return found('provider-compromise', 'base', `${label}: the provider’s signature over its release does not verify, although the copy matches the published checksums.`);
    } else if (r.status === 'mismatch') {
      return found(POINT_OF_STAGE[step.stage], step.stage, `${label}: ${r.words} — the checksums stop matching here.`);
    }
    if (r.status === 'match') reasoning.push(`${label}: ${r.words}.`);
    else {
      unchecked.push(step.stage);
      reasoning.push(`${label}: ${r.words}.`);
    }
  }
  const deployment = ordered.find((s) => s.stage === 'deployment');
  if (deployment?.applicable && deployment.runtime === 'mismatch') {
    return found('runtime-modification', 'deployment', 'Every checked artefact at rest matches its record, but what the serving process runs (runtime hash or behaviour) does not.');
  }
  if (unchecked.length > 0) {
    return {
      point: 'undetermined',
      headline: `No mismatch among the steps that could be checked; ${unchecked.length} step${unchecked.length === 1 ? '' : 's'} could not be checked`,
      unchecked,
      reasoning,
      steps: results,
    };
  }
  return { point: 'none', headline: 'Every step matches its record: no compromise point along the provenance chain', unchecked, reasoning, steps: results };
}
