import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { PermanentError, RetryableError } from '../../errors';
import type { MediaFormat } from '../../recording';
import type { Manifest, ManifestChunk } from '../manifest/manifest';
import { callFolders, matchChunkFiles } from './byosLayout';
import type { CustomerContainer } from './customerContainer';

/** Finding and reading one chunk's files in the customer's container: listings and streamed reads, never a write. */

export interface CustomerFile {
  name: string;
  size: number;
  etag: string | null;
  /** The blob's own Content-MD5 (base64), when whoever wrote it set one. */
  contentMD5: string | null;
}

export type FoundFiles =
  | { found: { content: CustomerFile & { format: MediaFormat }; metadata: CustomerFile } }
  | { missing: string }
  | { ambiguous: string };

/** A metadata file is kilobytes; anything above this is not one. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/** The chunk's media and metadata file in the customer's container, looked for in the call's day folders. */
export async function findChunkFiles(
  customer: CustomerContainer,
  manifest: Manifest,
  chunk: Pick<ManifestChunk, 'documentId'>,
  signal?: AbortSignal,
): Promise<FoundFiles> {
  const listed: CustomerFile[] = [];
  const folders = callFolders(manifest, customer.prefix);
  for (const prefix of folders) {
    for await (const item of customer.container.listBlobsFlat({ prefix, abortSignal: signal })) {
      // Only names that mention the document are kept: a call folder holds every chunk of every recording of the call.
      if (!item.name.includes(chunk.documentId)) continue;
      const md5 = item.properties.contentMD5;
      listed.push({
        name: item.name,
        size: item.properties.contentLength ?? 0,
        etag: item.properties.etag ?? null,
        contentMD5: md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : null,
      });
    }
  }
  const matched = matchChunkFiles(listed, chunk.documentId);
  if ('missing' in matched) return { missing: `${matched.missing} under ${folders.join(', ')}` };
  if ('ambiguous' in matched) return matched;
  return { found: matched };
}

export interface HashedFile {
  size: number;
  sha256: string;
  md5: string;
  /** The last byte read, or null for an empty file. */
  lastByte: number | null;
}

/**
 * Streams the blob once and hashes it (SHA-256 and MD5) on the way; nothing is kept but the hashes and the last byte,
 * so memory stays flat whatever the size. The read is pinned to the listed version (If-Match): a blob rewritten
 * meanwhile fails the read instead of being hashed half old, half new.
 */
export async function hashCustomerBlob(
  container: ContainerClient,
  file: CustomerFile,
  signal?: AbortSignal,
  onBytes?: (n: number) => void,
): Promise<HashedFile> {
  const response = await container.getBlobClient(file.name).download(0, undefined, {
    abortSignal: signal,
    conditions: file.etag ? { ifMatch: file.etag } : undefined,
  });
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  let lastByte: number | null = null;
  for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) {
    sha.update(piece);
    md5.update(piece);
    size += piece.length;
    if (piece.length > 0) lastByte = piece[piece.length - 1]!;
    onBytes?.(piece.length);
  }
  return { size, sha256: sha.digest('hex'), md5: md5.digest('base64'), lastByte };
}

/** The metadata file's text and hashes (it is small: read whole, up to 16 MiB), pinned to the listed version. */
export async function readCustomerMetadata(
  container: ContainerClient,
  file: CustomerFile,
  signal?: AbortSignal,
): Promise<HashedFile & { text: string }> {
  if (file.size > MAX_METADATA_BYTES) {
    throw new PermanentError('MetadataTooLarge', `metadata file ${file.name} has ${file.size} bytes`);
  }
  const response = await container.getBlobClient(file.name).download(0, undefined, {
    abortSignal: signal,
    conditions: file.etag ? { ifMatch: file.etag } : undefined,
  });
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) {
    size += piece.length;
    if (size > MAX_METADATA_BYTES)
      throw new PermanentError('MetadataTooLarge', `metadata file ${file.name} is too large`);
    pieces.push(piece);
  }
  const bytes = Buffer.concat(pieces);
  if (bytes.length !== file.size) {
    throw new RetryableError('ShortBody', `metadata file ${file.name}: read ${bytes.length} of ${file.size} bytes`);
  }
  return {
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('base64'),
    lastByte: bytes.length > 0 ? bytes[bytes.length - 1]! : null,
    text: bytes.toString('utf8'),
  };
}
