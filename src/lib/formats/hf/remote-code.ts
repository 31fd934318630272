/**
 * Python shipped beside the weights. Hugging Face `transformers` imports a model folder's own
 * `*.py` (config.json `auto_map` → "modeling_x.Class") when it is loaded with
 * `trust_remote_code=True`: that code runs with the user's rights, exactly like a pickle payload.
 * The files are read as text and searched for what a payload needs — never executed, never
 * imported. Every .py is a notice (`remote-code`): high when it is only present, critical when it
 * starts processes, opens network connections or runs decoded/obfuscated code.
 */
import type { ReaderNotice } from '../manifest.ts';

interface Hazard {
  key: string;
  severity: 'critical' | 'high';
  pattern: RegExp;
  words: string;
}

// `(?<![\w.])` keeps method calls such as model.eval() or torch.compile() out of the builtins.
const HAZARDS: readonly Hazard[] = [
  { key: 'process', severity: 'critical', pattern: /\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)\s*\(|\bsubprocess\.\w+|\bpty\.spawn\b|\bcommands\.getoutput\b|\bplatform\.popen\b/, words: 'starts a process or shell command' },
  { key: 'network', severity: 'critical', pattern: /\bsocket\.(?:socket|create_connection)\s*\(|\burllib\.request\b|(?<![\w.])urlopen\s*\(|\brequests\.(?:get|post|put|request)\s*\(|\bhttp\.client\b|\bftplib\b|\bparamiko\b/, words: 'opens a network connection' },
  { key: 'obfuscated-exec', severity: 'critical', pattern: /(?<![\w.])(?:exec|eval)\s*\([^)]{0,200}(?:b64decode|b32decode|a85decode|fromhex|decompress|marshal\.loads|codecs\.decode|\[::-1\])/, words: 'runs decoded or obfuscated code' },
  { key: 'dynamic-exec', severity: 'high', pattern: /(?<![\w.])(?:exec|eval)\s*\(|(?<![\w.])compile\s*\([^)]{0,200}['"]exec['"]|\bmarshal\.loads\b|(?<![\w.])__import__\s*\(/, words: 'runs code built at run time (exec/eval/__import__)' },
  { key: 'filesystem', severity: 'high', pattern: /\bshutil\.rmtree\s*\(|\bos\.(?:remove|unlink|chmod|chown)\s*\(|['"]~?\/?\.ssh\/|['"]\/etc\/(?:passwd|shadow|cron)|\.bashrc\b|authorized_keys/, words: 'deletes files or touches credentials and start-up files' },
  { key: 'environment', severity: 'high', pattern: /\bos\.environ\b[^\n]{0,80}(?:TOKEN|KEY|SECRET|PASSWORD|AWS_|HF_)/i, words: 'reads secrets from the environment' },
];

/** Notices for one Python file of the model folder. */
export function remoteCodeNotices(path: string, text: string): ReaderNotice[] {
  const hits: { hazard: Hazard; line: number; excerpt: string; offset: number }[] = [];
  // Whole-line comments are blanked (same length, so positions hold): a note about subprocess is not a call.
  const searchable = text.replace(/^[ \t]*#.*$/gm, (c) => ' '.repeat(c.length));
  for (const hazard of HAZARDS) {
    const m = hazard.pattern.exec(searchable);
    if (!m) continue;
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    const start = before.lastIndexOf('\n') + 1;
    const end = text.indexOf('\n', m.index);
    hits.push({ hazard, line, excerpt: text.slice(start, end < 0 ? undefined : end).trim().slice(0, 200), offset: byteLength(before) });
  }
  const critical = hits.filter((h) => h.hazard.severity === 'critical');
  const worst = critical[0] ?? hits[0];
  const what = hits.length === 0 ? 'no process, network or dynamic-code calls found by the static search' : hits.map((h) => `${h.hazard.words} (line ${h.line}: ${JSON.stringify(h.excerpt)})`).join('; ');
  return [
    {
      kind: 'remote-code',
      severity: critical.length > 0 ? 'critical' : 'high',
      message: `Python shipped with the model, run by transformers when the model is loaded with trust_remote_code=True: ${what}`,
      file: path,
      ...(worst ? { offset: worst.offset } : {}),
      key: `code:${path.split('/').pop() ?? path}`,
      details: { hazards: hits.map((h) => ({ key: h.hazard.key, severity: h.hazard.severity, line: h.line, excerpt: h.excerpt })), lines: text.split('\n').length },
    },
  ];
}

/** The custom classes a config.json / tokenizer_config.json maps to Python in the folder (`auto_map`). */
export function autoMapNotices(path: string, text: string): ReaderNotice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const map = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['auto_map'] : undefined;
  if (typeof map !== 'object' || map === null) return [];
  const targets = Object.entries(map as Record<string, unknown>).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => `${k} → ${x}`));
  if (targets.length === 0) return [];
  return [
    {
      kind: 'remote-code',
      severity: 'high',
      message: `auto_map sends ${targets.slice(0, 4).join(', ')}${targets.length > 4 ? ` (and ${targets.length - 4} more)` : ''} to custom code, which loading with trust_remote_code=True runs (a "repo--module.Class" target is fetched from another repository)`,
      file: path,
      key: `auto_map:${path.split('/').pop() ?? path}`,
      details: { autoMap: targets },
    },
  ];
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).byteLength;
}
