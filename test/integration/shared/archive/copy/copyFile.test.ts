import { RestError, type BlockBlobClient } from '@azure/storage-blob';
import { copyFileToBlob, type CopyFileInput } from '../../../../../shared/archive/copy/copyFile';
import { copyMetadataToBlob } from '../../../../../shared/archive/copy/metadataFile';
import type { RecordingChunk } from '../../../../../dev/emulator/records';
import { archiveHarness, BLOCK, blobSha256, type ArchiveHarness } from '../../../../helpers/archiveHarness';

/**
 * copyFileToBlob on its own, for what the queue-level tests cannot reach: storage failures (at the very end of a copy,
 * after every byte was staged and hashed; while staging), and blocks an older version left staged.
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

function copyInput(
  chunk: RecordingChunk,
  blob: BlockBlobClient,
  overrides: Partial<CopyFileInput> = {},
): CopyFileInput {
  return {
    source: h.services.source,
    blob,
    location: chunk.contentLocation,
    documentId: chunk.documentId,
    contentType: 'video/mp4',
    metadata: {},
    blockSizeBytes: h.config.archive.blockSizeBytes,
    blocksInFlight: h.config.archive.blocksInFlight,
    retry: h.services.retry,
    ...overrides,
  };
}

function countCalls(blob: BlockBlobClient, method: 'getProperties' | 'download'): () => number {
  let calls = 0;
  const original = (blob[method] as (...args: unknown[]) => unknown).bind(blob);
  (blob as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

/** A block id of the version before this one: `cra1-` and 15 digits (20 characters, where this version's have 40). */
function cra1Id(n: number): string {
  return Buffer.from(`cra1-${String(n).padStart(15, '0')}`).toString('base64');
}

/**
 * The real client (Azurite), made to keep Azure's rule that Azurite does not: a block whose id length differs from
 * the blob's uncommitted blocks is refused (400 InvalidBlobOrBlock). Records the uncommitted ids it found first.
 */
function azureBlockIdRule(blob: BlockBlobClient): { blob: BlockBlobClient; firstUncommitted: () => string[] | null } {
  let first: string[] | null = null;
  const original = blob.stageBlock.bind(blob);
  blob.stageBlock = async (...args: Parameters<BlockBlobClient['stageBlock']>) => {
    const list = await blob.getBlockList('uncommitted').catch(() => ({ uncommittedBlocks: [] }));
    const names = (list.uncommittedBlocks ?? []).map((b) => b.name);
    first ??= names;
    if (names.some((name) => name.length !== args[0].length)) {
      throw new RestError('The specified blob or block content is invalid.', {
        code: 'InvalidBlobOrBlock',
        statusCode: 400,
      });
    }
    return original(...args);
  };
  return { blob, firstUncommitted: () => first };
}

describe('blocks the previous version left staged (cra1 ids, another length)', () => {
  it('drops them before staging when there is no committed blob, and copies the file byte-exact', async () => {
    const size = 3 * BLOCK + 5;
    const chunk = (await h.emulator.createRecordingFiles({ chunks: [{ size }] })).chunks[0]!;
    const name = `upgrade/${chunk.documentId}`;
    const raw = h.container.getBlockBlobClient(name);
    for (const n of [0, 1]) await raw.stageBlock(cra1Id(n), Buffer.alloc(100, n), 100);
    const target = azureBlockIdRule(h.container.getBlockBlobClient(name));
    const copied = await copyFileToBlob(
      copyInput(chunk, target.blob, { retry: { ...h.services.retry, maxAttempts: 1 } }),
    );
    expect(copied).toMatchObject({ size, sha256: chunk.sha256, alreadyArchived: false });
    expect(target.firstUncommitted()).toEqual([]);
    expect(await blobSha256(h.container, name)).toBe(chunk.sha256);
  });

  it('drops them under a committed prefix of this version, keeping that prefix and its bytes', async () => {
    const size = 4 * BLOCK + 7;
    const chunk = (await h.emulator.createRecordingFiles({ chunks: [{ size }] })).chunks[0]!;
    const name = `upgrade/${chunk.documentId}`;
    // A copy that broke off after two blocks, then committed as a partial prefix (as a resume does)...
    h.emulator.setFault(chunk.documentId, { kind: 'reset', afterBytes: Math.floor(2.5 * BLOCK) });
    const once = { ...h.services.retry, maxAttempts: 1 };
    await expect(
      copyFileToBlob(copyInput(chunk, h.container.getBlockBlobClient(name), { retry: once })),
    ).rejects.toMatchObject({ code: 'NetworkError' });
    const raw = h.container.getBlockBlobClient(name);
    const staged = (await raw.getBlockList('uncommitted')).uncommittedBlocks!.map((b) => b.name);
    expect(staged).toHaveLength(2);
    await raw.commitBlockList(staged, { metadata: { partial: 'true' } });
    // ...then blocks of the previous version staged on top.
    for (const n of [0, 1]) await raw.stageBlock(cra1Id(n), Buffer.alloc(100, n), 100);
    h.emulator.clearRequests();
    const target = azureBlockIdRule(h.container.getBlockBlobClient(name));
    const heads = countCalls(target.blob, 'getProperties');
    const copied = await copyFileToBlob(copyInput(chunk, target.blob, { retry: once }));
    // One HEAD to see whether it is archived already, one to check the committed length: the resume's ETag came with
    // its block list.
    expect(heads()).toBe(2);
    expect(copied).toMatchObject({ size, sha256: chunk.sha256 });
    expect(target.firstUncommitted()).toEqual([]);
    expect(await blobSha256(h.container, name)).toBe(chunk.sha256);
    // The committed prefix was kept: the source was asked only for what follows it.
    const gets = h.emulator.requests.filter((r) => r.method === 'GET' && r.path.includes(chunk.documentId));
    expect(gets.map((r) => r.range)).toEqual([`bytes=${2 * BLOCK - 1}-`]);
  });
});

describe('a block that storage refuses', () => {
  it('is reported as the storage error it is, not as a broken download, and the copy resumes', async () => {
    const size = 3 * BLOCK + 1;
    const chunk = (await h.emulator.createRecordingFiles({ chunks: [{ size }] })).chunks[0]!;
    const blob = h.container.getBlockBlobClient(`stage-403/${chunk.documentId}`);
    let stages = 0;
    const original = blob.stageBlock.bind(blob);
    blob.stageBlock = async (...args: Parameters<BlockBlobClient['stageBlock']>) => {
      if (++stages === 1) {
        throw new RestError('This request is not authorized to perform this operation.', {
          code: 'AuthorizationFailure',
          statusCode: 403,
        });
      }
      return original(...args);
    };
    const retried: Error[] = [];
    const copied = await copyFileToBlob(copyInput(chunk, blob, { onRetry: (error) => retried.push(error) }));
    expect(retried).toHaveLength(1);
    expect(retried[0]).toBeInstanceOf(RestError);
    expect(retried[0]).toMatchObject({ statusCode: 403, code: 'AuthorizationFailure' });
    expect(retried[0]!.message).not.toMatch(/download/);
    expect(copied).toMatchObject({ size, sha256: chunk.sha256 });
    expect(await blobSha256(h.container, `stage-403/${chunk.documentId}`)).toBe(chunk.sha256);
  });

  it('fails the copy with that error when no attempt is left', async () => {
    const chunk = (await h.emulator.createRecordingFiles({ chunks: [{ size: 2 * BLOCK }] })).chunks[0]!;
    const blob = h.container.getBlockBlobClient(`stage-403/${chunk.documentId}`);
    blob.stageBlock = async () => {
      throw new RestError('This request is not authorized to perform this operation.', {
        code: 'AuthorizationFailure',
        statusCode: 403,
      });
    };
    await expect(
      copyFileToBlob(copyInput(chunk, blob, { retry: { ...h.services.retry, maxAttempts: 1 } })),
    ).rejects.toMatchObject({ name: 'RestError', statusCode: 403, code: 'AuthorizationFailure' });
  });
});

describe('a metadata file archived by an earlier attempt', () => {
  it('is read back with one GET, without asking the source', async () => {
    const chunk = (await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 })).chunks[0]!;
    const name = `metadata/${chunk.documentId}.json`;
    const input = {
      source: h.services.source,
      location: chunk.metadataLocation,
      documentId: chunk.documentId,
      metadata: {},
      retry: h.services.retry,
    };
    const first = await copyMetadataToBlob({ ...input, blob: h.container.getBlockBlobClient(name) });
    h.emulator.clearRequests();
    const blob = h.container.getBlockBlobClient(name);
    const heads = countCalls(blob, 'getProperties');
    const gets = countCalls(blob, 'download');
    const again = await copyMetadataToBlob({ ...input, blob });
    expect(again).toEqual({ ...first, attempts: 0 });
    expect(Buffer.from(again.text)).toEqual(chunk.metadata);
    expect([heads(), gets()]).toEqual([0, 1]);
    expect(h.emulator.requests).toEqual([]);
  });
});
