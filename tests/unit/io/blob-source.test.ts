/** BlobSource in Node (Blob ≥ Node 20): see tests/fixtures/blob-source-cases.ts. */
import { describe, expect, it } from 'vitest';
import { blobSourceReadsExactBytes, blobSourceShortBlobIsFileChanged } from '../../fixtures/blob-source-cases.ts';

describe('BlobSource (Node)', () => {
  it('returns exactly the bytes of every range: sequential, backwards, small, concurrent', async () => {
    expect(await blobSourceReadsExactBytes()).toBeGreaterThanOrEqual(1);
  });
  it('a blob shorter than its size is file_changed', blobSourceShortBlobIsFileChanged);
});
