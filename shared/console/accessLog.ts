import { randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { BadInputError } from '../errors';
import type { RecordingRef } from '../recording';
import { streamToText } from '../storage';
import type { ConsoleCaller } from './access';

/**
 * Access records: who looked at, played, verified or downloaded which recording (and chunk), when, from where. They go
 * into the audit container (AUDIT_CONTAINER: version-level WORM in Azure), one create-only blob per access,
 * `access/{callId}/{recordingKey}/{yyyymmddTHHMMSSmmmZ}-{random}.json`, so a recording's log is one prefix listing
 * in time order and nothing rewrites a record. Every action writes its record *before* it reads anything the caller
 * could keep (a manifest, a SAS): an access that could not be recorded does not happen.
 */

export type AccessAction = 'inspect' | 'play' | 'verify' | 'download' | 'access-log';

export interface AccessRecord {
  schemaVersion: 1;
  kind: 'access';
  action: AccessAction;
  who: string;
  via: ConsoleCaller['via'];
  callId: string;
  recordingKey: string;
  /** The chunk played or verified; null for the recording as a whole. */
  chunk: number | null;
  at: string;
  /** The client address as the platform's front end saw it (x-forwarded-for), and its user agent. */
  from: { address: string | null; userAgent: string | null };
  /** What the action found, for `verify`: each chunk's check. */
  result?: unknown;
}

export const ACCESS_PREFIX = 'access/';

export function accessPrefix(ref: RecordingRef): string {
  return `${ACCESS_PREFIX}${ref.callId}/${ref.recordingKey}/`;
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

/** Where the request came from; header values are bounded and never trusted as more than what they say. */
export function requestOrigin(header: (name: string) => string | null | undefined): AccessRecord['from'] {
  const forwarded = header('x-forwarded-for')?.split(',')[0]?.trim() ?? header('x-client-ip') ?? null;
  const printable = (v: string | null | undefined, max: number) =>
    v ? v.replace(/[^\x20-\x7e]/g, '?').slice(0, max) : null;
  return { address: printable(forwarded, 64), userAgent: printable(header('user-agent'), 200) };
}

/** Writes one access record (create-only); a failure throws, and the caller then must not go on. */
export async function writeAccessRecord(
  audit: ContainerClient,
  caller: ConsoleCaller,
  what: { action: AccessAction; ref: RecordingRef; chunk?: number | null; result?: unknown },
  from: AccessRecord['from'],
  now: Date,
): Promise<AccessRecord & { blobName: string }> {
  const record: AccessRecord = {
    schemaVersion: 1,
    kind: 'access',
    action: what.action,
    who: caller.who,
    via: caller.via,
    callId: what.ref.callId,
    recordingKey: what.ref.recordingKey,
    chunk: what.chunk ?? null,
    at: now.toISOString(),
    from,
    ...(what.result === undefined ? {} : { result: what.result }),
  };
  const blobName = `${accessPrefix(what.ref)}${stamp(now)}-${randomBytes(4).toString('hex')}.json`;
  const body = JSON.stringify(record, null, 2);
  await audit.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    metadata: { kind: 'access', action: what.action },
    // NOTE: create-only, as every audit record: a record once written is never replaced.
    conditions: { ifNoneMatch: '*' },
  });
  return { ...record, blobName };
}

/** One page of a recording's access records, oldest first. */
export async function accessLogPage(
  audit: ContainerClient,
  ref: RecordingRef,
  page: { pageSize: number; continuationToken?: string },
): Promise<{ records: AccessRecord[]; continuationToken: string | null }> {
  const pages = audit
    .listBlobsFlat({ prefix: accessPrefix(ref) })
    .byPage({ maxPageSize: page.pageSize, continuationToken: page.continuationToken });
  let next;
  try {
    next = await pages.next();
  } catch (error) {
    if (page.continuationToken !== undefined) {
      throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
    }
    throw error;
  }
  if (next.done) return { records: [], continuationToken: null };
  const records = await Promise.all(
    next.value.segment.blobItems.map(async (item) => {
      const response = await audit.getBlobClient(item.name).download();
      return JSON.parse(await streamToText(response.readableStreamBody, 1024 * 1024)) as AccessRecord;
    }),
  );
  return { records, continuationToken: next.value.continuationToken || null };
}
