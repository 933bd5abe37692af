import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { Manifest } from '../shared/archive';

export interface BlobCheck {
  callId: string;
  recordingKey: string;
  blob: string;
  ok: boolean;
  problems: string[];
  size: number;
}

/**
 * Re-reads every archived blob of a manifest (streamed) and checks its size, Content-MD5 and SHA-256 against the
 * manifest and the blob's own metadata.
 */
export async function verifyManifest(
  container: ContainerClient,
  manifest: Manifest,
  onBytes?: (n: number) => void,
): Promise<BlobCheck[]> {
  const checks: BlobCheck[] = [];
  for (const chunk of manifest.chunks) {
    if (chunk.status !== 'archived') continue;
    const content = await checkBlob(container, chunk.blob, onBytes);
    if (chunk.size !== null && content.size !== chunk.size)
      content.problems.push(`size ${content.size}, manifest says ${chunk.size}`);
    if (chunk.sha256 && content.sha256 !== chunk.sha256)
      content.problems.push(`sha256 ${content.sha256}, manifest says ${chunk.sha256}`);
    if (chunk.md5 && content.md5 !== chunk.md5) content.problems.push(`md5 ${content.md5}, manifest says ${chunk.md5}`);
    const metadata = await checkBlob(container, chunk.metadataBlob, onBytes);
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

async function checkBlob(container: ContainerClient, name: string, onBytes?: (n: number) => void) {
  const problems: string[] = [];
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  let props: { contentMD5?: Uint8Array; metadata?: Record<string, string>; contentLength?: number } = {};
  try {
    const response = await container.getBlobClient(name).download();
    props = response;
    for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) {
      sha.update(piece);
      md5.update(piece);
      size += piece.length;
      onBytes?.(piece.length);
    }
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    problems.push(status === 404 ? 'blob is missing' : `could not be read (${status ?? 'error'})`);
    return { name, size, sha256: '', md5: '', problems };
  }
  const sha256 = sha.digest('hex');
  const md5Text = md5.digest('base64');
  if (!props.contentMD5) problems.push('blob has no Content-MD5');
  else if (Buffer.from(props.contentMD5).toString('base64') !== md5Text)
    problems.push('Content-MD5 does not match the bytes');
  if (props.metadata?.sha256 !== sha256) problems.push('sha256 metadata does not match the bytes');
  if (props.contentLength !== undefined && props.contentLength !== size)
    problems.push(`read ${size} of ${props.contentLength} bytes`);
  return { name, size, sha256, md5: md5Text, problems };
}
