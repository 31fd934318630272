/**
 * Files the case file takes from the user (evidence to add, a model to verify against a manifest,
 * files to re-verify): every file, not only model files (a deployment manifest or a serving config
 * is evidence too), with relative POSIX paths — a picked folder's own name stripped, hidden and VCS
 * folders skipped.
 */
import type { FileRole } from '../../lib/formats/manifest.ts';
import type { EvidenceRole } from '../../lib/evidence/case-model.ts';

export interface LocalPick {
  path: string;
  file: File;
}

export function picksFromFileList(list: FileList | readonly File[]): LocalPick[] {
  const files = Array.from(list);
  const rel = files.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/'));
  const first = new Set(rel.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const [only] = first;
  const strip = first.size === 1 && only !== undefined && only !== '' ? only : undefined;
  const out: LocalPick[] = [];
  const seen = new Set<string>();
  files.forEach((file, i) => {
    let path = rel[i] ?? file.name;
    if (strip !== undefined) path = path.slice(strip.length + 1);
    if (path.split('/').slice(0, -1).some((seg) => seg.startsWith('.'))) return;
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, file });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The evidence role of a file, from the report's file role or its name. */
export function evidenceRoleOf(path: string, role?: string | FileRole): EvidenceRole {
  switch (role) {
    case 'weights':
    case 'index':
      return 'weights';
    case 'adapter-config':
    case 'adapter-weights':
      return 'adapter';
    case 'tokenizer':
    case 'tokenizer-config':
    case 'special-tokens':
    case 'chat-template':
      return 'tokenizer';
    case 'config':
    case 'generation-config':
      return 'config';
    default:
      break;
  }
  const name = path.toLowerCase();
  if (/adapter_(model|config)/.test(name)) return 'adapter';
  if (/\.(safetensors|gguf|bin|pt|pth|ckpt|npy|npz)$/.test(name)) return 'weights';
  if (/tokenizer|vocab|merges|special_tokens|chat_template|\.jinja$/.test(name)) return 'tokenizer';
  if (/(^|\/)(config|generation_config)\.json$/.test(name)) return 'config';
  if (/(deployment|kustomization|helm|chart|k8s|manifest)[^/]*\.(ya?ml|json)$/.test(name)) return 'deployment-manifest';
  if (/(serving|server|vllm|tgi|triton|model_repository|inference)[^/]*\.(ya?ml|json|toml|pbtxt)$/.test(name) || name.endsWith('.pbtxt')) return 'serving-config';
  return 'other';
}
