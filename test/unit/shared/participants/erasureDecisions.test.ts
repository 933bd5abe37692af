import {
  decideErasure,
  erasureExitCode,
  erasureStatus,
  outcomeOfDeleteError,
  worseOutcome,
  type ErasureRecording,
  type RecordingFacts,
} from '../../../../shared/participants/erasureDecisions';
import { protectionOf } from '../../../../shared/participants/recordingFolder';

const facts = (over: Partial<RecordingFacts> = {}): RecordingFacts => ({
  manifestStatus: 'complete',
  blobCount: 3,
  otherParticipants: 0,
  participantsUncertain: null,
  allParticipants: false,
  erasing: false,
  holdTags: [],
  protectedBlobs: [],
  deadline: '2026-05-13T10:00:00.000Z',
  ...over,
});

const recording = (over: Partial<ErasureRecording>): ErasureRecording => ({
  callId: 'c',
  recordingKey: 'k',
  manifestStatus: 'complete',
  recordingStartTime: null,
  deadline: null,
  otherParticipants: 0,
  decision: 'erase',
  detail: '',
  outcome: 'erased',
  blobs: [],
  indexMarkersDeleted: 1,
  ...over,
});

describe('erasure decisions', () => {
  it('erases a recording only this participant is in', () => {
    expect(decideErasure(facts())).toEqual({ decision: 'erase', detail: 'only this participant is in it' });
  });

  it('keeps a shared recording unless --all-participants, which erases it whole', () => {
    expect(decideErasure(facts({ otherParticipants: 2 }))).toEqual({
      decision: 'shared-not-erased',
      detail: 'shared with 2 other participant(s); erased only with --all-participants',
    });
    expect(decideErasure(facts({ otherParticipants: 2, allParticipants: true }))).toEqual({
      decision: 'erase',
      detail: 'erased whole, with the records of 2 other participant(s) (--all-participants)',
    });
  });

  it('keeps a recording whose participant list is not known to be complete, unless --all-participants', () => {
    const unread = 'chunk-0000.metadata.json: participants[1]: is a number, not a participant';
    expect(decideErasure(facts({ participantsUncertain: unread }))).toEqual({
      decision: 'shared-not-erased',
      detail: `maybe shared: its participant list is not known to be complete (${unread}); erased only with --all-participants`,
    });
    expect(decideErasure(facts({ participantsUncertain: unread, otherParticipants: 1 }))).toEqual({
      decision: 'shared-not-erased',
      detail: 'shared with 1 other participant(s) and maybe more; erased only with --all-participants',
    });
    expect(decideErasure(facts({ participantsUncertain: unread, allParticipants: true }))).toEqual({
      decision: 'erase',
      detail: 'erased whole, with the records of anyone else in it (--all-participants)',
    });
  });

  it('finishes a recording an erasure began to delete, whoever else is in it; a hold still wins', () => {
    expect(decideErasure(facts({ erasing: true, otherParticipants: 2, participantsUncertain: 'x' }))).toEqual({
      decision: 'erase',
      detail: 'an erasure of it had begun (its erased/ marker is written); the rest is erased',
    });
    expect(decideErasure(facts({ erasing: true, holdTags: ['CASE-1'] })).decision).toBe('held-not-erased');
  });

  it('refuses a held recording, by our hold record or by a blob legal hold, before anything else', () => {
    expect(decideErasure(facts({ holdTags: ['CASE-123'], otherParticipants: 1, manifestStatus: 'pending' }))).toEqual({
      decision: 'held-not-erased',
      detail: 'legal hold CASE-123: clear the hold first (hold clear)',
    });
    expect(
      decideErasure(facts({ protectedBlobs: [{ name: 'c/k/chunk-0000.mp4', protection: 'legal-hold' }] })).decision,
    ).toBe('held-not-erased');
  });

  it('keeps a recording a time-based WORM policy protects', () => {
    expect(decideErasure(facts({ protectedBlobs: [{ name: 'c/k/manifest.json', protection: 'policy' }] }))).toEqual({
      decision: 'protected-not-erased',
      detail: '1 blob(s) under a time-based immutability policy; erase when it expires (resume)',
    });
  });

  it('defers a recording that is still being archived', () => {
    expect(decideErasure(facts({ manifestStatus: 'pending', otherParticipants: 3 }))).toEqual({
      decision: 'pending-deferred',
      detail:
        'still being archived (source files expire 2026-05-13T10:00:00.000Z); resume once it is complete or failed',
    });
  });

  it('erases a failed recording, and what is left of one whose manifest is gone', () => {
    expect(decideErasure(facts({ manifestStatus: 'failed' })).decision).toBe('erase');
    expect(decideErasure(facts({ manifestStatus: null })).detail).toMatch(/no manifest left/);
  });

  it('has nothing to erase where nothing is left', () => {
    expect(decideErasure(facts({ blobCount: 0, holdTags: ['CASE-1'] })).decision).toBe('already-gone');
  });

  it('tells protected blob versions apart: legal hold, unexpired policy, expired policy', () => {
    const now = new Date('2026-05-12T10:00:00Z');
    expect(protectionOf({ legalHold: true, policyExpiresOn: null }, now)).toBe('legal-hold');
    expect(protectionOf({ legalHold: false, policyExpiresOn: new Date('2026-05-12T10:00:01Z') }, now)).toBe('policy');
    expect(protectionOf({ legalHold: false, policyExpiresOn: new Date('2026-05-12T09:59:59Z') }, now)).toBeNull();
  });

  // Status and error code pairs from "Blob service error codes" (learn.microsoft.com/rest/api/storageservices/
  // blob-service-error-codes): BlobImmutableDueToLegalHold and BlobImmutableDueToPolicy are 409 Conflict.
  it.each([
    [{ statusCode: 409, code: 'BlobImmutableDueToLegalHold' }, 'protected-legal-hold'],
    [{ statusCode: 409, code: 'BlobImmutableDueToPolicy' }, 'protected-policy'],
    [{ statusCode: 409, details: { errorCode: 'BlobImmutableDueToPolicy' } }, 'protected-policy'],
    [{ statusCode: 404, code: 'BlobNotFound' }, 'absent'],
    [{ statusCode: 403, code: 'AuthorizationPermissionMismatch' }, 'failed'],
    [new Error('socket hang up'), 'failed'],
  ])('classifies a failed delete %j as %s', (error, outcome) => {
    expect(outcomeOfDeleteError(error).outcome).toBe(outcome);
  });

  it('keeps the worst outcome of a blob name across its versions', () => {
    expect(worseOutcome('deleted', 'protected-policy')).toBe('protected-policy');
    expect(worseOutcome('failed', 'deleted')).toBe('failed');
    expect(worseOutcome('absent', 'deleted')).toBe('deleted');
  });

  it('completes when everything decided is done; stays open for what can still be finished', () => {
    expect(erasureStatus([recording({}), recording({ decision: 'shared-not-erased', outcome: 'not-erased' })])).toBe(
      'completed',
    );
    expect(erasureStatus([recording({ decision: 'pending-deferred', outcome: 'not-erased' })])).toBe('incomplete');
    expect(erasureStatus([recording({ decision: 'held-not-erased', outcome: 'not-erased' })])).toBe('incomplete');
    expect(erasureStatus([recording({ outcome: 'incomplete' })])).toBe('incomplete');
    expect(erasureStatus([recording({ outcome: 'planned' })])).toBe('incomplete');
  });

  it('exits 0 only when nothing of the participant is left', () => {
    expect(erasureExitCode([recording({}), recording({})])).toBe(0);
    expect(erasureExitCode([recording({}), recording({ decision: 'shared-not-erased', outcome: 'not-erased' })])).toBe(
      1,
    );
  });

  it('an erasure that found no recording at all is `nothing-found` and exits 1, never a silent `completed` 0', () => {
    // A mistyped id (or one typed in another case before ids were canonical) finds nothing: that is no erasure.
    expect(erasureStatus([])).toBe('nothing-found');
    expect(erasureExitCode([])).toBe(1);
  });
});
