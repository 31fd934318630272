/** Self-contained HTML report (placeholder: replaced by the full renderer). */
import type { ReportV1 } from './types.ts';
import { escapeHtml } from './escape.ts';

export function renderHtmlReport(report: ReportV1): string {
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>Model Sleuth report</title><h1>${escapeHtml(report.verdict.status)}</h1><p>${escapeHtml(report.verdict.summary)}</p>`;
}
