/** BlobSource in Node (Blob ≥ Node 20): see tests/fixtures/blob-source-cases.ts. */
import { describe, expect, it } from 'vitest';
import { blobSourceReadsExactBytes, blobSourceShortBlobIsFileChanged, blobSourceRecyclesReleasedBuffers } from '../../fixtures/blob-source-cases.ts';

describe('BlobSource (Node)', () => {
  it('returns exactly the bytes of every range: sequential, backwards, small, concurrent', async () => {
    expect(await blobSourceReadsExactBytes()).toBeGreaterThanOrEqual(1);
  });
  it('a blob shorter than its size is file_changed', blobSourceShortBlobIsFileChanged);
  it('reuses released stream buffers, never memory it does not own', async () => {
    // Exact bytes whether or not this Node streams with BYOB (recycling needs it).
    expect(await blobSourceRecyclesReleasedBuffers()).toBeGreaterThanOrEqual(0);
  });
});
