/**
 * From what the user gave (a drop, a multi-file pick, a folder pick) to the files one side of the
 * comparison takes: relative POSIX paths, the dropped/picked folder's own name stripped (so
 * "Llama-3-8B/model-00001-of-00004.safetensors" and a plain pick of that file are the same input),
 * and only model-related files (isModelRelatedPath, as the CLI does for a folder).
 *
 * A folder drop and a multi-file pick are equivalent: both end as PickedFile[].
 */
import { isModelRelatedPath } from '../../lib/formats/model-loader.ts';

export interface PickedFile {
  path: string;
  file: File;
}

export interface SkippedFile {
  path: string;
  size: number;
  reason: string;
}

export interface FileSelection {
  taken: PickedFile[];
  skipped: SkippedFile[];
  /** The dropped or picked folder's name, when there was exactly one (used as the side's label). */
  folderName?: string;
}

/** Caps on a walked folder: a drop of a home directory or a node_modules must not hang the tab. */
export const MAX_WALKED_FILES = 100_000;
export const MAX_WALK_DEPTH = 32;

/** Hidden and VCS folders are never part of a model; not walking them keeps `.git` drops fast. */
function isSkippedFolder(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || name === '__pycache__';
}

/** Keeps model-related files, records the rest; first of two identical paths wins. */
export function selectModelFiles(files: readonly PickedFile[], extraSkipped: readonly SkippedFile[] = []): Omit<FileSelection, 'folderName'> {
  const taken: PickedFile[] = [];
  const skipped: SkippedFile[] = [...extraSkipped];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) {
      skipped.push({ path: f.path, size: f.file.size, reason: 'duplicate path' });
      continue;
    }
    seen.add(f.path);
    if (isModelRelatedPath(f.path)) taken.push(f);
    else skipped.push({ path: f.path, size: f.file.size, reason: 'not model-related' });
  }
  taken.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { taken, skipped };
}

/**
 * Files of an `<input type=file>`: a plain multi-pick gives bare names; a `webkitdirectory` pick
 * gives "folder/sub/file" in webkitRelativePath, whose first segment (the picked folder) is dropped.
 */
export function selectFromFileList(list: FileList | readonly File[]): FileSelection {
  const files = Array.from(list);
  const rel = files.map((f) => f.webkitRelativePath || f.name);
  const firstSegments = new Set(rel.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const [only] = firstSegments;
  const strip = firstSegments.size === 1 && only !== undefined && only !== '' ? only : undefined;
  const picked: PickedFile[] = [];
  const skipped: SkippedFile[] = [];
  files.forEach((file, i) => {
    let path = rel[i] ?? file.name;
    if (strip !== undefined) path = path.slice(strip.length + 1);
    const hidden = path.split('/').slice(0, -1).find(isSkippedFolder);
    if (hidden !== undefined) skipped.push({ path, size: file.size, reason: `inside ${hidden}/` });
    else picked.push({ path, file });
  });
  return { ...selectModelFiles(picked, skipped), ...(strip === undefined ? {} : { folderName: strip }) };
}

// ── drag and drop ───────────────────────────────────────────────────────────

/** The parts of the File and Directory Entries API the walker needs (real entries, or test fakes). */
export interface EntryLike {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}
export interface FileEntryLike extends EntryLike {
  file(success: (file: File) => void, error?: (err: DOMException) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(success: (entries: EntryLike[]) => void, error?: (err: DOMException) => void): void };
}

function isFileEntry(e: EntryLike): e is FileEntryLike {
  return e.isFile && typeof (e as Partial<FileEntryLike>).file === 'function';
}
function isDirectoryEntry(e: EntryLike): e is DirectoryEntryLike {
  return e.isDirectory && typeof (e as Partial<DirectoryEntryLike>).createReader === 'function';
}

function entryFile(entry: FileEntryLike): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** All children of a directory: readEntries returns batches (100 in Chromium) until an empty one. */
async function readAllEntries(dir: DirectoryEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader();
  const out: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    out.push(...batch);
    if (out.length > MAX_WALKED_FILES) return out;
  }
}

/**
 * Walks dropped entries. A single dropped folder is the model's root (its name is stripped); with
 * several dropped items, each keeps its own name as the first path segment.
 */
export async function selectFromEntries(roots: readonly EntryLike[]): Promise<FileSelection> {
  const picked: PickedFile[] = [];
  const skipped: SkippedFile[] = [];
  const [single] = roots;
  const stripRoot = roots.length === 1 && single !== undefined && isDirectoryEntry(single);

  const walk = async (entry: EntryLike, prefix: string, depth: number): Promise<void> => {
    if (picked.length + skipped.length >= MAX_WALKED_FILES) return;
    const path = prefix + entry.name;
    if (isFileEntry(entry)) {
      try {
        picked.push({ path, file: await entryFile(entry) });
      } catch (e) {
        skipped.push({ path, size: 0, reason: `unreadable (${e instanceof Error ? e.message : String(e)})` });
      }
      return;
    }
    if (!isDirectoryEntry(entry)) return;
    if (isSkippedFolder(entry.name) && depth > 0) {
      skipped.push({ path: `${path}/`, size: 0, reason: 'hidden or tool folder, not walked' });
      return;
    }
    if (depth >= MAX_WALK_DEPTH) {
      skipped.push({ path: `${path}/`, size: 0, reason: `deeper than ${MAX_WALK_DEPTH} folders` });
      return;
    }
    const children = await readAllEntries(entry);
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) await walk(child, `${path}/`, depth + 1);
  };

  if (stripRoot && single !== undefined && isDirectoryEntry(single)) {
    const children = await readAllEntries(single);
    for (const child of children) await walk(child, '', 1);
    return { ...selectModelFiles(picked, skipped), folderName: single.name };
  }
  for (const root of roots) await walk(root, '', 0);
  return selectModelFiles(picked, skipped);
}

/**
 * A drop's items. Entries must be taken synchronously inside the drop handler (the DataTransfer is
 * emptied when it returns); files without an entry (synthetic drops) fall back to getAsFile().
 */
export function entriesOfDrop(dt: DataTransfer): { entries: EntryLike[]; files: File[] } {
  const entries: EntryLike[] = [];
  const files: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) files.push(f);
    }
  }
  if (entries.length === 0 && files.length === 0) files.push(...Array.from(dt.files));
  return { entries, files };
}

export async function selectFromDrop(drop: { entries: EntryLike[]; files: File[] }): Promise<FileSelection> {
  if (drop.entries.length === 0) return selectFromFileList(drop.files);
  const fromEntries = await selectFromEntries(drop.entries);
  if (drop.files.length === 0) return fromEntries;
  const extra = drop.files.map((file) => ({ path: file.name, file }));
  return selectModelFiles([...fromEntries.taken, ...extra], fromEntries.skipped);
}
