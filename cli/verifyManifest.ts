import { createHash } from 'node:crypto';
import type { BlobClient, ContainerClient } from '@azure/storage-blob';
import type { Manifest, ManifestChunk } from '../shared/archive';

export interface BlobCheck {
  callId: string;
  recordingKey: string;
  blob: string;
  ok: boolean;
  problems: string[];
  size: number;
  /** `external`: a bring-your-own-storage file, checked (or not) where ACS wrote it, at `url`. */
  location?: 'archive' | 'external';
  url?: string;
  /** Why an `external` file was not read (it is then neither ok nor a mismatch). */
  unchecked?: string;
}

/**
 * A client for a file in the customer's own container, by its URL in the manifest; throws (with the reason) when the
 * CLI cannot reach it.
 */
export type CustomerBlobs = (url: string) => BlobClient;

/**
 * Re-reads every archived blob of a manifest (streamed) and checks its size, Content-MD5 and SHA-256 against the
 * manifest and the blob's own metadata. A chunk verified in place in the customer's container (`location: external`)
 * is read there, through `customer`, and checked against the manifest only (ACS wrote those blobs: they carry none of
 * the archiver's metadata); without access to it, it is reported as there and not checked, never as missing.
 */
export async function verifyManifest(
  container: ContainerClient,
  manifest: Manifest,
  onBytes?: (n: number) => void,
  customer?: CustomerBlobs,
): Promise<BlobCheck[]> {
  const checks: BlobCheck[] = [];
  for (const chunk of manifest.chunks) {
    if (chunk.status !== 'archived') continue;
    if (chunk.location === 'external') {
      checks.push(...(await checkExternalChunk(manifest, chunk, customer, onBytes)));
      continue;
    }
    const content = await checkBlob(container.getBlobClient(chunk.blob), chunk.blob, onBytes);
    compareWithManifest(content, chunk);
    const metadata = await checkBlob(container.getBlobClient(chunk.metadataBlob), chunk.metadataBlob, onBytes);
    for (const result of [content, metadata]) {
      checks.push({
        callId: manifest.callId,
        recordingKey: manifest.recordingKey,
        blob: result.name,
        ok: result.problems.length === 0,
        problems: result.problems,
        size: result.size,
      });
    }
  }
  return checks;
}

async function checkExternalChunk(
  manifest: Manifest,
  chunk: ManifestChunk,
  customer: CustomerBlobs | undefined,
  onBytes?: (n: number) => void,
): Promise<BlobCheck[]> {
  const files = [
    { name: chunk.blob, url: chunk.blobUrl ?? null, size: chunk.size, sha256: chunk.sha256, md5: chunk.md5 },
    {
      name: chunk.metadataBlob,
      url: chunk.metadataBlobUrl ?? null,
      size: chunk.metadataSize ?? null,
      sha256: chunk.metadataSha256 ?? null,
      md5: null,
    },
  ];
  const checks: BlobCheck[] = [];
  for (const file of files) {
    const base = { callId: manifest.callId, recordingKey: manifest.recordingKey, blob: file.name };
    let client: BlobClient | null = null;
    let unchecked: string | null = file.url ? null : 'the manifest records no URL for it';
    try {
      if (file.url && customer) client = customer(file.url);
      else unchecked ??= 'no access to the customer container was configured';
    } catch (error) {
      unchecked = error instanceof Error ? error.message : String(error);
    }
    const where = { location: 'external' as const, ...(file.url ? { url: file.url } : {}) };
    if (!client) {
      checks.push({ ...base, ...where, ok: true, problems: [], size: file.size ?? 0, unchecked: unchecked! });
      continue;
    }
    const result = await checkBlob(client, file.name, onBytes, { ownMetadata: false });
    if (result.unreadable) {
      checks.push({ ...base, ...where, ok: true, problems: [], size: file.size ?? 0, unchecked: result.unreadable });
      continue;
    }
    compareWithManifest(result, file);
    checks.push({ ...base, ...where, ok: result.problems.length === 0, problems: result.problems, size: result.size });
  }
  return checks;
}

function compareWithManifest(
  result: { size: number; sha256: string; md5: string; problems: string[] },
  expected: { size: number | null; sha256: string | null; md5: string | null },
): void {
  if (expected.size !== null && result.size !== expected.size)
    result.problems.push(`size ${result.size}, manifest says ${expected.size}`);
  if (expected.sha256 && result.sha256 !== expected.sha256)
    result.problems.push(`sha256 ${result.sha256}, manifest says ${expected.sha256}`);
  if (expected.md5 && result.md5 !== expected.md5)
    result.problems.push(`md5 ${result.md5}, manifest says ${expected.md5}`);
}

/**
 * Streams one blob and hashes it. `ownMetadata`: the archiver wrote it, so its Content-MD5 and `sha256` metadata
 * must be there and match; a blob ACS wrote is checked against its Content-MD5 only when it has one. `unreadable`:
 * the blob could not be read for a reason other than its absence (no access), so nothing is known of it.
 */
async function checkBlob(
  blob: BlobClient,
  name: string,
  onBytes?: (n: number) => void,
  options: { ownMetadata: boolean } = { ownMetadata: true },
) {
  const problems: string[] = [];
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  let props: { contentMD5?: Uint8Array; metadata?: Record<string, string>; contentLength?: number } = {};
  try {
    const response = await blob.download();
    props = response;
    for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) {
      sha.update(piece);
      md5.update(piece);
      size += piece.length;
      onBytes?.(piece.length);
    }
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 404 && !options.ownMetadata) {
      return { name, size, sha256: '', md5: '', problems, unreadable: `could not be read (${status ?? 'error'})` };
    }
    problems.push(status === 404 ? 'blob is missing' : `could not be read (${status ?? 'error'})`);
    return { name, size, sha256: '', md5: '', problems };
  }
  const sha256 = sha.digest('hex');
  const md5Text = md5.digest('base64');
  if (!props.contentMD5) {
    if (options.ownMetadata) problems.push('blob has no Content-MD5');
  } else if (Buffer.from(props.contentMD5).toString('base64') !== md5Text)
    problems.push('Content-MD5 does not match the bytes');
  if (options.ownMetadata && props.metadata?.sha256 !== sha256)
    problems.push('sha256 metadata does not match the bytes');
  if (props.contentLength !== undefined && props.contentLength !== size)
    problems.push(`read ${size} of ${props.contentLength} bytes`);
  return { name, size, sha256, md5: md5Text, problems };
}
