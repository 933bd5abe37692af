import type { ContainerClient } from '@azure/storage-blob';
import {
  ArchiveStore,
  RECORDING_LIST_PREFIX,
  invertDigits,
  recordingOfListEntry,
  serverCallListPrefix,
  type Manifest,
} from '../archive';
import { BadInputError, PermanentError } from '../errors';
import type { Logger } from '../logger';
import { participantRecordingsPage } from '../participants';
import { canonicalParticipantId, participantHash, type RecordingRef } from '../recording';
import { statusCode } from '../storage';
import type { ListQuery } from './listQuery';

/**
 * One page of the recordings list. Where the recordings come from depends on the most selective filter: a
 * participant (the participant index), a server call id (its list entries), a call id (that call's folder), or else
 * the recording list, newest first, a day at a time when a day range is asked for. Never the whole archive. The other
 * filters are applied to each recording's manifest, so a page may hold fewer rows than pageSize (or none) and still
 * have a continuation token: only a null token means the end. Each page reads at most MAX_SCANNED entries.
 */

export interface RecordingRow extends RecordingRef {
  serverCallId: string | null;
  /** The recording's start, or when the archive first saw it. */
  startTime: string;
  durationMs: number | null;
  chunkCount: number;
  totalBytes: number;
  participantCount: number;
  status: Manifest['status'];
  /** When ACS deletes the source files: what a pending recording must beat. */
  deadline: string;
  contentType: string | null;
  channelType: string | null;
}

export interface RecordingListPage {
  recordings: RecordingRow[];
  continuationToken: string | null;
}

interface Cursor {
  /** Which source the token belongs to (a token is refused with other filters). */
  s: string;
  /** Index into the query's days, for a day range. */
  d?: number;
  /** The storage listing's own continuation token. */
  m?: string;
}

// NOTE: bounded so a sparse filter (status) answers as fast as about three plain pages; the rest is behind the token.
const MAX_SCANNED = 60;

export interface ListStores {
  archive: ContainerClient;
  control: ContainerClient;
}

export function toRecordingRow(manifest: Manifest): RecordingRow {
  return {
    callId: manifest.callId,
    recordingKey: manifest.recordingKey,
    serverCallId: manifest.serverCallId,
    startTime: manifest.recordingStartTime ?? manifest.createdAt,
    durationMs: manifest.recordingDurationMs,
    chunkCount: manifest.chunks.length,
    totalBytes: manifest.chunks.reduce((sum, chunk) => sum + (chunk.size ?? 0), 0),
    participantCount: new Set((manifest.participants ?? []).map(canonicalParticipantId)).size,
    status: manifest.status,
    deadline: manifest.deadline,
    contentType: manifest.contentType,
    channelType: manifest.channelType,
  };
}

function sourceOf(query: ListQuery): string {
  if (query.participantId !== null) return `p:${participantHash(query.participantId).slice(0, 16)}`;
  if (query.serverCallId !== null) return `s:${serverCallListPrefix(query.serverCallId).slice(-17, -1)}`;
  if (query.callId !== null) return `c:${query.callId}`;
  return query.days ? `d:${query.days[0]}-${query.days.length}` : 'all';
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(token: string | null, source: string): Cursor {
  if (token === null) return { s: source, d: 0 };
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
  }
  if (typeof cursor !== 'object' || cursor === null || cursor.s !== source) {
    throw new BadInputError('continuationToken belongs to other filters; start again without it', 'continuationToken');
  }
  return cursor;
}

/** One listing page of refs from `container` under `prefix`. */
async function refsPage(
  container: ContainerClient,
  prefix: string,
  marker: string | undefined,
  size: number,
  toRef: (name: string) => RecordingRef | null,
): Promise<{ refs: RecordingRef[]; marker: string | undefined }> {
  const pages = container.listBlobsFlat({ prefix }).byPage({ maxPageSize: size, continuationToken: marker });
  let next;
  try {
    next = await pages.next();
  } catch (error) {
    if (marker !== undefined && statusCode(error) === 400) {
      throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
    }
    throw error;
  }
  if (next.done) return { refs: [], marker: undefined };
  const refs = next.value.segment.blobItems.map((item) => toRef(item.name)).filter((r) => r !== null);
  return { refs, marker: next.value.continuationToken || undefined };
}

/** The next refs after `cursor` (at most `size`), and the cursor after them (null at the end). */
async function nextRefs(
  stores: ListStores,
  query: ListQuery,
  cursor: Cursor,
  size: number,
): Promise<{ refs: RecordingRef[]; cursor: Cursor | null }> {
  const after = (marker: string | undefined) => (marker ? { ...cursor, m: marker } : null);
  if (query.participantId !== null) {
    const page = await participantRecordingsPage(stores.control, participantHash(query.participantId), {
      pageSize: size,
      continuationToken: cursor.m,
    });
    return { refs: page.recordings, cursor: after(page.continuationToken ?? undefined) };
  }
  if (query.serverCallId !== null) {
    const page = await refsPage(stores.control, serverCallListPrefix(query.serverCallId), cursor.m, size, (n) =>
      recordingOfListEntry(n),
    );
    return { refs: page.refs, cursor: after(page.marker) };
  }
  if (query.callId !== null) {
    const page = await refsPage(stores.archive, `${query.callId}/`, cursor.m, size, (name) => {
      const [callId, recordingKey, file] = name.split('/');
      return file === 'manifest.json' && callId && recordingKey ? { callId, recordingKey } : null;
    });
    return { refs: page.refs, cursor: after(page.marker) };
  }
  const day = cursor.d ?? 0;
  const prefix = query.days ? `${RECORDING_LIST_PREFIX}${invertDigits(query.days[day]!)}` : RECORDING_LIST_PREFIX;
  const page = await refsPage(stores.control, prefix, cursor.m, size, (n) => recordingOfListEntry(n));
  if (page.marker) return { refs: page.refs, cursor: { ...cursor, m: page.marker } };
  const nextDay = day + 1;
  const more = query.days !== null && nextDay < query.days.length;
  return { refs: page.refs, cursor: more ? { s: cursor.s, d: nextDay } : null };
}

function matches(row: RecordingRow, manifest: Manifest, query: ListQuery): boolean {
  if (query.status !== null && row.status !== query.status) return false;
  if (query.callId !== null && row.callId !== query.callId) return false;
  if (query.serverCallId !== null && row.serverCallId !== query.serverCallId) return false;
  if (query.days !== null) {
    const day = manifest.recordingKey.match(/^\d{8}/)?.[0] ?? manifest.createdAt.slice(0, 10).replace(/-/g, '');
    if (!query.days.includes(day)) return false;
  }
  return true;
}

async function readRow(
  store: ArchiveStore,
  ref: RecordingRef,
  log: Logger,
): Promise<{ row: RecordingRow; manifest: Manifest } | null> {
  try {
    const stored = await store.readManifest(ref.callId, ref.recordingKey);
    // An entry whose recording is gone (erased) or not written yet is no row.
    return stored ? { row: toRecordingRow(stored.manifest), manifest: stored.manifest } : null;
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    log.warn(`console: manifest of ${ref.callId}/${ref.recordingKey} cannot be read (${error.code}); skipped`);
    return null;
  }
}

export async function listRecordings(stores: ListStores, query: ListQuery, log: Logger): Promise<RecordingListPage> {
  const source = sourceOf(query);
  let cursor: Cursor | null = decodeCursor(query.continuationToken, source);
  const store = new ArchiveStore(stores.archive);
  const rows: RecordingRow[] = [];
  let scanned = 0;
  // NOTE: each round asks for no more entries than rows are still missing, so a full page ends exactly at an entry
  // boundary and the next page's cursor skips nothing.
  while (cursor !== null && rows.length < query.pageSize && scanned < MAX_SCANNED) {
    const wanted = Math.min(query.pageSize - rows.length, MAX_SCANNED - scanned);
    const next: { refs: RecordingRef[]; cursor: Cursor | null } = await nextRefs(stores, query, cursor, wanted);
    scanned += Math.max(next.refs.length, 1);
    const read = await Promise.all(next.refs.map((ref) => readRow(store, ref, log)));
    for (const found of read) if (found && matches(found.row, found.manifest, query)) rows.push(found.row);
    cursor = next.cursor;
  }
  return { recordings: rows, continuationToken: cursor === null ? null : encodeCursor(cursor) };
}
