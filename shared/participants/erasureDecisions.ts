import type { ManifestStatus } from '../archive';
import type { AuditRecordBase } from './auditLog';
import type { Protection } from './recordingFolder';

/**
 * What an erasure does with each recording the participant appears in, and how the run ends. Pure.
 *
 * - `erase`: the folder is deleted, every blob and every version, then the index markers of everyone in it.
 * - `shared-not-erased`: other people are in it too, or may be (its participant list is not known to be complete:
 *   nobody listed, an entry or metadata file that could not be read, or this participant not listed); erasing it
 *   would erase their records. Only `--all-participants` erases it (whole: a recording cannot be cut per person).
 * - `held-not-erased`: a legal hold (ours, recorded under `holds/`, or one set on a blob) keeps it.
 * - `protected-not-erased`: a time-based immutability (WORM) policy keeps some of its blobs until it expires.
 * - `pending-deferred`: still being archived; chunks may land after a delete and bring it back, so it is left until
 *   the archiver is done (complete, or failed after its deadline) and the erasure stays open to be resumed.
 * - `already-gone`: nothing left in the archive; only the index marker is removed.
 *
 * Once a run has begun to erase a recording (its `erased/` marker is written before the first delete) the decision is
 * final: a resume erases the rest whatever the metadata files left say about who is in it.
 */

export type ErasureDecision =
  'erase' | 'shared-not-erased' | 'held-not-erased' | 'protected-not-erased' | 'pending-deferred' | 'already-gone';

export type BlobOutcome = 'deleted' | 'absent' | 'protected-legal-hold' | 'protected-policy' | 'failed' | 'planned';

export interface ErasureBlob {
  name: string;
  /** Versions found when planned (1 where the account keeps no versions). */
  versions: number;
  outcome: BlobOutcome;
  detail: string | null;
}

export interface ErasureRecording {
  callId: string;
  recordingKey: string;
  manifestStatus: ManifestStatus | null;
  recordingStartTime: string | null;
  /** When the source files expire: a pending recording is final by then (plus the sweeper's grace). */
  deadline: string | null;
  otherParticipants: number;
  decision: ErasureDecision;
  detail: string;
  outcome: 'planned' | 'erased' | 'incomplete' | 'not-erased';
  blobs: ErasureBlob[];
  /** Index markers removed (everyone's, for an erased recording; only this participant's for one already gone). */
  indexMarkersDeleted: number;
}

export interface ErasureRecord extends AuditRecordBase {
  kind: 'erase';
  /** SHA-256 (lowercase hex) of the participant id's canonical form; the id itself is never written. */
  participantSha256: string;
  /**
   * Every hash this participant's index markers may be under: the canonical one, and the one of the id exactly as
   * typed when it differs (markers an earlier version wrote). Absent in records from before it existed.
   */
  participantMarkerSha256s?: string[];
  /** Who ran it, as they said (`--operator`, free text). */
  operator: string;
  /** Who ran it, as Microsoft Entra ID says: the `oid` of the CLI's storage token; null with a connection string. */
  operatorObjectId?: string | null;
  reason: string;
  allParticipants: boolean;
  /** Every run that worked on this record: the first, and each resume. */
  runs: { operator: string; operatorObjectId?: string | null; startedAt: string; endedAt: string | null }[];
  recordings: ErasureRecording[];
}

export interface RecordingFacts {
  manifestStatus: ManifestStatus | null;
  blobCount: number;
  otherParticipants: number;
  /** Why its participant list may be incomplete (someone else may be in it); null when it is known complete. */
  participantsUncertain: string | null;
  allParticipants: boolean;
  /** An erasure has begun to delete it (its `erased/` marker is there). */
  erasing: boolean;
  /** Tags of our hold record for the recording. */
  holdTags: string[];
  /** Blobs that cannot be deleted now, and why. */
  protectedBlobs: { name: string; protection: Protection }[];
  deadline: string | null;
}

export function decideErasure(facts: RecordingFacts): { decision: ErasureDecision; detail: string } {
  if (facts.blobCount === 0) return { decision: 'already-gone', detail: 'nothing of it is left in the archive' };
  const heldBlobs = facts.protectedBlobs.filter((b) => b.protection === 'legal-hold');
  if (facts.holdTags.length > 0 || heldBlobs.length > 0) {
    const why = [
      facts.holdTags.length > 0 ? `legal hold ${facts.holdTags.join(', ')}` : '',
      heldBlobs.length > 0 ? `${heldBlobs.length} blob(s) under a legal hold` : '',
    ].filter(Boolean);
    return { decision: 'held-not-erased', detail: `${why.join('; ')}: clear the hold first (hold clear)` };
  }
  if (facts.protectedBlobs.length > 0) {
    return {
      decision: 'protected-not-erased',
      detail: `${facts.protectedBlobs.length} blob(s) under a time-based immutability policy; erase when it expires (resume)`,
    };
  }
  if (facts.manifestStatus === 'pending') {
    return {
      decision: 'pending-deferred',
      detail: `still being archived${facts.deadline ? ` (source files expire ${facts.deadline})` : ''}; resume once it is complete or failed`,
    };
  }
  const others =
    facts.otherParticipants > 0
      ? `${facts.otherParticipants} other participant(s)${facts.participantsUncertain ? ' and maybe more' : ''}`
      : null;
  const maybeShared = others !== null || facts.participantsUncertain !== null;
  if (maybeShared && !facts.allParticipants && !facts.erasing) {
    const why = others
      ? `shared with ${others}`
      : `maybe shared: its participant list is not known to be complete (${facts.participantsUncertain})`;
    return { decision: 'shared-not-erased', detail: `${why}; erased only with --all-participants` };
  }
  return {
    decision: 'erase',
    detail: facts.erasing
      ? 'an erasure of it had begun (its erased/ marker is written); the rest is erased'
      : maybeShared
        ? `erased whole, with the records of ${others ?? 'anyone else in it'} (--all-participants)`
        : facts.manifestStatus === null
          ? 'no manifest left (an earlier erasure stopped part way); the rest of the folder is erased'
          : 'only this participant is in it',
  };
}

/** A delete that failed, classified (Blob Storage error codes; 404 means someone deleted it first). */
export function outcomeOfDeleteError(error: unknown): { outcome: BlobOutcome; detail: string } {
  const e = error as { statusCode?: number; code?: string; details?: { errorCode?: string } };
  const code = e.code ?? e.details?.errorCode ?? '';
  if (e.statusCode === 404) return { outcome: 'absent', detail: 'already deleted' };
  if (/LegalHold/i.test(code)) return { outcome: 'protected-legal-hold', detail: code };
  if (/Immutab/i.test(code)) return { outcome: 'protected-policy', detail: code };
  return { outcome: 'failed', detail: `${e.statusCode ?? 'error'}${code ? ` ${code}` : ''}` };
}

/** The worse of two outcomes for one blob name (protected and failed outrank deleted; planned outranks nothing). */
export function worseOutcome(a: BlobOutcome, b: BlobOutcome): BlobOutcome {
  const rank: Record<BlobOutcome, number> = {
    planned: 0,
    absent: 1,
    deleted: 2,
    'protected-policy': 3,
    'protected-legal-hold': 4,
    failed: 5,
  };
  return rank[a] >= rank[b] ? a : b;
}

/**
 * `completed` when everything decided for erasure is erased and nothing waits; `incomplete` when something can still be
 * finished by resuming (pending, held, protected, failed); `nothing-found` when the index names no recording at all for
 * the id (a mistyped id, or an archive not indexed yet), which erased nothing and so is never `completed`.
 */
export function erasureStatus(recordings: readonly ErasureRecording[]): 'completed' | 'incomplete' | 'nothing-found' {
  if (recordings.length === 0) return 'nothing-found';
  const open = recordings.some(
    (r) =>
      r.decision === 'pending-deferred' ||
      r.decision === 'held-not-erased' ||
      r.decision === 'protected-not-erased' ||
      r.outcome === 'incomplete' ||
      r.outcome === 'planned',
  );
  return open ? 'incomplete' : 'completed';
}

/**
 * 0 when the participant is gone from the archive; 1 when anything of theirs remains (shared, held, deferred, failed),
 * or when no recording was found for the id at all: nothing was erased, and a mistyped id must not pass for done.
 */
export function erasureExitCode(recordings: readonly ErasureRecording[]): 0 | 1 {
  return recordings.length > 0 && recordings.every((r) => r.outcome === 'erased') ? 0 : 1;
}
