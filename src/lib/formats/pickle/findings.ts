/**
 * Security findings the pure readers hand to the report layer (ZIP anomalies, pickle globals and
 * anomalies). Plain data; the kinds and severities are the report's own (REPORT.md "Finding
 * kinds"), so the lead's assembly maps them one to one.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export type SecurityFindingKind = 'unsafe-pickle-global' | 'pickle-anomaly' | 'zip-anomaly';

export interface SecurityFinding {
  kind: SecurityFindingKind;
  severity: Severity;
  /** Stable machine-readable reason ("posix.system", "stack-not-empty", "duplicate-name" …). */
  code: string;
  /** For pickle globals: the module and name as written in the pickle. */
  module?: string;
  name?: string;
  /** The file (ByteSource path) and, inside an archive, the member. */
  file: string;
  member?: string;
  /** Absolute byte offset in `file` (first occurrence). */
  offset: number;
  message: string;
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function maxSeverity(findings: readonly { severity: Severity }[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (best === undefined || RANK[f.severity] > RANK[best]) best = f.severity;
  return best;
}
