/** What one side (known-good or suspect) of the comparison — or the optional adapter — has taken from the user's files. */
import type { FileSelection, PickedFile, SkippedFile } from '../input/collect-files.ts';
import type { SourceRef } from '../../workers/worker-api.ts';
import type { Side } from '../../lib/analysis/job.ts';

export type InputOrigin = 'none' | 'files' | 'folder' | 'drop' | 'demo';

export class SideInput {
  /** 'adapter': the optional third input (adapter audit), kept apart from the two compared sides. */
  readonly side: Side | 'adapter';
  readonly defaultLabel: string;
  files = $state.raw<PickedFile[]>([]);
  skipped = $state.raw<SkippedFile[]>([]);
  origin = $state<InputOrigin>('none');
  label = $state('');
  /** Set while a drop is being walked (large folders take a moment). */
  busy = $state(false);

  readonly totalBytes = $derived(this.files.reduce((s, f) => s + f.file.size, 0));
  readonly isEmpty = $derived(this.files.length === 0);

  constructor(side: Side | 'adapter', defaultLabel: string) {
    this.side = side;
    this.defaultLabel = defaultLabel;
    this.label = defaultLabel;
  }

  take(selection: FileSelection, origin: InputOrigin, label?: string): void {
    this.files = selection.taken;
    this.skipped = selection.skipped;
    this.origin = origin;
    this.label = label ?? selection.folderName ?? (selection.taken.length === 1 ? (selection.taken[0]?.path ?? this.defaultLabel) : this.defaultLabel);
  }

  clear(): void {
    this.files = [];
    this.skipped = [];
    this.origin = 'none';
    this.label = this.defaultLabel;
  }

  /** What the workers get: Files are structured-cloned as handles, never read whole here. */
  sourceRefs(): SourceRef[] {
    return this.files.map((f) => ({ path: f.path, size: f.file.size, lastModified: f.file.lastModified, blob: f.file }));
  }
}
