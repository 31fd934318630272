/** Writes the report in every format the command line asked for. */
import { writeFile } from 'node:fs/promises';
import type { ReportV1 } from '../lib/report/types.ts';
import { renderHtmlReport } from '../lib/report/render-html.ts';
import { renderMarkdownReport } from '../lib/report/render-markdown.ts';
import { comparisonToSarif } from '../lib/report/sarif.ts';
import type { CliIo } from './main.ts';

export async function writeReportOutputs(report: ReportV1, flags: Map<string, string>, io: CliIo): Promise<void> {
  const outputs: [string, () => string][] = [
    ['--json', () => `${JSON.stringify(report, null, 2)}\n`],
    // The HTML embeds the report JSON (a data block, never executed) so it can be imported and checked.
    ['--html', () => renderHtmlReport(report, { embedJson: true })],
    ['--md', () => renderMarkdownReport(report)],
    // case file (issue 6): SARIF 2.1.0 for CI code scanning
    ['--sarif', () => `${JSON.stringify(comparisonToSarif(report), null, 2)}\n`],
  ];
  for (const [flag, render] of outputs) {
    const path = flags.get(flag);
    if (path === undefined) continue;
    const text = render();
    if (path === '-') io.stdout(text);
    else await writeFile(path, text);
  }
}
