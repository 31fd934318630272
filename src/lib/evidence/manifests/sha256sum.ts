/**
 * sha256sum checksum files (GNU coreutils `sha256sum` / `sha256sum -c`), both ways.
 *
 * Written: "<64 hex>  <name>\n" (two spaces: text mode, as `sha256sum` prints on GNU systems). A
 * name holding a backslash, LF or CR is escaped as coreutils ≥ 9 does — the line starts with "\"
 * and the name has "\\", "\n", "\r" — so `sha256sum -c` reads back exactly the name written.
 *
 * Read: the text form ("hex  name"), the binary form ("hex *name"), the escaped form above, and
 * BSD tags ("SHA256 (name) = hex", `sha256sum --tag`); CRLF line ends; "#" comment lines and blank
 * lines. Every other line is reported as a problem with its line number, never silently skipped.
 *
 * Names are data. A verifier looks each name up among the files it enumerated itself and never
 * opens a path taken from a manifest ("../../etc/passwd" is just a name no model file has).
 */

export interface ChecksumEntry {
  /** The file name exactly as written (after unescaping). */
  path: string;
  sha256: string;
  /** '*' marker: the file was read in binary mode (no difference on POSIX systems). */
  binary: boolean;
  /** 1-based line in the checksum file. */
  line: number;
}

export interface ChecksumProblem {
  line: number;
  message: string;
}

export interface ParsedChecksums {
  entries: ChecksumEntry[];
  problems: ChecksumProblem[];
}

/** Lines longer than this are not checksum lines (a name of 64 KiB is already absurd). CWE-770. */
export const MAX_CHECKSUM_LINE_CHARS = 65_536;
/** Entries per checksum file: a model has at most MAX_FILES_PER_MODEL files; 100k leaves room for whole repos. */
export const MAX_CHECKSUM_ENTRIES = 100_000;

const HEX64 = /^[0-9a-fA-F]{64}$/;

function escapeName(name: string): { escaped: boolean; text: string } {
  if (!/[\\\n\r]/.test(name)) return { escaped: false, text: name };
  return { escaped: true, text: name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r') };
}

function unescapeName(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else return undefined;
  }
  return out;
}

/** One "hex  name" line (with its newline). */
export function formatChecksumLine(sha256: string, path: string): string {
  const { escaped, text } = escapeName(path);
  return `${escaped ? '\\' : ''}${sha256.toLowerCase()}  ${text}\n`;
}

/** A whole checksums.sha256 file, in the order given. */
export function formatChecksums(entries: readonly { path: string; sha256: string }[]): string {
  return entries.map((e) => formatChecksumLine(e.sha256, e.path)).join('');
}

export function parseChecksums(text: string): ParsedChecksums {
  const entries: ChecksumEntry[] = [];
  const problems: ChecksumProblem[] = [];
  // A UTF-8 BOM from a Windows editor is not part of the first hash.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, rawLine] of lines.entries()) {
    const lineNo = i + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line.length > MAX_CHECKSUM_LINE_CHARS) {
      problems.push({ line: lineNo, message: `line ${lineNo} is ${line.length.toLocaleString('en-US')} characters long (more than ${MAX_CHECKSUM_LINE_CHARS.toLocaleString('en-US')}); not a checksum line` });
      continue;
    }
    if (entries.length >= MAX_CHECKSUM_ENTRIES) {
      problems.push({ line: lineNo, message: `more than ${MAX_CHECKSUM_ENTRIES.toLocaleString('en-US')} entries; the rest of the file was not read` });
      break;
    }
    const entry = parseLine(line, lineNo);
    if (typeof entry === 'string') problems.push({ line: lineNo, message: `line ${lineNo}: ${entry}` });
    else entries.push(entry);
  }
  return { entries, problems };
}

function parseLine(line: string, lineNo: number): ChecksumEntry | string {
  const tag = /^(\\?)SHA256 \((.*)\) = ([0-9a-fA-F]+)$/.exec(line);
  if (tag) {
    const hex = tag[3] ?? '';
    if (!HEX64.test(hex)) return `the SHA-256 digest has ${hex.length} hex digits, not 64`;
    const name = tag[1] ? unescapeName(tag[2] ?? '') : tag[2];
    if (name === undefined) return 'the escaped file name has an unknown escape sequence';
    return { path: name, sha256: hex.toLowerCase(), binary: true, line: lineNo };
  }
  if (/^\\?(SHA\d+|MD5|BLAKE2b|SM3)(-\d+)? \(/.test(line)) return `a ${line.replace(/^\\/, '').split(' ')[0] ?? ''} tag line; only SHA256 digests are read`;
  const escaped = line.startsWith('\\');
  const rest = escaped ? line.slice(1) : line;
  const hex = rest.slice(0, 64);
  if (!HEX64.test(hex)) {
    const word = /^[0-9a-fA-F]+/.exec(rest)?.[0] ?? '';
    return word.length > 0 && word.length !== 64 ? `the digest has ${word.length} hex digits, not the 64 of SHA-256` : 'not "<sha256>  <file name>"';
  }
  const sep = rest.slice(64, 66);
  if (sep !== '  ' && sep !== ' *') return 'the digest must be followed by two spaces (text mode) or " *" (binary mode) and the file name';
  const rawName = rest.slice(66);
  if (rawName === '') return 'no file name after the digest';
  const name = escaped ? unescapeName(rawName) : rawName;
  if (name === undefined) return 'the escaped file name has an unknown escape sequence (only \\\\, \\n and \\r exist)';
  return { path: name, sha256: hex.toLowerCase(), binary: sep === ' *', line: lineNo };
}

/**
 * The name a checksum entry most likely means relative to the model folder: "./" prefixes dropped
 * (what `sha256sum ./x` writes). Nothing else is normalised — "a/../b" stays as it is and simply
 * matches no enumerated file.
 */
export function entryLookupPath(path: string): string {
  return path.replace(/^(\.\/)+/, '');
}
