/**
 * The bundled demo case (written by `npm run demo` into public/demo/): its manifest lists each
 * side's folder, label and files; the files are fetched from this same origin as Blobs.
 */
import type { PickedFile } from './collect-files.ts';

export interface DemoSide {
  label: string;
  files: PickedFile[];
}

export interface DemoCase {
  title: string;
  knownGood: DemoSide;
  suspect: DemoSide;
}

interface ManifestSide {
  label: string;
  dir: string;
  files: string[];
}

function isManifestSide(v: unknown): v is ManifestSide {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['label'] === 'string' && typeof o['dir'] === 'string' && Array.isArray(o['files']) && o['files'].every((f) => typeof f === 'string');
}

/** Only plain relative names: the manifest is ours, but a path must not climb out of demo/. */
function isSafeRelative(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '' || s === '.');
}

async function fetchOk(url: string, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(url, signal ? { signal } : {});
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

export async function loadDemoCase(baseUrl: string, signal?: AbortSignal): Promise<DemoCase> {
  const root = `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}demo/`;
  const res = await fetchOk(`${root}manifest.json`, signal);
  const manifest: unknown = await res.json();
  if (typeof manifest !== 'object' || manifest === null) throw new Error('demo/manifest.json is not an object');
  const m = manifest as Record<string, unknown>;
  const kg = m['knownGood'];
  const su = m['suspect'];
  if (!isManifestSide(kg) || !isManifestSide(su)) throw new Error('demo/manifest.json lacks knownGood/suspect {label, dir, files}');
  const side = async (s: ManifestSide): Promise<DemoSide> => {
    if (!isSafeRelative(s.dir) || !s.files.every(isSafeRelative)) throw new Error('demo/manifest.json names a path outside demo/');
    const files = await Promise.all(
      s.files.map(async (name): Promise<PickedFile> => {
        const blob = await (await fetchOk(`${root}${s.dir}/${name}`, signal)).blob();
        return { path: name, file: new File([blob], name.split('/').pop() ?? name) };
      }),
    );
    return { label: s.label, files };
  };
  const [knownGood, suspect] = await Promise.all([side(kg), side(su)]);
  return { title: typeof m['title'] === 'string' ? m['title'] : 'Demo case', knownGood, suspect };
}
