import type { ContainerClient } from '@azure/storage-blob';
import { erasedMarkerName, type RecordingRef } from '../recording';
import { ConflictError } from '../errors';
import { AuditWriter, newAuditId, openAuditRecords, type AuditStores } from './auditLog';
import { decideErasure, type ErasureRecord, type ErasureRecording } from './erasureDecisions';
import { readHoldTags } from './legalHold';
import { participantRecordings } from './participantIndex';
import {
  listRecordingBlobs,
  protectionOf,
  readManifest,
  recordingParticipantHashes,
  type StoredBlob,
} from './recordingFolder';

/**
 * The first half of an erasure: what it would do (reads only), and its audit record, written as an intent before
 * anything is deleted. runErasure.ts carries it out.
 */

/** The archive, the control container (index, markers, holds) and the audit records. */
export interface ErasureStores extends AuditStores {
  archive: ContainerClient;
}

/**
 * What an erasure of `hash` (a canonical participant hash) would do now, recording by recording (reads only). The
 * index is read under `markerHashes` too (default: `hash` alone): markers an earlier version wrote under the hash of
 * the id exactly as written, until `index rebuild` has replaced them.
 */
export async function planErasure(
  stores: Pick<ErasureStores, 'archive' | 'control'>,
  hash: string,
  options: { allParticipants: boolean; also?: RecordingRef[]; now?: Date; markerHashes?: readonly string[] },
): Promise<ErasureRecording[]> {
  const refs = new Map<string, RecordingRef>();
  for (const ref of options.also ?? []) refs.set(`${ref.callId}/${ref.recordingKey}`, ref);
  for (const markerHash of new Set([hash, ...(options.markerHashes ?? [])])) {
    for await (const ref of participantRecordings(stores.control, markerHash))
      refs.set(`${ref.callId}/${ref.recordingKey}`, ref);
  }
  const plan: ErasureRecording[] = [];
  for (const ref of [...refs.values()].sort(byRef)) {
    plan.push(await planRecording(stores, ref, hash, options.allParticipants, options.now ?? new Date()));
  }
  return plan;
}

async function planRecording(
  stores: Pick<ErasureStores, 'archive' | 'control'>,
  ref: RecordingRef,
  hash: string,
  allParticipants: boolean,
  now: Date,
): Promise<ErasureRecording> {
  const [manifest, blobs, holdTags, erasing] = await Promise.all([
    readManifest(stores.archive, ref),
    listRecordingBlobs(stores.archive, ref),
    readHoldTags(stores.control, ref),
    stores.control.getBlobClient(erasedMarkerName(ref.callId, ref.recordingKey)).exists(),
  ]);
  const everyone = await recordingParticipantHashes(stores.archive, manifest, blobs);
  const otherParticipants = everyone.hashes.filter((h) => h !== hash).length;
  const protectedBlobs = blobs.flatMap((b) => {
    const protection = protectionOf(b, now);
    return protection ? [{ name: b.name, protection }] : [];
  });
  const { decision, detail } = decideErasure({
    manifestStatus: manifest?.status ?? null,
    blobCount: blobs.length,
    otherParticipants,
    participantsUncertain: uncertainty(everyone, hash),
    allParticipants,
    erasing,
    holdTags,
    protectedBlobs,
    deadline: manifest?.deadline ?? null,
  });
  return {
    callId: ref.callId,
    recordingKey: ref.recordingKey,
    manifestStatus: manifest?.status ?? null,
    recordingStartTime: manifest?.recordingStartTime ?? null,
    deadline: manifest?.deadline ?? null,
    otherParticipants,
    decision,
    detail,
    outcome: decision === 'erase' || decision === 'already-gone' ? 'planned' : 'not-erased',
    blobs: blobsByName(blobs).map(({ name, versions }) => ({ name, versions, outcome: 'planned', detail: null })),
    indexMarkersDeleted: 0,
  };
}

/**
 * Why the list of who is in a recording may be incomplete, or null when it is known to hold exactly who is in it:
 * an entry or a metadata file that could not be read may be anyone, and a list without the participant the index
 * names for it is not the whole list.
 */
function uncertainty(everyone: { hashes: string[]; problems: string[] }, hash: string): string | null {
  const [first, ...more] = everyone.problems;
  if (first !== undefined) return `${first}${more.length > 0 ? `; and ${more.length} more` : ''}`;
  if (everyone.hashes.length === 0) return 'nobody is listed in its manifest or metadata files';
  if (!everyone.hashes.includes(hash)) return 'this participant is not listed in it';
  return null;
}

/** Writes the intent record; nothing is deleted yet. */
export async function startErasure(
  stores: AuditStores,
  request: {
    hash: string;
    markerHashes?: string[];
    operator: string;
    operatorObjectId?: string | null;
    reason: string;
    allParticipants: boolean;
    plan: ErasureRecording[];
  },
  now: () => Date = () => new Date(),
): Promise<AuditWriter<ErasureRecord>> {
  const at = now().toISOString();
  return AuditWriter.create<ErasureRecord>(
    stores,
    {
      schemaVersion: 1,
      id: newAuditId('erase', now()),
      kind: 'erase',
      status: 'in-progress',
      startedAt: at,
      updatedAt: at,
      completedAt: null,
      participantSha256: request.hash,
      participantMarkerSha256s: request.markerHashes ?? [request.hash],
      operator: request.operator,
      operatorObjectId: request.operatorObjectId ?? null,
      reason: request.reason,
      allParticipants: request.allParticipants,
      runs: [],
      recordings: request.plan,
    },
    { participant: request.hash },
  );
}

/**
 * The open (in-progress or incomplete) erasures of a participant, newest first, under any of their hashes (records an
 * earlier version began name the hash of the id as it was typed then).
 */
export async function openErasures(stores: AuditStores, hashes: readonly string[]): Promise<string[]> {
  return (await openAuditRecords(stores, 'erase', { participant: hashes })).map((r) => r.id);
}

/**
 * Re-plans an existing record for a resume: recordings already erased stay as they are; every other one, and any the
 * index now lists, is planned afresh with the record's own options.
 */
export async function replanErasure(
  stores: ErasureStores,
  id: string,
  now: Date = new Date(),
): Promise<{ writer: AuditWriter<ErasureRecord>; plan: ErasureRecording[] }> {
  const writer = await AuditWriter.open<ErasureRecord>(stores, id);
  const record = writer.record;
  if (record.kind !== 'erase') throw new ConflictError(`audit record ${id} is not an erasure`, 'NotAnErasure');
  const done = record.recordings.filter((r) => r.outcome === 'erased');
  const doneKeys = new Set(done.map((r) => `${r.callId}/${r.recordingKey}`));
  const fresh = await planErasure(stores, record.participantSha256, {
    allParticipants: record.allParticipants,
    markerHashes: record.participantMarkerSha256s ?? [],
    also: record.recordings.filter((r) => r.outcome !== 'erased'),
    now,
  });
  const before = new Map(record.recordings.map((r) => [`${r.callId}/${r.recordingKey}`, r]));
  const again = fresh
    .filter((r) => !doneKeys.has(`${r.callId}/${r.recordingKey}`))
    .map((r) => withEarlierBlobs(r, before.get(`${r.callId}/${r.recordingKey}`)));
  return { writer, plan: [...done, ...again].sort(byRef) };
}

/**
 * Keeps what an earlier run did to blobs that are gone now. The record is saved after each recording, so blobs an
 * interrupted run deleted may still read `planned`: found gone on resume, they were deleted by that run.
 */
function withEarlierBlobs(fresh: ErasureRecording, earlier: ErasureRecording | undefined): ErasureRecording {
  if (!earlier) return fresh;
  const present = new Set(fresh.blobs.map((b) => b.name));
  const gone = earlier.blobs
    .filter((b) => !present.has(b.name))
    .map((b) =>
      b.outcome === 'planned'
        ? { ...b, outcome: 'deleted' as const, detail: 'deleted by an earlier run, before it was interrupted' }
        : b,
    );
  return { ...fresh, blobs: [...fresh.blobs, ...gone].sort((a, b) => a.name.localeCompare(b.name)) };
}

function blobsByName(blobs: StoredBlob[]): { name: string; versions: number }[] {
  const counts = new Map<string, number>();
  for (const b of blobs) counts.set(b.name, (counts.get(b.name) ?? 0) + 1);
  return [...counts].map(([name, versions]) => ({ name, versions })).sort((a, b) => a.name.localeCompare(b.name));
}

export function byRef(a: RecordingRef, b: RecordingRef): number {
  return a.callId.localeCompare(b.callId) || a.recordingKey.localeCompare(b.recordingKey);
}
