/** Writes the report in every format the command line asked for. */
import { writeFile } from 'node:fs/promises';
import type { ReportV1 } from '../lib/report/types.ts';
import { renderHtmlReport } from '../lib/report/render-html.ts';
import { renderMarkdownReport } from '../lib/report/render-markdown.ts';
import type { CliIo } from './main.ts';

export async function writeReportOutputs(report: ReportV1, flags: Map<string, string>, io: CliIo): Promise<void> {
  const outputs: [string, () => string][] = [
    ['--json', () => `${JSON.stringify(report, null, 2)}\n`],
    ['--html', () => renderHtmlReport(report)],
    ['--md', () => renderMarkdownReport(report)],
  ];
  for (const [flag, render] of outputs) {
    const path = flags.get(flag);
    if (path === undefined) continue;
    const text = render();
    if (path === '-') io.stdout(text);
    else await writeFile(path, text);
  }
}
