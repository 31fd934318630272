/**
 * The shape of a bad-input corpus entry (see ./manifest.ts for how entries are written and
 * tests/unit/corpus/corpus.test.ts for what is asserted about each).
 */
import type { ErrorCode } from '../../src/lib/formats/errors.ts';
import type { ReaderNotice } from '../../src/lib/formats/manifest.ts';
import type { VerdictStatus } from '../../src/lib/report/types.ts';

/** Formats of the corpus, one folder each under tests/corpus/. */
export type CorpusFormat = 'generic' | 'safetensors' | 'safetensors-index' | 'gguf' | 'pytorch-zip' | 'pytorch-legacy' | 'pickle' | 'numpy' | 'zip';

export type CorpusSource = `spec rule${string}` | `CVE-${string}` | `scanner bypass${string}` | 'fuzz find' | `fuzz find${string}`;

/** A reader notice the loader must record (a pickle global, a pickle/ZIP anomaly, unclaimed bytes). */
export interface NoticeExpectation {
  kind: ReaderNotice['kind'];
  /** The notice key: the dotted global for pickle globals ("posix.system"), the anomaly code otherwise ("unsafe-path"). */
  key: string;
  severity?: ReaderNotice['severity'];
}

export interface CorpusExpectation {
  /** The code the loader must record as a problem (required unless `notice` is given). */
  code?: ErrorCode;
  /** Byte offset the problem must carry, when part of the contract. */
  offset?: number;
  /** File the problem is about (default: the entry's `name`). */
  file?: string;
  /** Other codes the same input legitimately also raises (the set of codes must equal {code, ...alsoCodes}). */
  alsoCodes?: readonly ErrorCode[];
  /** A code the main problem's message must name: the precise reason behind a wrapper code (torch_scan_incomplete ← pickle_mark_too_deep). */
  cause?: ErrorCode;
  /** A notice the loader must record (payload files: the global that would run). */
  notice?: NoticeExpectation;
  /**
   * Verdict of comparing the entry with itself. Default "inconclusive" (unreadable, so never clean).
   * Payload files: "malicious-code".
   */
  verdict?: Exclude<VerdictStatus, 'clean' | 'benign-precision'>;
}

export interface CorpusEntry {
  /** Unique, "<format>/<slug>". */
  id: string;
  format: CorpusFormat;
  /** File name the built bytes are saved under (decides the file's role, e.g. weights or index). */
  name: string;
  /** Hermetic builder: deterministic, no I/O. */
  build: () => Uint8Array;
  /** Other files of the same model folder (shards of an index …), by relative path. */
  siblings?: () => Record<string, Uint8Array>;
  expect: CorpusExpectation;
  source: CorpusSource;
  /** Why the case matters, in a sentence. */
  note?: string;
  /** In-process time budget (default DEFAULT_BUDGET_MS). */
  budgetMs?: number;
  /** Why the entry may exceed MAX_CORPUS_FILE_BYTES (files are ≤ 64 KiB unless they say why). */
  oversize?: string;
  /** A known defect of the tool: the runner skips the entry unless SLEUTH_CORPUS_ALL=1. */
  knownIssue?: string;
}

export const DEFAULT_BUDGET_MS = 250;
export const MAX_CORPUS_FILE_BYTES = 64 * 1024;
