/**
 * The finding shape this layer produces: a report Finding without its id, plus the `effect` that
 * drives the verdict — exactly build-report.ts's DraftFinding, so the assembler can append these
 * to its drafts unchanged. Precedence of effects: malicious > tampered > inconclusive > precision
 * > none (REPORT.md "Verdict precedence").
 */
import type { Finding } from '../../report/types.ts';

export type SidecarEffect = 'malicious' | 'tampered' | 'inconclusive' | 'precision' | 'none';

export interface SidecarFinding extends Omit<Finding, 'id'> {
  effect: SidecarEffect;
}

/** Entries listed in one finding's details; past this only `count` grows and `truncated` is set. */
export const MAX_LISTED = 1000;

/** Entries named in one finding's message before "… and N more". */
export const MAX_NAMED_IN_MESSAGE = 3;
