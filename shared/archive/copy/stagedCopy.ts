import { createHash, type Hash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import { RetryableError } from '../../errors';
import { statusCode } from '../../storage';
import { PARTIAL } from './archivedBlob';
import { likeliestFingerprint, parseBlockId, stagedPrefix, type StagedBlock } from './blockPlan';

/** What has been staged and hashed so far: bytes [0, end) of one source version. */
export class StagedCopy {
  sha256: Hash = createHash('sha256');
  md5: Hash = createHash('md5');
  private digests: { sha256: string; md5: Buffer } | undefined;
  end = 0;
  blockIds: string[] = [];
  /** The source version being copied: null until the first response (or a recovered prefix) says. */
  fingerprint: string | null = null;
  /** ETag of the committed blob (a partial prefix), when there is one. */
  etag: string | undefined;
  /**
   * Whether a later response can be matched to the version staged so far: false when it declared neither a size nor
   * an ETag (a chunked body), whose staged bytes are then never resumed from another response.
   */
  resumable = true;

  reset(fingerprint: string | null): void {
    this.sha256 = createHash('sha256');
    this.md5 = createHash('md5');
    this.digests = undefined;
    this.end = 0;
    this.blockIds = [];
    this.fingerprint = fingerprint;
    this.resumable = true;
  }

  /**
   * The digests of bytes [0, end). A hash can be finished only once, so a commit that failed and is tried again (the
   * bytes all staged, nothing new hashed) gets the same digests from here.
   */
  digest(): { sha256: string; md5: Buffer } {
    this.digests ??= { sha256: this.sha256.digest('hex'), md5: this.md5.digest() };
    return this.digests;
  }

  /**
   * Picks up the blocks an earlier attempt staged, of the version being copied (or, on a fresh start, of the version
   * with the longest staged run: the first response then confirms or refutes it). The hashes cannot be resumed from
   * staged blocks, so the staged prefix is committed (marked partial) and read back from storage to hash it: the
   * source is not asked for those bytes again.
   */
  async recoverFromStore(blob: BlockBlobClient, signal?: AbortSignal): Promise<void> {
    let committed: StagedBlock[] = [];
    let uncommitted: StagedBlock[] = [];
    let etag: string | undefined;
    try {
      const list = await blob.getBlockList('all', { abortSignal: signal });
      committed = (list.committedBlocks ?? []).map((b) => ({ name: b.name, size: b.size }));
      uncommitted = (list.uncommittedBlocks ?? []).map((b) => ({ name: b.name, size: b.size }));
      // NOTE: the ETag of the same response as the list (Azure sends one only when there are committed blocks).
      etag = committed.length > 0 ? list.etag : undefined;
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
    const blocks = [...committed, ...uncommitted];
    const fingerprint = this.fingerprint ?? likeliestFingerprint(blocks);
    this.reset(fingerprint);
    this.etag = etag;
    const prefix = fingerprint === null ? { end: 0, blockIds: [] } : stagedPrefix(blocks, fingerprint);
    const committedIds = committed.map((b) => b.name);
    const keep = prefix.end > 0 ? prefix.blockIds : committedIds;
    // Uncommitted blocks we cannot use because of their id (another writer's, or the previous version's shorter
    // `cra1-…` ids): Azure refuses a block whose id length differs from the blob's uncommitted ones, so nothing could
    // be staged next to them. A commit drops every uncommitted block.
    const foreign = uncommitted.some((b) => parseBlockId(b.name) === null);
    if (foreign || keep.length !== committedIds.length || keep.some((id, i) => id !== committedIds[i])) {
      const result = await blob.commitBlockList(keep, {
        metadata: { [PARTIAL]: 'true' },
        conditions: this.etag ? { ifMatch: this.etag } : { ifNoneMatch: '*' },
        abortSignal: signal,
      });
      this.etag = result.etag;
    }
    if (prefix.end === 0) return;
    const download = await blob.download(0, prefix.end, { abortSignal: signal });
    let read = 0;
    for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) {
      this.sha256.update(piece);
      this.md5.update(piece);
      read += piece.length;
    }
    if (read !== prefix.end)
      throw new RetryableError('ShortReadBack', `read back ${read} of ${prefix.end} staged bytes`);
    this.end = prefix.end;
    this.blockIds = prefix.blockIds;
  }
}
