import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { discard, errorCode, type SourceClient } from '../acs/download';
import { AppError, isRetryable, RetryableError, toError } from '../errors';
import { backoffMs, sleep, type RetryPolicy } from '../retry';
import { statusCode } from '../storage';
import {
  blockIdFor,
  likeliestFingerprint,
  parseBlockId,
  sourceFingerprint,
  stagedPrefix,
  type StagedBlock,
} from './blockPlan';

/**
 * Streams one recording file from the source into a block blob: the response body flows into staged blocks, so
 * memory is bounded by blockSize x (blocksInFlight + 1) whatever the file's size. SHA-256 and MD5 are computed on
 * the way; the block list is committed (with Content-MD5, content type and metadata) only when the byte count equals
 * what the source declared, and the committed length is checked. Block ids name the source version and the byte
 * range, so a retry after a reset, in this invocation or a later one after a crash, asks the source only for the
 * bytes after the last staged block; and a source that changed version is copied again from byte 0.
 */

export interface CopyFileInput {
  source: SourceClient;
  blob: BlockBlobClient;
  location: string;
  /** The chunk's documentId: the location (and any redirect's path) must name it. */
  documentId: string;
  contentType: string;
  /** Blob metadata besides sha256 and size (documentid, chunkindex). */
  metadata: Record<string, string>;
  blockSizeBytes: number;
  blocksInFlight: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Bytes staged so far and the declared total, after each block (for progress bars). */
  onProgress?: (staged: number, total: number) => void;
}

export interface CopiedFile {
  size: number;
  sha256: string;
  md5: string;
  /** Bytes this call received from the source (0 when the blob was already archived). */
  downloadedBytes: number;
  /** Requests made to the source. */
  attempts: number;
  /** The blob was already committed and verified by an earlier attempt: nothing was downloaded. */
  alreadyArchived: boolean;
}

/** Metadata marking a blob whose committed blocks are only a resumed prefix, not the whole file. */
const PARTIAL = 'partial';

export async function copyFileToBlob(input: CopyFileInput): Promise<CopiedFile> {
  input.source.checkLocation(input.location, input.documentId);
  const existing = await archivedProperties(input.blob);
  if (existing) return { ...existing, downloadedBytes: 0, attempts: 0, alreadyArchived: true };

  const state = new CopyState();
  let needsRecovery = true; // a fresh invocation first looks at what an earlier one staged
  let downloadedBytes = 0;
  let requests = 0;
  let versionChanges = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      if (needsRecovery) {
        await state.recoverFromStore(input.blob, input.signal);
        needsRecovery = false;
      }
      requests++;
      // NOTE: ask from one byte before the staged end, not from the end itself: when every byte was staged before a
      // crash (only the commit was missing), `bytes=end-` would be refused with 416 forever; the one-byte overlap
      // always returns the total size in Content-Range and is skipped. Found by `npm run load`.
      const download = await input.source.open(input.location, Math.max(0, state.end - 1), input.signal);
      const version = sourceFingerprint(download.totalSize, download.etag);
      if (state.fingerprint !== null && state.fingerprint !== version) {
        // A new version of the file (another size or ETag): what was staged belongs to the old one. Start over from
        // byte 0; a blob is never committed from bytes of two versions.
        discard(download.body);
        state.reset(version);
        if (++versionChanges > 3) {
          throw new RetryableError('SourceUnstable', 'the source file changed version on every request');
        }
        attempt--; // a version change is not a failed attempt
        continue;
      }
      state.fingerprint = version;
      const { body } = download;
      const pump = new BlockPump(input, state, download.totalSize);
      let stagingFailure: Error | undefined;
      try {
        downloadedBytes += await pump.run(body, download.start);
      } finally {
        stagingFailure = await pump.settle();
        if (stagingFailure) needsRecovery = true;
      }
      // A block whose staging failed after the body had ended: storage's error, before any commit is tried.
      if (stagingFailure) throw stagingFailure;
      if (state.end !== download.totalSize) {
        throw new RetryableError('ShortBody', `received ${state.end} of ${download.totalSize} declared bytes`);
      }
      const { sha256, md5 } = state.digest();
      await input.blob.commitBlockList(state.blockIds, {
        blobHTTPHeaders: { blobContentType: input.contentType, blobContentMD5: md5 },
        metadata: { ...input.metadata, sha256, size: String(state.end) },
        conditions: state.etag ? { ifMatch: state.etag } : { ifNoneMatch: '*' },
        abortSignal: input.signal,
      });
      await checkCommittedLength(input.blob, state.end);
      return {
        size: state.end,
        sha256,
        md5: md5.toString('base64'),
        downloadedBytes,
        attempts: requests,
        alreadyArchived: false,
      };
    } catch (caught) {
      const error = toError(caught);
      if (input.signal?.aborted) throw error;
      if (isConditionFailure(error)) {
        // Someone committed this blob meanwhile: adopt it if it is a verified archive, otherwise start over.
        const adopted = await archivedProperties(input.blob);
        if (adopted) return { ...adopted, downloadedBytes, attempts: requests, alreadyArchived: true };
        needsRecovery = true;
      }
      if (!isRetryable(error) || attempt >= input.retry.maxAttempts) throw error;
      const delay = backoffMs(input.retry, attempt, error);
      input.onRetry?.(error, attempt, delay);
      await sleep(delay, input.signal);
    }
  }
}

/** Size and hashes of a blob this archiver committed and verified, or null. */
export async function archivedProperties(
  blob: BlockBlobClient,
): Promise<{ size: number; sha256: string; md5: string } | null> {
  try {
    return archivedFrom(await blob.getProperties());
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
}

/** archivedProperties from properties already at hand (a HEAD, or the headers of a whole-blob GET). Pure. */
export function archivedFrom(props: {
  metadata?: Record<string, string>;
  contentLength?: number;
  contentMD5?: Uint8Array;
}): { size: number; sha256: string; md5: string } | null {
  const sha256 = props.metadata?.sha256;
  if (!sha256 || props.metadata?.[PARTIAL] || props.contentLength === undefined || !props.contentMD5) return null;
  return { size: props.contentLength, sha256, md5: Buffer.from(props.contentMD5).toString('base64') };
}

/** The committed blob has exactly the bytes we counted; a blob that does not is never left looking verified. */
async function checkCommittedLength(blob: BlockBlobClient, expected: number): Promise<void> {
  const props = await blob.getProperties();
  if (props.contentLength === expected) return;
  await blob.setMetadata({ [PARTIAL]: 'true' }).catch(() => undefined);
  throw new RetryableError(
    'CommitLengthMismatch',
    `the committed blob has ${props.contentLength ?? 'no'} bytes, ${expected} were staged`,
  );
}

/** What has been staged and hashed so far: bytes [0, end) of one source version. */
class CopyState {
  sha256: Hash = createHash('sha256');
  md5: Hash = createHash('md5');
  private digests: { sha256: string; md5: Buffer } | undefined;
  end = 0;
  blockIds: string[] = [];
  /** The source version being copied: null until the first response (or a recovered prefix) says. */
  fingerprint: string | null = null;
  /** ETag of the committed blob (a partial prefix), when there is one. */
  etag: string | undefined;

  reset(fingerprint: string | null): void {
    this.sha256 = createHash('sha256');
    this.md5 = createHash('md5');
    this.digests = undefined;
    this.end = 0;
    this.blockIds = [];
    this.fingerprint = fingerprint;
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

/** Cuts a body into blocks, hashes each in order and stages up to blocksInFlight at once. */
class BlockPump {
  private readonly free: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** The first staging that failed: storage's error, thrown as it is (not blamed on the download). */
  private failed: Error | undefined;
  private allocated = 0;

  constructor(
    private readonly input: CopyFileInput,
    private readonly state: CopyState,
    private readonly total: number,
  ) {}

  /** Returns the bytes received from the body (including any skipped ones). */
  async run(body: Readable, bodyStart: number): Promise<number> {
    let skip = this.state.end - bodyStart; // the overlap byte, or everything when the source ignored our Range
    let received = 0;
    let block = await this.takeBuffer();
    let filled = 0;
    try {
      for await (const raw of body as AsyncIterable<Buffer>) {
        received += raw.length;
        let piece = raw;
        if (skip > 0) {
          const dropped = Math.min(skip, piece.length);
          skip -= dropped;
          piece = piece.subarray(dropped);
        }
        while (piece.length > 0) {
          const n = piece.copy(block, filled);
          filled += n;
          piece = piece.subarray(n);
          if (filled === block.length) {
            await this.seal(block, filled);
            block = await this.takeBuffer();
            filled = 0;
          }
        }
        if (this.failed) throw this.failed;
      }
      if (filled > 0) await this.seal(block, filled);
      else this.free.push(block);
    } catch (error) {
      discard(body);
      if (error instanceof AppError || error === this.failed || this.input.signal?.aborted) throw error;
      // A reset or a stalled body surfaces here, while reading, not when the request was made.
      throw new RetryableError('NetworkError', `the download broke off after ${received} bytes (${errorCode(error)})`, {
        cause: error,
      });
    }
    return received;
  }

  /** Waits for every staged block; the error of the first that failed (the hashes are then ahead of what is staged). */
  async settle(): Promise<Error | undefined> {
    await Promise.allSettled([...this.inFlight]);
    return this.failed;
  }

  private async seal(buffer: Buffer, length: number): Promise<void> {
    const data = buffer.subarray(0, length);
    const offset = this.state.end;
    const blockId = blockIdFor(this.state.fingerprint!, offset, length);
    this.state.sha256.update(data);
    this.state.md5.update(data);
    this.state.end += length;
    this.state.blockIds.push(blockId);
    this.input.onProgress?.(this.state.end, this.total);
    const staging = this.input.blob
      .stageBlock(blockId, data, length, { abortSignal: this.input.signal })
      .then(
        () => {
          this.free.push(buffer);
        },
        (error: unknown) => {
          this.failed ??= toError(error);
        },
      )
      .finally(() => this.inFlight.delete(staging));
    this.inFlight.add(staging);
  }

  private async takeBuffer(): Promise<Buffer> {
    for (;;) {
      if (this.failed) throw this.failed;
      const buffer = this.free.pop();
      if (buffer) return buffer;
      if (this.allocated < this.input.blocksInFlight + 1) {
        this.allocated++;
        return Buffer.allocUnsafeSlow(this.input.blockSizeBytes);
      }
      await Promise.race(this.inFlight);
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  const status = statusCode(error);
  return status === 412 || status === 409;
}
