/** BlobSource in Chromium, where large sequential reads stream (BYOB): see tests/fixtures/blob-source-cases.ts. */
import { describe, expect, it } from 'vitest';
import { blobSourceReadsExactBytes, blobSourceShortBlobIsFileChanged, blobSourceRecyclesReleasedBuffers } from '../fixtures/blob-source-cases.ts';

describe('BlobSource (Chromium)', () => {
  it('returns exactly the bytes of every range: sequential, backwards, small, concurrent', async () => {
    // Chromium has byte streams: the ten 2 MiB sequential reads came from one stream (+1 slice for the short tail).
    expect(await blobSourceReadsExactBytes()).toBe(2);
  });
  it('a blob shorter than its size is file_changed', blobSourceShortBlobIsFileChanged);
  it('reuses released stream buffers, never memory it does not own', async () => {
    // Chromium streams with BYOB: all but the first reads land in a recycled buffer.
    expect(await blobSourceRecyclesReleasedBuffers()).toBeGreaterThanOrEqual(8);
  });
});
