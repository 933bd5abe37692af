import type { BlockBlobClient } from '@azure/storage-blob';
import { RetryableError } from '../../errors';
import { statusCode } from '../../storage';

/**
 * What marks a chunk blob as archived: its `sha256` metadata, its Content-MD5 and its length, all set by one commit
 * of the whole file. A blob whose committed blocks are only a resumed prefix carries `partial` metadata and is never
 * taken for an archive.
 */

/** Metadata marking a blob whose committed blocks are only a resumed prefix, not the whole file. */
export const PARTIAL = 'partial';

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
export async function checkCommittedLength(blob: BlockBlobClient, expected: number): Promise<void> {
  const props = await blob.getProperties();
  if (props.contentLength === expected) return;
  await blob.setMetadata({ [PARTIAL]: 'true' }).catch(() => undefined);
  throw new RetryableError(
    'CommitLengthMismatch',
    `the committed blob has ${props.contentLength ?? 'no'} bytes, ${expected} were staged`,
  );
}
