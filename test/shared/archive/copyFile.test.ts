import { RestError, type BlockBlobClient } from '@azure/storage-blob';
import { copyFileToBlob } from '../../../shared/archive/copyFile';
import { archiveHarness, BLOCK, blobSha256, type ArchiveHarness } from '../../helpers/archiveHarness';

/**
 * copyFileToBlob on its own, for what the queue-level tests cannot reach: a storage failure at the very end of a copy,
 * after every byte was staged and hashed.
 */

let h: ArchiveHarness;
beforeAll(async () => {
  h = await archiveHarness();
  await h.container.createIfNotExists();
});
afterAll(async () => h.stop());

/** The real client (Azurite), whose first `failures` commits fail as the SDK reports a 503 it gave up retrying. */
function failingCommits(blob: BlockBlobClient, failures: number): { blob: BlockBlobClient; commits: () => number } {
  let commits = 0;
  const original = blob.commitBlockList.bind(blob);
  blob.commitBlockList = async (...args: Parameters<BlockBlobClient['commitBlockList']>) => {
    commits++;
    if (commits <= failures) {
      throw new RestError('The server is busy.', { code: 'ServerBusy', statusCode: 503 });
    }
    return original(...args);
  };
  return { blob, commits: () => commits };
}

describe('a commit that fails after every byte was staged', () => {
  it('commits on the next attempt with the same digests, without downloading the file again', async () => {
    const size = 3 * BLOCK + 21;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const chunk = files.chunks[0]!;
    h.emulator.clearRequests();
    const target = failingCommits(h.container.getBlockBlobClient(`commit-retry/${chunk.documentId}`), 1);
    const copied = await copyFileToBlob({
      source: h.services.source,
      blob: target.blob,
      location: chunk.contentLocation,
      documentId: chunk.documentId,
      contentType: 'video/mp4',
      metadata: {},
      blockSizeBytes: h.config.archive.blockSizeBytes,
      blocksInFlight: h.config.archive.blocksInFlight,
      retry: h.services.retry,
    });
    expect(target.commits()).toBe(2);
    expect(copied).toMatchObject({ size, sha256: chunk.sha256, attempts: 2, alreadyArchived: false });
    expect(await blobSha256(h.container, `commit-retry/${chunk.documentId}`)).toBe(chunk.sha256);
    // The second attempt asked only for the one-byte overlap.
    const gets = h.emulator.requests.filter((r) => r.method === 'GET' && r.path.includes(chunk.documentId));
    expect(gets.map((r) => r.range)).toEqual([undefined, `bytes=${size - 1}-`]);
  });
});
