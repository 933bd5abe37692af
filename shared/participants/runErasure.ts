import { AppError, RetryableError } from '../errors';
import { erasedMarkerName, type RecordingRef } from '../recording';
import { inParallel } from '../concurrency';
import type { AuditWriter } from './auditLog';
import {
  erasureStatus,
  outcomeOfDeleteError,
  worseOutcome,
  type BlobOutcome,
  type ErasureBlob,
  type ErasureRecord,
  type ErasureRecording,
} from './erasureDecisions';
import { deleteMarkersFor } from './participantIndex';
import type { ErasureStores } from './planErasure';
import { listRecordingBlobs, readManifest, recordingParticipantHashes, type StoredBlob } from './recordingFolder';

/**
 * The second half of an erasure, audited. The audit record is already written as an intent (`in-progress`,
 * planErasure.ts); it is rewritten after each recording, so an interrupted run is visible and a resume finishes it.
 * Within a recording the `erased/` marker goes first (the decision is final: from then on no late or redelivered event
 * archives it again, and a resume erases the rest), then the media and metadata, the manifest last, then the index
 * markers, so that a crash at any point leaves the recording findable and the next run picks it up.
 */

export interface ErasureRunOptions {
  operator: string;
  /** The `oid` of the operator's Entra token; null with a connection string (Azurite). */
  operatorObjectId?: string | null;
  now?: () => Date;
  signal?: AbortSignal;
  /** After each blob delete (tests interrupt a run here). */
  onBlobDeleted?: (name: string) => void;
  /** After each recording is done. */
  onRecording?: (recording: ErasureRecording) => void;
}

/** Carries out the record's plan, saving it after each recording; returns the final record. */
export async function runErasure(
  stores: ErasureStores,
  writer: AuditWriter<ErasureRecord>,
  plan: ErasureRecording[],
  options: ErasureRunOptions,
): Promise<ErasureRecord> {
  const now = options.now ?? (() => new Date());
  const record = structuredClone(writer.record);
  record.recordings = structuredClone(plan);
  record.status = 'in-progress';
  record.completedAt = null;
  const run = {
    operator: options.operator,
    operatorObjectId: options.operatorObjectId ?? null,
    startedAt: now().toISOString(),
    endedAt: null as string | null,
  };
  record.runs.push(run);
  const save = async () => {
    record.updatedAt = now().toISOString();
    await writer.save(structuredClone(record));
  };
  await save();
  for (const recording of record.recordings) {
    if (recording.outcome !== 'planned') continue;
    if (options.signal?.aborted) throw interrupted(record.id);
    if (recording.decision === 'already-gone') {
      await markErased(stores, recording, record.id);
      recording.indexMarkersDeleted = await deleteMarkersFor(stores.control, recording, markerHashesOf(record));
      recording.outcome = 'erased';
    } else {
      await eraseRecording(stores, recording, record, options);
    }
    await save();
    options.onRecording?.(recording);
  }
  record.status = erasureStatus(record.recordings);
  run.endedAt = now().toISOString();
  record.completedAt = record.status === 'completed' ? run.endedAt : null;
  await save();
  return record;
}

async function eraseRecording(
  stores: ErasureStores,
  recording: ErasureRecording,
  record: ErasureRecord,
  options: ErasureRunOptions,
): Promise<void> {
  await markErased(stores, recording, record.id);
  // Everyone's markers go with the recording: read who is in it before the metadata files are deleted.
  const before = await listRecordingBlobs(stores.archive, recording);
  const everyone = await recordingParticipantHashes(
    stores.archive,
    await readManifest(stores.archive, recording),
    before,
  );
  const outcomes = new Map<string, { outcome: BlobOutcome; detail: string | null }>();
  const note = (name: string, outcome: BlobOutcome, detail: string | null) => {
    const known = outcomes.get(name);
    const worst = known ? worseOutcome(known.outcome, outcome) : outcome;
    outcomes.set(name, { outcome: worst, detail: worst === known?.outcome ? known.detail : detail });
  };
  const remove = async (blob: Pick<StoredBlob, 'name' | 'versionId'>, base: boolean) => {
    if (options.signal?.aborted) throw interrupted(record.id);
    const client = stores.archive.getBlobClient(blob.name);
    try {
      if (base) await client.delete({ deleteSnapshots: 'include' });
      else await client.withVersion(blob.versionId!).delete();
      note(blob.name, 'deleted', null);
      options.onBlobDeleted?.(blob.name);
    } catch (error) {
      const { outcome, detail } = outcomeOfDeleteError(error);
      note(blob.name, outcome, detail);
    }
  };
  // 1. The current blobs: media and metadata, then the manifest. (With versioning, a delete keeps a previous version.)
  const names = orderForDeletion([...new Set(before.filter((b) => b.isCurrentVersion).map((b) => b.name))]);
  await inParallel(names.rest, 4, (name) => remove({ name, versionId: null }, true));
  if (names.manifest && !hasFailures(outcomes)) await remove({ name: names.manifest, versionId: null }, true);
  // 2. Every version left (none where the account keeps no versions), the manifest's last.
  if (!hasFailures(outcomes)) {
    const versions = (await listRecordingBlobs(stores.archive, recording)).filter((b) => b.versionId !== null);
    const ordered = orderForDeletion(versions.map((v) => v.name));
    const manifestVersions = versions.filter((v) => v.name === ordered.manifest);
    await inParallel(
      versions.filter((v) => v.name !== ordered.manifest),
      4,
      (v) => remove(v, false),
    );
    if (!hasFailures(outcomes)) for (const v of manifestVersions) await remove(v, false);
  }
  // 3. What is still there decides.
  const left = await listRecordingBlobs(stores.archive, recording);
  for (const blob of left) if (!outcomes.has(blob.name)) note(blob.name, 'failed', 'still there after the delete');
  recording.blobs = mergeBlobOutcomes(recording.blobs, outcomes, left);
  if (left.length === 0) {
    const hashes = [...new Set([...everyone.markerHashes, ...markerHashesOf(record)])];
    recording.indexMarkersDeleted = await deleteMarkersFor(stores.control, recording, hashes);
    recording.outcome = 'erased';
  } else {
    recording.outcome = 'incomplete';
    recording.detail = `${left.length} blob version(s) could not be deleted; the manifest and index markers are kept`;
  }
}

/** The participant's own marker hashes (records from before they were kept name the one hash). */
function markerHashesOf(record: ErasureRecord): string[] {
  return record.participantMarkerSha256s ?? [record.participantSha256];
}

/** Marks the recording erased for ingest (which then ignores its events), before anything of it is deleted. */
async function markErased(stores: ErasureStores, ref: RecordingRef, auditId: string): Promise<void> {
  await stores.control.getBlockBlobClient(erasedMarkerName(ref.callId, ref.recordingKey)).upload('', 0, {
    metadata: { auditid: auditId },
  });
}

function mergeBlobOutcomes(
  planned: ErasureBlob[],
  outcomes: Map<string, { outcome: BlobOutcome; detail: string | null }>,
  left: StoredBlob[],
): ErasureBlob[] {
  const byName = new Map(planned.map((b) => [b.name, { ...b }]));
  for (const [name, result] of outcomes) {
    const entry = byName.get(name) ?? { name, versions: 0, outcome: 'planned' as BlobOutcome, detail: null };
    entry.outcome = result.outcome;
    entry.detail = result.detail;
    byName.set(name, entry);
  }
  const leftNames = new Set(left.map((b) => b.name));
  for (const entry of byName.values()) {
    if (entry.outcome === 'planned') entry.outcome = leftNames.has(entry.name) ? 'failed' : 'absent';
    if (entry.outcome === 'deleted' && leftNames.has(entry.name)) {
      entry.outcome = 'failed';
      entry.detail = 'a version is still there';
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function hasFailures(outcomes: Map<string, { outcome: BlobOutcome }>): boolean {
  return [...outcomes.values()].some((o) => o.outcome !== 'deleted' && o.outcome !== 'absent');
}

/** The manifest apart, to be deleted last. */
function orderForDeletion(names: string[]): { rest: string[]; manifest: string | null } {
  const manifest = names.find((n) => n.endsWith('/manifest.json')) ?? null;
  return { rest: names.filter((n) => n !== manifest).sort(), manifest };
}

function interrupted(id: string): AppError {
  return new RetryableError(
    'ErasureInterrupted',
    `erasure interrupted; audit record ${id} stays open: resume it with participant erase --resume ${id}`,
  );
}
