import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { discard, type SourceClient } from '../../acs';
import { PermanentError, RetryableError } from '../../errors';
import { withRetries, type RetryPolicy } from '../../retry';
import { statusCode, streamToText } from '../../storage';
import { archivedFrom } from './copyFile';

/** A chunk's metadata JSON is small (kilobytes); anything above this is not a metadata file. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export interface CopiedMetadata {
  size: number;
  sha256: string;
  /** The bytes as archived (verbatim), for reading what the manifest needs. */
  text: string;
  attempts: number;
}

/**
 * Copies the metadata JSON byte for byte, with Content-MD5 and a sha256 metadata value; reuses an archived copy. It is
 * stored as `application/json` whatever the store calls it (the real store sends `application/octet-stream`).
 */
export async function copyMetadataToBlob(input: {
  source: SourceClient;
  blob: BlockBlobClient;
  location: string;
  /** The chunk's documentId: the location must name it. */
  documentId: string;
  metadata: Record<string, string>;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
}): Promise<CopiedMetadata> {
  input.source.checkLocation(input.location, input.documentId);
  const archived = await readArchived(input.blob, input.signal);
  if (archived) return archived;
  let attempts = 0;
  const bytes = await withRetries(
    input.retry,
    async () => {
      attempts++;
      const download = await input.source.open(input.location, 0, input.signal);
      if (download.totalSize !== null && download.totalSize > MAX_METADATA_BYTES) {
        discard(download.body);
        throw new PermanentError('MetadataTooLarge', `metadata file declares ${download.totalSize} bytes`);
      }
      const pieces: Buffer[] = [];
      let received = 0;
      for await (const piece of download.body as AsyncIterable<Buffer>) {
        pieces.push(piece);
        received += piece.length;
        if (received > MAX_METADATA_BYTES) {
          discard(download.body);
          throw new PermanentError('MetadataTooLarge', `metadata file is larger than ${MAX_METADATA_BYTES} bytes`);
        }
      }
      // Without a declared size (a chunked body) what arrived is the file, since its chunked message ended properly.
      if (received !== (download.totalSize ?? received) || received === 0) {
        throw new RetryableError(
          'ShortBody',
          `metadata file: received ${received} of ${download.totalSize ?? 'some'} declared bytes`,
        );
      }
      return Buffer.concat(pieces);
    },
    { signal: input.signal, onRetry: (e, a, d) => input.onRetry?.(e as Error, a, d) },
  );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const md5 = createHash('md5').update(bytes).digest();
  try {
    await input.blob.upload(bytes, bytes.length, {
      blobHTTPHeaders: { blobContentType: 'application/json', blobContentMD5: md5 },
      metadata: { ...input.metadata, sha256, size: String(bytes.length) },
      conditions: { ifNoneMatch: '*' },
      abortSignal: input.signal,
    });
  } catch (error) {
    const status = statusCode(error);
    if (status !== 409 && status !== 412) throw error;
    // Written by an earlier attempt meanwhile: the source file is immutable, keep what is there.
  }
  return { size: bytes.length, sha256, text: bytes.toString('utf8'), attempts };
}

/** The archived copy's bytes when an earlier attempt archived and verified it, in one GET (its headers say); or null. */
async function readArchived(blob: BlockBlobClient, signal?: AbortSignal): Promise<CopiedMetadata | null> {
  let download;
  try {
    download = await blob.download(0, undefined, { abortSignal: signal });
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
  // NOTE: fields one by one: the response's are getters, which a spread does not copy.
  const existing = archivedFrom({
    metadata: download.metadata,
    contentLength: download.contentLength,
    contentMD5: download.blobContentMD5 ?? download.contentMD5,
  });
  if (!existing) {
    if (download.readableStreamBody) discard(download.readableStreamBody as Readable);
    return null;
  }
  const text = await streamToText(download.readableStreamBody, MAX_METADATA_BYTES);
  return { size: existing.size, sha256: existing.sha256, text, attempts: 0 };
}
