/**
 * Cheap format detection from a file's first bytes (and, as a tie-breaker, its name). Never parses
 * beyond the first few bytes; readers validate everything afterwards.
 *
 * It also recognises the files that commonly masquerade as models: a Git LFS pointer committed or
 * downloaded instead of the real bytes, and an HTML error page saved under a model's name.
 */
import { sniffSafetensors } from './safetensors/parse-safetensors.ts';
import type { FileFormat } from './manifest.ts';

export const SNIFF_BYTES = 64;

export type SniffResult =
  | { kind: 'format'; format: FileFormat }
  | { kind: 'empty' }
  | { kind: 'git-lfs-pointer'; oid?: string }
  | { kind: 'html' }
  | { kind: 'unknown' };

const LFS_PREFIX = 'version https://git-lfs.github.com/spec/';

export function sniffFormat(head: Uint8Array, fileSize: number, path: string): SniffResult {
  if (fileSize === 0) return { kind: 'empty' };
  const text = latin1(head.subarray(0, Math.min(head.byteLength, SNIFF_BYTES)));
  if (text.startsWith(LFS_PREFIX)) return { kind: 'git-lfs-pointer' };
  // `text` is Latin-1, so a UTF-8 byte-order mark reads as "\xEF\xBB\xBF", not U+FEFF.
  const trimmed = text.replace(/^(?:\uFEFF|\xEF\xBB\xBF)?[\s]*/, '').toLowerCase();
  if (trimmed.startsWith('<!doctype html') || trimmed.startsWith('<html') || trimmed.startsWith('<head') || trimmed.startsWith('<!--')) return { kind: 'html' };

  const name = path.toLowerCase();
  if (head.byteLength >= 4 && text.startsWith('GGUF')) return { kind: 'format', format: 'gguf' };
  if (head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) {
    return { kind: 'format', format: name.endsWith('.npz') ? 'npz' : 'pytorch-zip' };
  }
  if (head.byteLength >= 6 && head[0] === 0x93 && text.startsWith('NUMPY', 1)) return { kind: 'format', format: 'npy' };
  if (sniffSafetensors(head, fileSize)) return { kind: 'format', format: 'safetensors' };
  // Legacy torch.save: a pickle whose first object is the LONG1 magic 0x1950a86a20f9469cfc6c.
  if (head[0] === 0x80 && head.byteLength >= 2 && (head[1] as number) <= 5) {
    const magic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    const isLegacy = magic.every((b, i) => head[2 + i] === b);
    return { kind: 'format', format: isLegacy ? 'pytorch-legacy' : 'pickle' };
  }
  if (name.endsWith('.json')) return { kind: 'format', format: 'json' };
  if (name.endsWith('.jinja') || name.endsWith('.txt') || name.endsWith('.py')) return { kind: 'format', format: 'text' };
  if (name.endsWith('.pkl') || name.endsWith('.pickle')) return { kind: 'format', format: 'pickle' };
  return { kind: 'unknown' };
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}
