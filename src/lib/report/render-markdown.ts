/** Markdown report for tickets (placeholder: replaced by the full renderer). */
import type { ReportV1 } from './types.ts';

export function renderMarkdownReport(report: ReportV1): string {
  return `# Model Sleuth report\n\n**Verdict: ${report.verdict.status}** — ${report.verdict.summary}\n`;
}
