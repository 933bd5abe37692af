import type { ContainerClient } from '@azure/storage-blob';
import { statusCode, streamToText } from '../storage';
import { BadInputError, NotFoundError, RetryableError, toError } from '../errors';
import { inParallel } from '../concurrency';
import { AuditWriter, newAuditId, type AuditRecordBase, type AuditStores } from './auditLog';
import type { RecordingRef } from '../recording';
import { listRecordingBlobs, readManifest } from './recordingFolder';

/**
 * Legal holds on recordings. Blob Storage has one legal-hold flag per blob version (version-level immutability), with
 * no tag; so the tags (case numbers) live in a hold record in the control container,
 * `holds/{callId}/{recordingKey}.json`, and the flag stays set while any tag does: clearing CASE-1 does not release a
 * recording CASE-2 still holds. Every change is an audit record. Where the container has no version-level
 * immutability (Azurite, most containers) nothing is changed and the caller is told so.
 */

export interface HoldRecord {
  callId: string;
  recordingKey: string;
  tags: Record<string, { setAt: string; operator: string; auditId: string }>;
}

export type HoldBlobOutcome = 'held' | 'released' | 'kept' | 'failed';

export interface HoldAuditRecord extends AuditRecordBase {
  kind: 'hold';
  action: 'set' | 'clear';
  tag: string;
  operator: string;
  /** The `oid` of the operator's Entra token; null with a connection string (Azurite). */
  operatorObjectId: string | null;
  reason: string | null;
  recordings: {
    callId: string;
    recordingKey: string;
    manifestStatus: string | null;
    /** Tags holding the recording after this change. */
    tagsAfter: string[];
    blobs: { name: string; versionId: string | null; outcome: HoldBlobOutcome; detail: string | null }[];
  }[];
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function parseHoldTag(value: unknown): string {
  if (typeof value !== 'string' || !TAG.test(value)) {
    throw new BadInputError(
      'tag must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. CASE-123)',
      'tag',
    );
  }
  return value;
}

function holdRecordName(ref: RecordingRef): string {
  return `holds/${ref.callId}/${ref.recordingKey}.json`;
}

/** The tags holding a recording (empty when none). */
export async function readHoldTags(control: ContainerClient, ref: RecordingRef): Promise<string[]> {
  const found = await readHoldRecord(control, ref);
  return found ? Object.keys(found.record.tags).sort() : [];
}

async function readHoldRecord(
  control: ContainerClient,
  ref: RecordingRef,
): Promise<{ record: HoldRecord; etag: string } | null> {
  try {
    const response = await control.getBlobClient(holdRecordName(ref)).download();
    const text = await streamToText(response.readableStreamBody, 1024 * 1024);
    return { record: JSON.parse(text) as HoldRecord, etag: response.etag ?? '' };
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
}

/** Adds or removes a tag under ETag conditions; returns the tags after the change. */
async function changeHoldRecord(
  control: ContainerClient,
  ref: RecordingRef,
  change: (tags: HoldRecord['tags']) => void,
): Promise<string[]> {
  const blob = control.getBlockBlobClient(holdRecordName(ref));
  for (let attempt = 0; attempt < 20; attempt++) {
    const found = await readHoldRecord(control, ref);
    const record: HoldRecord = found?.record ?? { callId: ref.callId, recordingKey: ref.recordingKey, tags: {} };
    change(record.tags);
    const tags = Object.keys(record.tags).sort();
    try {
      if (tags.length === 0) {
        if (found) await blob.delete({ conditions: { ifMatch: found.etag } });
      } else {
        const body = JSON.stringify(record, null, 2);
        await blob.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: found ? { ifMatch: found.etag } : { ifNoneMatch: '*' },
        });
      }
      return tags;
    } catch (error) {
      const status = statusCode(error);
      if (status === 412 || status === 409 || (status === 404 && found)) continue;
      throw error;
    }
  }
  throw new RetryableError('HoldRecordContention', `hold record of ${ref.callId}/${ref.recordingKey} kept changing`);
}

/** True only where Blob Storage can hold single blobs: a container with version-level immutability. */
async function supportsLegalHold(archive: ContainerClient): Promise<boolean> {
  const properties = await archive.getProperties();
  return properties.isImmutableStorageWithVersioningEnabled === true;
}

class LegalHoldUnsupportedError extends BadInputError {
  constructor(container: string) {
    super(
      `container ${container} does not have version-level immutability, so Blob Storage cannot hold its blobs ` +
        '(Azurite never can); nothing was changed. Enable version-level immutability on the container to use hold.',
      'container',
      'LegalHoldUnsupported',
    );
  }
}

/** The recordings of a call (every one with a manifest or any blob), or the one named. */
async function recordingsOfCall(
  archive: ContainerClient,
  callId: string,
  recordingKey?: string,
): Promise<RecordingRef[]> {
  const keys = new Set<string>();
  const prefix = recordingKey ? `${callId}/${recordingKey}/` : `${callId}/`;
  for await (const item of archive.listBlobsFlat({ prefix })) {
    const [, key] = item.name.split('/');
    if (key) keys.add(key);
  }
  if (keys.size === 0) {
    throw new NotFoundError(
      recordingKey
        ? `no recording ${callId}/${recordingKey} in the archive`
        : `no recording of call ${callId} in the archive`,
    );
  }
  return [...keys].sort().map((key) => ({ callId, recordingKey: key }));
}

/**
 * Sets or clears the hold of `tag` on the recordings of a call (or the one named) and records it in the audit log.
 * Nothing is changed where the container cannot hold blobs (LegalHoldUnsupported). Set: the tag is recorded first, then
 * every blob version is held (a crash in between leaves the recording refused by erase, and `hold set` again finishes
 * it). Clear: the tag is removed first, and the blobs are released only when no other tag holds them.
 */
export async function changeLegalHold(
  stores: AuditStores & { archive: ContainerClient },
  request: {
    action: 'set' | 'clear';
    tag: string;
    operator: string;
    operatorObjectId?: string | null;
    reason: string | null;
    callId: string;
    recordingKey?: string;
    now?: () => Date;
  },
): Promise<HoldAuditRecord> {
  const now = request.now ?? (() => new Date());
  if (!(await supportsLegalHold(stores.archive))) throw new LegalHoldUnsupportedError(stores.archive.containerName);
  const recordings = await recordingsOfCall(stores.archive, request.callId, request.recordingKey);
  const at = now().toISOString();
  const id = newAuditId('hold', now());
  const writer = await AuditWriter.create<HoldAuditRecord>(stores, {
    schemaVersion: 1,
    id,
    kind: 'hold',
    status: 'in-progress',
    startedAt: at,
    updatedAt: at,
    completedAt: null,
    action: request.action,
    tag: request.tag,
    operator: request.operator,
    operatorObjectId: request.operatorObjectId ?? null,
    reason: request.reason,
    recordings: recordings.map((r) => ({ ...r, manifestStatus: null, tagsAfter: [], blobs: [] })),
  });
  const record = structuredClone(writer.record);
  for (const entry of record.recordings) {
    entry.tagsAfter = await changeHoldRecord(stores.control, entry, (tags) => {
      if (request.action === 'set') tags[request.tag] ??= { setAt: at, operator: request.operator, auditId: id };
      else delete tags[request.tag];
    });
    const hold = entry.tagsAfter.length > 0;
    entry.manifestStatus = (await readManifest(stores.archive, entry))?.status ?? null;
    const blobs = await listRecordingBlobs(stores.archive, entry);
    entry.blobs = blobs.map((b) => ({ name: b.name, versionId: b.versionId, outcome: 'failed', detail: null }));
    await inParallel(entry.blobs, 8, async (target) => {
      try {
        const client = stores.archive.getBlobClient(target.name);
        await (target.versionId ? client.withVersion(target.versionId) : client).setLegalHold(hold);
        target.outcome = hold ? (request.action === 'set' ? 'held' : 'kept') : 'released';
      } catch (error) {
        target.detail = toError(error).message.split('\n')[0]!.slice(0, 200);
      }
    });
    record.updatedAt = now().toISOString();
    await writer.save(structuredClone(record));
  }
  const failed = record.recordings.some((r) => r.blobs.some((b) => b.outcome === 'failed'));
  record.status = failed ? 'incomplete' : 'completed';
  record.completedAt = now().toISOString();
  record.updatedAt = record.completedAt;
  await writer.save(record);
  return record;
}
