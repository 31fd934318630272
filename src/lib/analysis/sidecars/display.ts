/**
 * Plain-text forms of model-derived strings for messages. Tokens, template snippets and JSON keys
 * are hostile: they may hold newlines, bidi overrides that reorder what a reader sees ("Trojan
 * Source", CVE-2021-42574), zero-width or Unicode tag characters (invisible prompt smuggling), or
 * HTML. Messages carry them with every such character written as a visible escape; details keep
 * the raw value (renderers escape it again for their medium — see ../../report/escape.ts).
 */

/** Characters shown as \u{…}: format (Cf) characters — bidi controls, zero-width characters,
 *  BOM, Unicode tag characters — line/paragraph separators, Hangul fillers, the Mongolian vowel
 *  separator and variation selectors (used to smuggle invisible payloads). */
const INVISIBLE_CHAR = /^[\p{Cf}\u2028\u2029\u180e\u3164\u115f\u1160\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).toUpperCase().padStart(width, '0');
}

/** `s` with controls as \n \r \t \xNN, invisible characters and lone surrogates as \u{XXXX},
 *  and "\" as "\\" (so an escape in the output always means an escape). */
export function visible(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${hex(c, 2)}`;
    else if (c >= 0xd800 && c <= 0xdbff && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      const cp = s.codePointAt(i) ?? c;
      const ch = String.fromCodePoint(cp);
      out += INVISIBLE_CHAR.test(ch) ? `\\u{${hex(cp, 4)}}` : ch;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `\\u{${hex(c, 4)}}`;
    else {
      const ch = s[i] ?? '';
      out += INVISIBLE_CHAR.test(ch) ? `\\u{${hex(c, 4)}}` : ch;
    }
  }
  return out;
}

/** Whether `s` holds a character `visible` would escape as invisible (not counting \n, \t). */
export function hasInvisible(s: string): boolean {
  return /[\p{Cf}\u2028\u2029\u180e\u3164\u115f\u1160\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u.test(s);
}

/** Middle-clipped on code points (both ends of a string are telling). */
export function clipMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${cps.slice(0, head).join('')}…${tail > 0 ? cps.slice(cps.length - tail).join('') : ''}`;
}

/** 'token' for a message: clipped, escaped, single-quoted (an inner ' is written \'). */
export function quote(s: string, max = 80): string {
  return `'${visible(clipMiddle(s, max)).replaceAll("'", "\\'")}'`;
}

/** "a, b and c" / "a, b, c and 7 more". */
export function listWords(items: readonly string[], total = items.length, named = 3): string {
  const shown = items.slice(0, named);
  const more = total - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more.toLocaleString('en-US')} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1] ?? ''}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
