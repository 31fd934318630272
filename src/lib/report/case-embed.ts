/**
 * The report's JSON inside its HTML page, so an HTML report can be imported and verified like the
 * JSON one: `<script type="application/json" id="model-sleuth-report">…</script>`. A JSON data
 * block is never executed (HTML §4.12.1.1: a script element whose type is not a JavaScript MIME type
 * is a data block), so the page keeps its script-free CSP (`default-src 'none'`).
 *
 * Inside the block, "<", ">", "&", U+2028 and U+2029 are written as JSON \u escapes: the text can
 * then never contain "</script" or "<!--" (which would end or confuse the element), and it parses
 * to exactly the same value. It is read back from the file's text with a regular expression — never
 * through a DOM parser — and parsed with the strict JSON reader.
 */
export const EMBED_ID = 'model-sleuth-report';

export function embedJsonBlock(doc: unknown): string {
  const json = JSON.stringify(doc, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<script type="application/json" id="${EMBED_ID}">\n${json}\n</script>`;
}

/** The embedded JSON text of an exported HTML report, or undefined when it has none. */
export function extractEmbeddedJson(htmlText: string): string | undefined {
  const m = new RegExp(`<script type="application/json" id="${EMBED_ID}">\\n([\\s\\S]*?)\\n</script>`).exec(htmlText);
  return m?.[1];
}

/** The HTML page without its embedded block (what the renderer produced around it). */
export function withoutEmbeddedJson(htmlText: string): string {
  return htmlText.replace(new RegExp(`<script type="application/json" id="${EMBED_ID}">\\n[\\s\\S]*?\\n</script>\\n?`), '');
}
