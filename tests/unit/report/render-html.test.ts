import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DETAIL_SECTIONS, MAX_TABLE_ROWS, REPORT_CSP, renderHtmlReport } from '../../../src/lib/report/render-html.ts';
import { renderDeltaHistogram } from '../../../src/lib/report/svg/histogram.ts';
import { parseLayerName } from '../../../src/lib/report/svg/model-layout.ts';
import { validateReport } from '../../../src/lib/report/validate.ts';
import { demoReport } from './demo-report.ts';
import { bigModel, delta, hist, HOSTILE, hostileReport, LONG_NAME, report, tensor } from './synthetic-report.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const TAGS = new Set(
  'html head meta title style body header main section nav a h1 h2 h3 h4 p dl dt dd div span table thead tbody tr th td code ul li details summary figure figcaption article footer b br wbr svg g rect text line path defs lineargradient stop'.split(' '),
);
const ATTRIBUTES = new Set(
  'lang charset http-equiv content name id class href title role aria-label data-testid data-status style open viewbox width height x y x1 x2 y1 y2 d fill fill-opacity stroke stroke-width stroke-dasharray font-size font-weight text-anchor offset stop-color'.split(' '),
);

/**
 * Every raw "<" of the document must open an allowed tag whose attributes are all allowed, quoted,
 * free of script URLs, and whose links stay inside the page. (All text is escaped, so a "<" that
 * is not one of our tags would be an injection.) Returns the problems found.
 */
function scanMarkup(doc: string): string[] {
  const problems: string[] = [];
  const styleOpen = doc.indexOf('<style>');
  const styleClose = doc.indexOf('</style>');
  if (styleOpen < 0 || styleClose < styleOpen || doc.indexOf('</style', styleClose + 1) >= 0) problems.push('exactly one <style> element expected');
  const css = doc.slice(styleOpen + '<style>'.length, styleClose);
  if (/[<]|@import|url\(/i.test(css)) problems.push('style sheet must not contain "<", @import or url()');
  const body = doc.slice(0, styleOpen + '<style>'.length) + doc.slice(styleClose);
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*(?:="[^"<]*")?)*)\s*\/?>/y;
  for (let at = body.indexOf('<'); at >= 0; at = body.indexOf('<', at + 1)) {
    if (body.startsWith('<!doctype html>', at)) continue;
    tag.lastIndex = at;
    const m = tag.exec(body);
    if (!m) {
      problems.push(`stray "<" at ${at}: ${JSON.stringify(body.slice(at, at + 60))}`);
      continue;
    }
    const name = (m[2] ?? '').toLowerCase();
    if (!TAGS.has(name)) problems.push(`tag <${name}>`);
    for (const a of (m[3] ?? '').matchAll(/\s+([a-zA-Z][a-zA-Z0-9:-]*)(?:="([^"]*)")?/g)) {
      const attr = (a[1] ?? '').toLowerCase();
      const value = a[2] ?? '';
      if (!ATTRIBUTES.has(attr)) problems.push(`attribute ${attr} on <${name}>`);
      if (/^\s*javascript:/i.test(value)) problems.push(`script URL in ${attr}`);
      if (attr === 'href' && !value.startsWith('#')) problems.push(`link out of the page: ${value}`);
      if (attr === 'style' && !/^background:#[0-9a-f]{6}$/.test(value)) problems.push(`style="${value}"`);
      if (attr === 'fill' && value.startsWith('url(') && !/^url\(#[\w-]+\)$/.test(value)) problems.push(`fill="${value}"`);
    }
  }
  return problems;
}

/** What must never appear in a report page, whatever the input. */
function assertInert(doc: string): void {
  expect(doc).not.toMatch(/<script/i);
  expect(doc).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  expect(doc).not.toMatch(/(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(?:javascript:|https?:|\/\/)/i);
  expect(doc).not.toMatch(/url\(\s*["']?\s*(?:https?:|\/\/)/i);
  expect(doc).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP.replace(/'/g, '&#39;')}">`);
  expect(scanMarkup(doc)).toEqual([]);
}

describe('renderHtmlReport on the demo case', () => {
  it('is a script-free page with a strict CSP, no external references, and content in the promised order', async () => {
    const doc = renderHtmlReport(await demoReport());
    assertInert(doc);
    expect(doc).not.toMatch(/https?:|\/\/[a-z]/i);
    const order = ['data-testid="verdict"', 'id="findings"', 'id="inputs"', 'id="tensors"', 'id="details"', 'id="notes"', 'id="about"'].map((s) => doc.indexOf(s));
    expect(order.every((x) => x > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('says the verdict in words, first and large', async () => {
    const doc = renderHtmlReport(await demoReport());
    expect(doc).toMatch(/<section class="verdict v-tampered" id="verdict" data-testid="verdict">\s*<div class="status">tampered<\/div>\s*<h1>The suspect model was modified<\/h1>/);
  });

  it('details every changed tensor: edit kind, numbers, labelled flipped bits, histogram and top rows', async () => {
    const doc = renderHtmlReport(await demoReport());
    expect(doc.match(/<article class="tensor"/g)).toHaveLength(3);
    const flips = doc.slice(doc.indexOf('<article class="tensor" id="t1">'), doc.indexOf('<article class="tensor" id="t2">'));
    expect(flips).toContain('o_<wbr>proj.<wbr>weight</code></h3>');
    expect(flips).toContain('<span class="badge edit">sparse edit</span>');
    expect(flips).toContain('<span class="bits f-exponent">exponent 30</span>');
    expect(flips).toContain('≥4096');
    expect(doc).toContain('<span class="bits f-sign">sign 31</span>'); // rewritten embedding rows flip signs too
    expect(doc).toContain('<svg class="chart histogram"');
    expect(doc).toContain('<svg class="chart bars"');
    expect(doc).toContain('<svg class="chart heatmap"');
    expect(doc).toContain('72 tensors are bit-identical');
  });

  it('links changed heatmap cells to their detail sections', async () => {
    const doc = renderHtmlReport(await demoReport());
    const ids = [...doc.matchAll(/<article class="tensor" id="(t\d+)"/g)].map((m) => m[1]);
    for (const id of ids) expect(doc).toContain(`<a href="#${id}"><rect`);
  });
});

describe('renderHtmlReport with hostile strings from model files', () => {
  const r = hostileReport();
  const doc = renderHtmlReport(r);

  it('uses a schema-valid hostile report', () => {
    expect(validateReport(JSON.parse(JSON.stringify(r)))).toEqual({ ok: true });
  });

  it('leaves nothing executable and nothing external', () => {
    assertInert(doc);
    for (const s of ['<script>', '<img src=x', '<svg onload', '</style><script>', '<iframe']) expect(doc).not.toContain(s);
    expect(doc).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('shows invisible and direction-changing characters instead of obeying them', () => {
    expect(doc).not.toMatch(/[\u2028\u2029\u202e]/);
    expect(doc).toContain('<span class="cc">U+202E</span>');
    expect(doc).toContain('⟨U+2028⟩'); // in SVG titles and attributes
  });

  it('clips very long names for display', () => {
    expect(doc).not.toContain(LONG_NAME);
    expect(doc.length).toBeLessThan(600_000);
    expect(doc).toMatch(/…\[\d{1,3}(,\d{3})* characters\]…/);
  });

  it.skipIf(!existsSync(CHROMIUM))('is inert in a real browser, and every hostile string reads back as text', async () => {
    const { chromium } = await import('playwright');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const events: string[] = [];
      page.on('dialog', (d) => {
        events.push(`dialog ${d.message()}`);
        void d.dismiss();
      });
      page.on('request', (q) => {
        if (!q.url().startsWith('data:') && q.url() !== 'about:blank') events.push(`request ${q.url()}`);
      });
      await page.setContent(doc, { waitUntil: 'load' });
      const dom = await page.evaluate(() => {
        const all = [...document.querySelectorAll('*')];
        return {
          scripts: document.scripts.length,
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${e.tagName} ${a.name}`)),
          links: all.flatMap((e) => ['href', 'src', 'xlink:href', 'action'].map((n) => e.getAttribute(n)).filter((v): v is string => v !== null && !v.startsWith('#'))),
          iframes: document.querySelectorAll('iframe, object, embed, img, image, foreignObject').length,
          csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'),
          text: document.body.textContent ?? '',
          title: document.title,
        };
      });
      expect(events).toEqual([]);
      expect(dom.scripts).toBe(0);
      expect(dom.handlers).toEqual([]);
      expect(dom.links).toEqual([]);
      expect(dom.iframes).toBe(0);
      expect(dom.csp).toBe(REPORT_CSP);
      for (const s of HOSTILE.filter((x) => !/[\u2028\u2029\u202e]/.test(x))) expect(dom.text).toContain(s);
      expect(dom.title).toContain('TAMPERED');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('renderHtmlReport at scale', () => {
  it('keeps a 1,000-tensor model with three changes short: identical tensors collapse into one line', () => {
    const r = bigModel(111, (n) => (['model.layers.7.mlp.up_proj.weight', 'model.layers.70.self_attn.v_proj.weight', 'lm_head.weight'].includes(n) ? 'modified' : 'identical'));
    expect(r.tensors.length).toBe(1002);
    const doc = renderHtmlReport(r);
    assertInert(doc);
    expect(doc.match(/<article class="tensor"/g)).toHaveLength(3);
    expect(doc).toContain('999 tensors are bit-identical');
    expect(doc.match(/<tr data-status=/g)).toHaveLength(3);
    // Heatmap: one column per layer (111), one row per module (9), three tensors outside the stack.
    expect(doc).toContain('model.layers · layers 0–110');
    expect(doc).toContain('Outside the layer stack');
    expect(doc.length).toBeLessThan(800_000);
  });

  it('bounds detail sections and table rows when everything changed', () => {
    const r = bigModel(111, () => 'modified');
    const doc = renderHtmlReport(r);
    assertInert(doc);
    expect(doc.match(/<article class="tensor"/g)).toHaveLength(MAX_DETAIL_SECTIONS);
    expect(doc).toContain(`The ${MAX_DETAIL_SECTIONS} most telling of 1,002 changed tensors`);
    expect(doc).toContain(`${(1002 - MAX_TABLE_ROWS).toLocaleString('en-US')} more changed tensors`);
    expect(doc).toContain(`${(1002 - MAX_TABLE_ROWS).toLocaleString('en-US')} more findings`);
    expect(doc.length).toBeLessThan(3_000_000);
  });
});

describe('renderHtmlReport for every status and verdict', () => {
  it('explains added, removed, reshaped and not-compared tensors, and groups rounding-only casts', () => {
    const rounding = tensor('model.layers.0.mlp.up_proj.weight', 'dtype-changed', { delta: delta({ edit: { kind: 'precision', confidence: 0.99 } }) });
    const r = report(
      [
        tensor('model.layers.0.mlp.down_proj.weight', 'added'),
        tensor('model.layers.1.mlp.down_proj.weight', 'removed'),
        tensor('model.layers.2.mlp.down_proj.weight', 'shape-changed', { notCompared: 'shapes differ' }),
        tensor('model.layers.3.mlp.down_proj.weight', 'modified', { notCompared: 'unsupported_dtype: I4' }),
        rounding,
      ],
      { verdict: { status: 'inconclusive', summary: 'could not read everything', reasons: [] } },
    );
    r.tensors[3] = { ...(r.tensors[3] as (typeof r.tensors)[number]) };
    delete r.tensors[3]?.delta;
    const doc = renderHtmlReport(r);
    assertInert(doc);
    expect(doc).toContain('class="verdict v-inconclusive"');
    expect(doc).toContain('Not everything could be checked');
    expect(doc).toContain('This tensor exists only in the suspect');
    expect(doc).toContain('This tensor is missing from the suspect');
    expect(doc).toContain('Values were not compared: shapes differ.');
    expect(doc).toContain('Values were not compared: unsupported_dtype: I4.');
    expect(doc).toContain('1 tensor differ only by rounding (F32 → BF16)');
    expect(doc.match(/<article class="tensor"/g)).toHaveLength(4);
  });

  it('renders an empty comparison', () => {
    const doc = renderHtmlReport(report([], { verdict: { status: 'clean', summary: 'no tensors', reasons: [] } }));
    assertInert(doc);
    expect(doc).toContain('No difference found');
    expect(doc).toContain('No changed tensors');
  });

  it('does not crash on an imported report with values this version does not know', () => {
    const r = report([tensor('x.weight', 'modified')]);
    (r.verdict as { status: string }).status = '<script>alert(1)</script>';
    (r.tensors[0] as { status: string }).status = '"><script>';
    const doc = renderHtmlReport(r);
    assertInert(doc);
    expect(doc).toContain('Unknown verdict');
  });
});

describe('charts', () => {
  it('parses layer positions from Hugging Face and GGUF names', () => {
    expect(parseLayerName('model.layers.3.self_attn.o_proj.weight')).toEqual({ stack: 'model.layers', layer: 3, module: 'self_attn.o_proj' });
    expect(parseLayerName('model.layers.3.self_attn.o_proj.bias')).toEqual({ stack: 'model.layers', layer: 3, module: 'self_attn.o_proj.bias' });
    expect(parseLayerName('blk.12.attn_q.weight')).toEqual({ stack: 'blk', layer: 12, module: 'attn_q' });
    expect(parseLayerName('transformer.h.0.attn.c_attn.weight')).toEqual({ stack: 'transformer.h', layer: 0, module: 'attn.c_attn' });
    expect(parseLayerName('model.layers.5.mlp.experts.17.up_proj.weight')).toEqual({ stack: 'model.layers', layer: 5, module: 'mlp.experts.*.up_proj' });
    expect(parseLayerName('model.embed_tokens.weight')).toBeNull();
    expect(parseLayerName('lm_head.weight')).toBeNull();
    expect(parseLayerName('0.weight')).toBeNull();
  });

  it('draws the delta histogram over |Δ| with the sign folded, and labels the overflow bin', () => {
    const chart = renderDeltaHistogram({ delta: hist({ 63: 2, 127: 1 }), weights: hist({ 45: 100, 109: 90 }) });
    const text = chart?.value ?? '';
    expect(text).toContain('3 changed elements with |Δ| ≥ 4096 or infinite');
    expect(text).toContain('≥4096');
    expect(text).toContain('magnitudes of the known-good weights');
    expect(renderDeltaHistogram({ delta: hist({}) })).toBeNull();
    expect(renderDeltaHistogram({ delta: [1, 2, 3] })).toBeNull();
  });

  it('places a rounding-sized delta left of the weights', () => {
    // bin 27: 2^-24 ≤ |Δ| < 2^-23, bin 45: 2^-6 ≤ |w| < 2^-5.
    const text = renderDeltaHistogram({ delta: hist({ 27: 1000 }), weights: hist({ 45: 1000 }) })?.value ?? '';
    expect(text).toContain('1,000 changed elements with 2^-24 ≤ |Δ| &lt; 2^-23');
    expect(text).toContain('10⁻⁷');
  });
});
