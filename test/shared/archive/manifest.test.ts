import { chunksToCopy, mergePlan, missingIndices, statusOf, type Manifest } from '../../../shared/archive/manifest';
import { BadInputError } from '../../../shared/errors';
import type { ChunkRef, RecordingPlan } from '../../../shared/events/recordingFileStatus';

const now = new Date('2026-11-23T12:00:00Z');

function chunk(index: number, endReason = 'SessionEnded', documentId = `doc-${index}`): ChunkRef {
  const base = `https://storage.asm.skype.com/v1/objects/${documentId}`;
  return {
    index,
    documentId,
    endReason,
    contentLocation: `${base}/content/video`,
    metadataLocation: `${base}/content/acsmetadata`,
    deleteLocation: base,
  };
}

function plan(eventId: string, chunks: ChunkRef[], overrides: Partial<RecordingPlan> = {}): RecordingPlan {
  return {
    eventId,
    eventTime: '2026-11-23T11:00:00.000Z',
    form: 'ga',
    callId: 'call-1',
    serverCallId: 'c2VydmVy',
    recordingId: 'rec==',
    recordingKey: '20261123T100000Z-12345678',
    recordingStartTime: '2026-11-23T10:00:00.0000000Z',
    recordingDurationMs: 1000,
    sessionEndReason: 'CallEnded',
    contentType: 'Audio',
    channelType: 'Mixed',
    formatType: 'Mp3',
    format: 'mp3',
    deadline: '2026-11-24T10:00:01.000Z',
    chunks,
    ...overrides,
  };
}

function archive(manifest: Manifest, ...indices: number[]): Manifest {
  const next = structuredClone(manifest);
  for (const c of next.chunks) if (indices.includes(c.index)) c.status = 'archived';
  next.status = statusOf(next);
  return next;
}

describe('mergePlan', () => {
  it('starts a pending manifest with every SPEC key', () => {
    const m = mergePlan(null, plan('e1', [chunk(0)]), now);
    expect(Object.keys(m).sort()).toEqual(
      [
        'schemaVersion',
        'callId',
        'serverCallId',
        'recordingId',
        'recordingKey',
        'recordingStartTime',
        'recordingDurationMs',
        'sessionEndReason',
        'contentType',
        'channelType',
        'formatType',
        'status',
        'deadline',
        'eventIds',
        'participants',
        'chunks',
        'createdAt',
        'updatedAt',
        'format',
      ].sort(),
    );
    expect(m.status).toBe('pending');
    expect(m.chunks[0]).toMatchObject({
      status: 'pending',
      blob: 'call-1/20261123T100000Z-12345678/chunk-0000.mp3',
      metadataBlob: 'call-1/20261123T100000Z-12345678/chunk-0000.metadata.json',
      size: null,
      attempts: 0,
    });
  });

  it('collects chunks from several events in any order, sorted, with every event id', () => {
    let m = mergePlan(null, plan('e3', [chunk(2)]), now);
    m = mergePlan(m, plan('e2', [chunk(1, 'ChunkMaximumSizeExceeded')]), now);
    m = mergePlan(m, plan('e1', [chunk(0, 'ChunkMaximumSizeExceeded')]), now);
    m = mergePlan(m, plan('e1', [chunk(0, 'ChunkMaximumSizeExceeded')]), now); // duplicate delivery
    expect(m.chunks.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(m.eventIds).toEqual(['e3', 'e2', 'e1']);
    expect(archive(m, 0, 1, 2).status).toBe('complete');
  });

  it('is not complete with a gap, or when the last chunk says more follow', () => {
    const gap = archive(
      mergePlan(mergePlan(null, plan('a', [chunk(0, 'ChunkMaximumSizeExceeded')]), now), plan('b', [chunk(2)]), now),
      0,
      2,
    );
    expect(gap.status).toBe('pending');
    expect(missingIndices(gap)).toEqual([1]);
    const more = archive(mergePlan(null, plan('a', [chunk(0, 'ChunkMaximumSizeExceeded')]), now), 0);
    expect(more.status).toBe('pending');
  });

  it('never loses or changes an archived chunk', () => {
    const first = archive(mergePlan(null, plan('a', [chunk(0)]), now), 0);
    first.chunks[0]!.sha256 = 'ab'.repeat(32);
    const again = mergePlan(
      first,
      plan('b', [{ ...chunk(0), contentLocation: 'https://storage.asm.skype.com/new' }]),
      now,
    );
    expect(again.chunks[0]).toEqual(first.chunks[0]);
    expect(again.status).toBe('complete');
  });

  it('rejects an event that moves a known index to another document, leaving the manifest unchanged', () => {
    const m = mergePlan(null, plan('a', [chunk(0)]), now);
    const before = structuredClone(m);
    expect(() => mergePlan(m, plan('b', [chunk(0, 'SessionEnded', 'other-doc')]), now)).toThrow(BadInputError);
    expect(m).toEqual(before);
  });

  it('keeps the earliest deadline and fills unknown fields from later events', () => {
    const m1 = mergePlan(null, plan('a', [chunk(1)], { recordingId: null, deadline: '2026-11-24T12:00:00.000Z' }), now);
    const m2 = mergePlan(m1, plan('b', [chunk(0)], { deadline: '2026-11-24T10:00:00.000Z' }), now);
    expect(m2.deadline).toBe('2026-11-24T10:00:00.000Z');
    expect(m2.recordingId).toBe('rec==');
    const m3 = mergePlan(m2, plan('c', [chunk(2)], { deadline: '2026-11-25T10:00:00.000Z' }), now);
    expect(m3.deadline).toBe('2026-11-24T10:00:00.000Z');
  });

  it('marks chunks without a location failed, and the recording failed', () => {
    const m = mergePlan(null, plan('a', [{ ...chunk(0), contentLocation: null, metadataLocation: null }]), now);
    expect(m.chunks[0]!.status).toBe('failed');
    expect(m.chunks[0]!.lastError).toMatch(/ACS_RECORDING_API=conversations/);
    expect(m.status).toBe('failed');
    expect(chunksToCopy(m)).toEqual([]);
  });
});
