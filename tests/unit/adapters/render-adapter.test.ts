/**
 * The adapter section of the HTML and Markdown reports: the numbers and marks a reader needs, and
 * hostile strings from the adapter (label, module and tensor names, config values, notes) shown as
 * text, never as markup.
 */
import { describe, expect, it } from 'vitest';
import { renderAdapterMarkdown, renderAdapterSection, ratioText } from '../../../src/lib/report/render-adapter.ts';
import { renderHtmlReport } from '../../../src/lib/report/render-html.ts';
import type { AdapterReport } from '../../../src/lib/report/types.ts';
import { HEX_A, report, tensor } from '../report/synthetic-report.ts';

const EVIL = '<img src=x onerror=alert(1)>|`**x**`';

function adapter(over: Partial<AdapterReport> = {}): AdapterReport {
  return {
    label: `lora ${EVIL}`,
    files: [{ path: `adapter_model.safetensors${EVIL}`, size: 10, sha256: HEX_A, format: 'safetensors', role: 'adapter-weights' }],
    format: 'peft',
    type: 'LORA',
    supported: true,
    baseModel: `base ${EVIL}`,
    rank: 4,
    alpha: 8,
    scale: 2,
    scaleRule: 'lora_alpha / r = 8 / 4',
    targetModules: [`q_proj${EVIL}`],
    layers: [1, 2, 3, 7],
    residualThreshold: 0.05,
    targets: [
      { tensor: `model.layers.1.q_proj.weight${EVIL}`, module: 'm', rank: 4, scale: 2, scaleRule: 'r', status: 'explained', residualRatio: 0.0012, deltaNorm: 0.5, elementsBeyondRounding: 0 },
      { tensor: 'model.layers.2.q_proj.weight', module: 'm2', rank: 4, scale: 2, scaleRule: 'r', status: 'mismatch', residualRatio: 1.41, deltaNorm: 0.7, fittedScale: 0.01, fittedResidualRatio: 0.99 },
      { tensor: null, module: `unet:0${EVIL}`, rank: 1, scale: null, scaleRule: 'fitted', status: 'missing', reason: `no such ${EVIL}` },
    ],
    unexplained: [`model.layers.2.q_proj.weight`, `extra${EVIL}`],
    notMerged: [],
    allChangesExplained: false,
    notes: [`a note ${EVIL}`],
    ...over,
  };
}

describe('adapter section', () => {
  it('HTML: marks, ratios, layers as ranges, and every adapter string escaped', () => {
    const html = renderHtmlReport(report([tensor('model.layers.2.q_proj.weight', 'modified')], { adapter: adapter() }));
    expect(html).toContain('<section id="adapter">');
    expect(html).toContain('✓ explained');
    expect(html).toContain('✗ not explained');
    expect(html).toContain('141 %');
    expect(html).toContain('0.12 %');
    expect(html).toContain('layers 1–3, 7');
    expect(html).not.toMatch(/<img/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(renderAdapterSection(report([])).value).toBe('');
  });

  it('Markdown: a table whose cells cannot be split or formatted by adapter strings', () => {
    const md = renderAdapterMarkdown(report([], { adapter: adapter() })).join('\n');
    expect(md).toContain('## Adapter audit');
    expect(md).toMatch(/\| ✓ explained \| 0\.12 % \|/);
    // Code spans hold names verbatim (inert in Markdown); outside them nothing is markup.
    expect(md.replace(/(`+)[^`][\s\S]*?[^`]\1(?!`)/g, '')).not.toMatch(/(?<!\\)<img/);
    expect(md).toContain('\\<img');
    for (const line of md.split('\n').filter((l) => l.startsWith('| `'))) expect(line.split(/(?<!\\)\|/).length).toBe(8);
    expect(renderAdapterMarkdown(report([]))).toEqual([]);
  });

  it('ratios above 100 % stay readable', () => {
    expect([ratioText(0), ratioText(3e-7), ratioText(0.0312), ratioText(1.414), ratioText(250)]).toEqual(['0 %', '3.0e-5 %', '3.1 %', '141 %', '2.5e4 %']);
  });
});
