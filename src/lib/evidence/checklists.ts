/**
 * The playbook's checklists — integrity verification, behavioural verification and the 12-item
 * post-mortem — with what can be filled in from results: the latest comparison report, manifest
 * verifications, the provenance assessment and the custody chain. Everything else is for people.
 *
 * Auto-fill never overrides a person: an item a person set (source 'manual') keeps its state;
 * items still open or last set automatically follow the results.
 *
 * The item wording is ours, after the playbook's tables (integrity: file integrity 100 % match,
 * architecture validation, adapter audit, configuration verification; behavioural verification;
 * post-mortem); a team can record notes against each item.
 */
import type { Finding, ReportV1 } from '../report/types.ts';
import type { ChecklistItemState, ChecklistState } from './case-model.ts';
import type { ChainVerification } from './custody-log.ts';
import type { ManifestVerification } from './manifests/verify-model.ts';
import { COMPROMISE_POINTS, type CompromiseAssessment } from './provenance.ts';

export interface ChecklistItemDef {
  id: string;
  label: string;
  /** How to check it, in a sentence. */
  how: string;
  /** Whether results can set it. */
  auto: boolean;
}

export interface ChecklistSection {
  id: 'integrity' | 'behaviour' | 'post-mortem';
  title: string;
  items: ChecklistItemDef[];
}

export const CHECKLISTS: readonly ChecklistSection[] = [
  {
    id: 'integrity',
    title: 'Integrity verification',
    items: [
      { id: 'integrity.file-hashes', label: 'File integrity: 100 % checksum match', how: 'SHA-256 of every model file equals the known-good copy or the signed manifest.', auto: true },
      { id: 'integrity.architecture', label: 'Architecture validation', how: 'Tensor names, shapes and layer count are those config.json declares; no extra or missing tensors.', auto: true },
      { id: 'integrity.adapter-audit', label: 'Adapter audit', how: 'Every adapter (LoRA, QLoRA) is accounted for, and none explains a change nobody made.', auto: true },
      { id: 'integrity.configuration', label: 'Configuration verification', how: 'config, generation config, tokenizer, chat template and serving configuration equal the known-good.', auto: true },
    ],
  },
  {
    id: 'behaviour',
    title: 'Behavioural verification',
    items: [
      { id: 'behaviour.benchmarks', label: 'Standard benchmarks within tolerance of the known-good', how: 'Run the team’s evaluation suite on both models; differences within run-to-run noise.', auto: false },
      { id: 'behaviour.trigger-scan', label: 'Backdoor trigger scan', how: 'Candidate trigger phrases and tokens do not switch the model’s behaviour.', auto: false },
      { id: 'behaviour.safety', label: 'Safety behaviour unchanged', how: 'Refusal and policy evaluations give the known-good’s results.', auto: false },
      { id: 'behaviour.activations', label: 'Activation comparison on probe prompts', how: 'Hidden states of both models agree on probe prompts (activation diff).', auto: true },
      { id: 'behaviour.outputs', label: 'Output consistency on a fixed prompt set', how: 'Greedy outputs on a fixed prompt set equal the known-good’s.', auto: true },
    ],
  },
  {
    id: 'post-mortem',
    title: 'Post-mortem',
    items: [
      { id: 'pm.root-cause', label: 'Root cause identified and written down', how: 'How the model was changed, by whom or what, and why it was possible.', auto: false },
      { id: 'pm.compromise-point', label: 'Compromise point located on the provenance chain', how: 'The step where checksums stop matching (provenance tab).', auto: true },
      { id: 'pm.timeline', label: 'Timeline established (UTC)', how: 'From the last known-good state through compromise, detection, containment and recovery.', auto: false },
      { id: 'pm.scope', label: 'Impact scoped', how: 'Affected models, deployments, users, conversations and downstream systems listed.', auto: false },
      { id: 'pm.evidence', label: 'Evidence preserved with checksums and an intact custody log', how: 'Every artefact hashed and recorded; the custody chain verifies.', auto: true },
      { id: 'pm.replacement', label: 'Compromised model replaced by a verified known-good', how: 'The replacement verified against its manifest before deployment.', auto: false },
      { id: 'pm.detection-gap', label: 'Detection gap understood', how: 'Why existing controls did not catch the change earlier.', auto: false },
      { id: 'pm.supply-chain', label: 'Supply-chain controls added', how: 'Checksums pinned and signatures (e.g. OpenSSF Model Signing) verified at every step and at load.', auto: false },
      { id: 'pm.access', label: 'Credentials and access paths rotated', how: 'Keys, tokens and accounts on the compromised path revoked or rotated.', auto: false },
      { id: 'pm.monitoring', label: 'Monitoring added', how: 'Integrity checks and behavioural drift monitoring on the deployed model.', auto: false },
      { id: 'pm.notification', label: 'Stakeholders notified', how: 'Users, the provider and, where required, regulators informed.', auto: false },
      { id: 'pm.lessons', label: 'Lessons learned recorded and the playbook updated', how: 'Actions with owners and dates.', auto: false },
    ],
  },
];

export const CHECKLIST_ITEM_IDS: readonly string[] = CHECKLISTS.flatMap((s) => s.items.map((i) => i.id));
export const CHECKLIST_STATES: Record<ChecklistState, string> = { open: 'Open', pass: 'Pass', fail: 'Fail', 'n/a': 'N/A' };

export function findChecklistItem(id: string): ChecklistItemDef | undefined {
  for (const s of CHECKLISTS) for (const i of s.items) if (i.id === id) return i;
  return undefined;
}

export interface ChecklistInputs {
  /** The latest comparison report. */
  report?: ReportV1;
  manifestChecks?: readonly ManifestVerification[];
  assessment?: CompromiseAssessment;
  custody?: ChainVerification;
  evidenceCount?: number;
}

export interface AutoValue {
  state: ChecklistState;
  reason: string;
}

const byKind = (report: ReportV1, ...kinds: Finding['kind'][]): Finding[] => report.findings.filter((f) => kinds.includes(f.kind));

/** Results → item states (only for items results can decide; the rest stay as they are). */
export function autoChecklist(inputs: ChecklistInputs): Record<string, AutoValue> {
  const out: Record<string, AutoValue> = {};
  const r = inputs.report;

  // File integrity: the comparison's file hashes and the latest manifest check.
  const fileVotes: AutoValue[] = [];
  if (r) {
    const kg = new Map(r.inputs.knownGood.files.map((f) => [f.path, f.sha256]));
    const su = new Map(r.inputs.suspect.files.map((f) => [f.path, f.sha256]));
    const paths = new Set([...kg.keys(), ...su.keys()]);
    let differ = 0;
    for (const p of paths) if (kg.get(p) === undefined || su.get(p) === undefined || kg.get(p) !== su.get(p)) differ++;
    fileVotes.push(
      differ === 0
        ? { state: 'pass', reason: `All ${paths.size} files have the known-good’s SHA-256 (comparison of ${r.generatedAt.slice(0, 10)})` }
        : { state: 'fail', reason: `${differ} of ${paths.size} files differ from the known-good (comparison of ${r.generatedAt.slice(0, 10)})` },
    );
  }
  const latestManifest = inputs.manifestChecks?.[inputs.manifestChecks.length - 1];
  if (latestManifest) {
    if (latestManifest.verdict === 'verified') fileVotes.push({ state: 'pass', reason: `Verified against ${latestManifest.manifestName}: ${latestManifest.summary}` });
    else if (latestManifest.verdict === 'mismatch') fileVotes.push({ state: 'fail', reason: `${latestManifest.manifestName}: ${latestManifest.summary}` });
  }
  const failVote = fileVotes.find((v) => v.state === 'fail');
  if (failVote) out['integrity.file-hashes'] = failVote;
  else if (fileVotes[0]) out['integrity.file-hashes'] = { state: 'pass', reason: fileVotes.map((v) => v.reason).join('; ') };

  if (r) {
    // Architecture validation (analysis/architecture.ts findings).
    const arch = byKind(r, 'weight-anomaly').filter((f) => f.details !== undefined && ('anomaly' in f.details || 'status' in f.details || 'anomalies' in f.details));
    const anomalies = arch.filter((f) => f.details !== undefined && 'anomaly' in f.details && f.severity !== 'info' && f.severity !== 'low');
    const validated = arch.find((f) => f.details?.['status'] === 'validated');
    // A clean validation is reported as a note ("llama architecture validated against config.json: 75 required tensors, 0 anomalies.").
    const validatedNote = (r.notes ?? []).find((n) => /architecture validated against .*\b0 anomalies/.test(n));
    if (anomalies.length > 0) out['integrity.architecture'] = { state: 'fail', reason: `${anomalies.length} architecture anomal${anomalies.length === 1 ? 'y' : 'ies'}: ${anomalies[0]?.message ?? ''}` };
    else if (validated) out['integrity.architecture'] = { state: 'pass', reason: validated.message };
    else if (validatedNote) out['integrity.architecture'] = { state: 'pass', reason: validatedNote };

    // Adapter audit.
    const adapterFiles = [...r.inputs.knownGood.files, ...r.inputs.suspect.files].filter((f) => f.role === 'adapter-config' || f.role === 'adapter-weights' || /adapter_(config|model)/.test(f.path));
    const mismatch = byKind(r, 'adapter-mismatch');
    const explains = byKind(r, 'adapter-explains-delta');
    const adapterAdded = r.findings.filter((f) => f.kind === 'file-added' && f.file !== undefined && /adapter/.test(f.file));
    if (mismatch.length > 0 || adapterAdded.length > 0) out['integrity.adapter-audit'] = { state: 'fail', reason: (mismatch[0] ?? adapterAdded[0])?.message ?? 'adapter problem' };
    else if (explains.length > 0) out['integrity.adapter-audit'] = { state: 'fail', reason: `An adapter explains a change in the weights: ${explains[0]?.message ?? ''} — confirm it was sanctioned, then set this item by hand` };
    else if (adapterFiles.length === 0) out['integrity.adapter-audit'] = { state: 'n/a', reason: 'No adapter files in either model' };
    else out['integrity.adapter-audit'] = { state: 'pass', reason: `${adapterFiles.length} adapter file${adapterFiles.length === 1 ? '' : 's'}, no adapter findings` };

    // Configuration verification.
    // Custom code the known-good ships too is not a change; a payload in it is (remote-code critical).
    const cfg = [
      ...byKind(r, 'config-changed', 'tokenizer-changed', 'chat-template-changed', 'code-changed').filter((f) => f.severity !== 'info'),
      ...byKind(r, 'remote-code').filter((f) => f.severity === 'critical' || f.details?.['onlyInSuspect'] === true),
    ];
    const sidecars = r.inputs.suspect.files.filter((f) => f.path.endsWith('.json') || /template|tokenizer/.test(f.path));
    if (cfg.length > 0) out['integrity.configuration'] = { state: 'fail', reason: `${cfg.length} configuration finding${cfg.length === 1 ? '' : 's'}: ${cfg[0]?.message ?? ''}` };
    else if (sidecars.length > 0) out['integrity.configuration'] = { state: 'pass', reason: `${sidecars.length} configuration/tokenizer file${sidecars.length === 1 ? '' : 's'} compared, no differences that matter (serving configuration not covered: check by hand)` };

    const act = byKind(r, 'activation-divergence');
    if (act.length > 0) out['behaviour.activations'] = { state: 'fail', reason: act[0]?.message ?? 'activation divergence' };
    const beh = byKind(r, 'behaviour-divergence');
    if (beh.length > 0) out['behaviour.outputs'] = { state: 'fail', reason: beh[0]?.message ?? 'behaviour divergence' };
  }

  const a = inputs.assessment;
  if (a && a.point !== 'undetermined' && a.point !== 'none') out['pm.compromise-point'] = { state: 'pass', reason: `${COMPROMISE_POINTS[a.point].label} at the ${a.stage ?? ''} step` };
  else if (a && a.point === 'none') out['pm.compromise-point'] = { state: 'n/a', reason: a.headline };

  if (inputs.custody && (inputs.evidenceCount ?? 0) > 0) {
    out['pm.evidence'] = inputs.custody.ok
      ? { state: 'pass', reason: `${inputs.evidenceCount ?? 0} evidence item${inputs.evidenceCount === 1 ? '' : 's'} with SHA-256; the custody chain verifies` }
      : { state: 'fail', reason: `The custody chain does not verify: ${inputs.custody.problems[0]?.message ?? ''}` };
  }
  return out;
}

/**
 * Applies auto values to the stored items: manual items are kept; returns the new items and the
 * ids whose state changed (each change is logged in the custody log by the caller).
 */
export function mergeAutoChecklist(current: Readonly<Record<string, ChecklistItemState>>, auto: Readonly<Record<string, AutoValue>>, at: string): { items: Record<string, ChecklistItemState>; changed: string[] } {
  const items: Record<string, ChecklistItemState> = { ...current };
  const changed: string[] = [];
  for (const [id, value] of Object.entries(auto)) {
    const cur = items[id];
    if (cur && cur.source === 'manual' && cur.state !== 'open') continue;
    if (cur && cur.state === value.state && cur.reason === value.reason) continue;
    items[id] = { state: value.state, source: 'auto', reason: value.reason, updatedAt: at, ...(cur?.note === undefined ? {} : { note: cur.note }) };
    if (cur?.state !== value.state) changed.push(id);
  }
  return { items, changed };
}

export function checklistProgress(items: Readonly<Record<string, ChecklistItemState>>): { done: number; total: number; failed: number } {
  let done = 0;
  let failed = 0;
  for (const id of CHECKLIST_ITEM_IDS) {
    const s = items[id]?.state ?? 'open';
    if (s !== 'open') done++;
    if (s === 'fail') failed++;
  }
  return { done, total: CHECKLIST_ITEM_IDS.length, failed };
}
