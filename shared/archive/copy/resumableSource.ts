import { discard, type OpenedDownload, type SourceClient } from '../../acs';
import { RetryableError } from '../../errors';
import { sourceFingerprint } from './blockPlan';

/**
 * The source of one file, opened at any offset and pinned to one version (its total size and ETag): the one seam
 * between the copy and the recording store, as storage-blob's RetriableReadableStream wraps a source behind
 * `getter(offset)`. A response that declares another version than the pinned one is reported, never mixed in: the
 * copy then starts over from byte 0 on the new version (a blob is never committed from bytes of two versions).
 */
export class ResumableSource {
  private versionChanges = 0;

  constructor(
    private readonly source: SourceClient,
    private readonly location: string,
    /** The chunk's documentId: the location, and every redirect hop, must name it. */
    private readonly documentId: string,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * Opens the file from byte `offset`. `pinned`: the version the bytes staged so far belong to (null: none yet).
   * Returns the opened download and its version; when that version differs from `pinned`, the body is already
   * discarded (`changed`). A file that changes version on every request fails (retryable) after 3 changes.
   */
  async openAt(
    offset: number,
    pinned: string | null,
  ): Promise<{ changed: false; download: OpenedDownload; version: string } | { changed: true; version: string }> {
    const download = await this.source.open(this.location, offset, this.signal, this.documentId);
    const version = sourceFingerprint(download.totalSize, download.etag);
    if (pinned === null || pinned === version) return { changed: false, download, version };
    discard(download.body);
    if (++this.versionChanges > 3) {
      throw new RetryableError('SourceUnstable', 'the source file changed version on every request');
    }
    return { changed: true, version };
  }
}
