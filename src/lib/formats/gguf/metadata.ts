/**
 * Typed access to GGUF metadata and a bounded text summary of it for reports.
 *
 * The spec recommends that readers accept both u32 and u64 for counts ("some models may use uint32
 * for their values"), so the integer accessors accept any integer type.
 */
import type { GgufArray, GgufFile, GgufStringTable, GgufValue } from './parse-gguf.ts';

export function ggufValue(file: GgufFile, key: string): GgufValue | undefined {
  return file.metadata.get(key)?.value;
}

export function ggufString(file: GgufFile, key: string): string | undefined {
  const v = ggufValue(file, key);
  return v?.type === 'str' ? v.value : undefined;
}

/** Any integer-typed value as a number (undefined when absent, not an integer, or beyond 2^53). */
export function ggufInteger(file: GgufFile, key: string): number | undefined {
  const v = ggufValue(file, key);
  if (v === undefined) return undefined;
  switch (v.type) {
    case 'u8':
    case 'i8':
    case 'u16':
    case 'i16':
    case 'u32':
    case 'i32':
      return v.value;
    case 'u64':
    case 'i64':
      return v.value <= BigInt(Number.MAX_SAFE_INTEGER) && v.value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v.value) : undefined;
    default:
      return undefined;
  }
}

export function ggufNumber(file: GgufFile, key: string): number | undefined {
  const v = ggufValue(file, key);
  if (v?.type === 'f32' || v?.type === 'f64') return v.value;
  return ggufInteger(file, key);
}

export function ggufArray(file: GgufFile, key: string): GgufArray | undefined {
  const v = ggufValue(file, key);
  return v?.type === 'arr' ? v.value : undefined;
}

export function ggufStringArray(file: GgufFile, key: string): GgufStringTable | undefined {
  const a = ggufArray(file, key);
  return a?.elementType === 'str' ? a.values : undefined;
}

/** `tokenizer.ggml.tokens`: the token strings, in id order (embedding row i is token i). */
export function ggufTokens(file: GgufFile): GgufStringTable | undefined {
  return ggufStringArray(file, 'tokenizer.ggml.tokens');
}

export function ggufArchitecture(file: GgufFile): string | undefined {
  return ggufString(file, 'general.architecture');
}

const MAX_SUMMARY_CHARS = 200;
const MAX_SUMMARY_ITEMS = 8;

/** One value as short text: scalars as written, arrays as `str[32000] ["<unk>", "<s>", …]`. */
export function describeGgufValue(v: GgufValue, maxChars = MAX_SUMMARY_CHARS): string {
  switch (v.type) {
    case 'str':
      return clip(v.value, maxChars);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'u64':
    case 'i64':
      return v.value.toString();
    case 'arr':
      return clip(describeArray(v.value), maxChars);
    default:
      return String(v.value);
  }
}

function describeArray(a: GgufArray): string {
  const shown: string[] = [];
  const n = Math.min(a.length, MAX_SUMMARY_ITEMS);
  for (let i = 0; i < n; i++) {
    switch (a.elementType) {
      case 'str':
        shown.push(JSON.stringify(clip(a.values.get(i), 40)));
        break;
      case 'arr': {
        const inner = a.values[i];
        shown.push(inner === undefined ? '?' : `${inner.elementType}[${inner.length}]`);
        break;
      }
      case 'bool':
        shown.push(a.values[i] === 1 ? 'true' : 'false');
        break;
      default:
        shown.push(String(a.values[i]));
    }
  }
  return `${a.elementType}[${a.length}] [${shown.join(', ')}${a.length > n ? ', …' : ''}]`;
}

/** Every key as short text, for `ModelManifest.metadata` (arrays summarised, never expanded). */
export function ggufMetadataSummary(file: GgufFile): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, entry] of file.metadata) out[key] = describeGgufValue(entry.value);
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
