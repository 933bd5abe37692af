import {
  chunkRefusal,
  chunksToCopy,
  mergePlan,
  missingIndices,
  sameManifest,
  statusOf,
  upgradeManifest,
  type Manifest,
} from '../../../../../shared/archive/manifest/manifest';
import { chunkFormatOf, chunksNamedOtherwise } from '../../../../../shared/archive/manifest/formats';
import { BadInputError } from '../../../../../shared/errors';
import type { ChunkRef, RecordingPlan } from '../../../../../shared/events/recordingFileStatus';
import {
  isNearDeadline,
  isPastDeadline,
  markArchived,
  markDeadlinePassed,
  markEnqueued,
  markFailed,
  markForRetry,
  markFormatFixed,
} from '../../../../../shared/archive/manifest/marks';

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
    storageType: null,
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
  it('starts a pending manifest with every documented key', () => {
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
        'storageType',
        'status',
        'deadline',
        'eventIds',
        'participants',
        'channels',
        'chunks',
        'createdAt',
        'updatedAt',
        'format',
        'formatSource',
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
    expect(m.chunks[0]!.failureCode).toBe('NoLocation');
    expect(m.status).toBe('failed');
    expect(chunksToCopy(m)).toEqual([]);
  });
});

describe('formats', () => {
  const unnamed = { formatType: null, format: null, contentType: null, channelType: null };
  const later = new Date('2026-11-23T12:05:00Z');
  const copied = (m: Manifest, index: number) =>
    markArchived(m, index, { size: 1, sha256: 'a', md5: 'b', attempts: 1, participants: [], channels: null }, later)!;

  it('names nothing after a format no event gave: the chunk waits for its metadata file', () => {
    const m = mergePlan(null, plan('a', [chunk(0)], unnamed), now);
    expect(m).toMatchObject({ formatType: null, format: null, formatSource: null });
    expect(m.chunks[0]).toMatchObject({ blob: 'call-1/20261123T100000Z-12345678/chunk-0000.bin', format: null });
    expect(chunkFormatOf(m, m.chunks[0]!, 'wav')).toBe('wav');
    expect(chunkFormatOf(m, m.chunks[0]!, null)).toBe('bin');
    expect(chunkFormatOf(m, m.chunks[0]!, 'flac')).toBe('bin');
  });

  it('takes formatType from the first metadata file when no event names it, and the chunk keeps the name it was copied under', () => {
    const m = mergePlan(null, plan('a', [chunk(0), chunk(1)], unnamed), now);
    const fixed = markFormatFixed(m, 0, { format: 'wav', metadataFormat: 'wav' }, later)!;
    expect(fixed).toMatchObject({ formatType: 'wav', format: 'wav', formatSource: 'metadata' });
    expect(fixed.chunks[0]).toMatchObject({ format: 'wav', blob: 'call-1/20261123T100000Z-12345678/chunk-0000.wav' });
    // Chunk 1 is not copied yet: a metadata file without a format falls back on the recording's.
    expect(chunkFormatOf(fixed, fixed.chunks[1]!, null)).toBe('wav');
    // Fixing it again changes nothing (a duplicate copy writes nothing).
    expect(markFormatFixed(fixed, 0, { format: 'wav', metadataFormat: 'wav' }, later)).toBeNull();
  });

  it("lets a later event's format win over a metadata file's, and renames only chunks not copied yet", () => {
    const m = mergePlan(null, plan('a', [chunk(0), chunk(1)], unnamed), now);
    const zeroFixed = markFormatFixed(m, 0, { format: 'wav', metadataFormat: 'wav' }, later)!;
    const named = mergePlan(zeroFixed, plan('b', [chunk(2)], { formatType: 'Wav', format: 'wav' }), later);
    expect(named).toMatchObject({ formatType: 'Wav', format: 'wav', formatSource: 'event' });
    expect(named.chunks.map((c) => c.blob.split('/').pop())).toEqual([
      'chunk-0000.wav',
      'chunk-0001.wav',
      'chunk-0002.wav',
    ]);
    expect(chunkFormatOf(named, named.chunks[1]!, 'mp3')).toBe('wav'); // the event wins over a disagreeing file
    // A second event naming another format changes nothing: the first one decided.
    const again = mergePlan(named, plan('c', [chunk(3)], { formatType: 'Mp3', format: 'mp3' }), later);
    expect(again).toMatchObject({ formatType: 'Wav', format: 'wav' });
    expect(again.chunks[3]!.blob).toMatch(/chunk-0003\.wav$/);
  });

  it('keeps the name of a chunk archived before its format was known, and says which ones', () => {
    const m = mergePlan(null, plan('a', [chunk(0, 'ChunkMaximumSizeExceeded'), chunk(1)], unnamed), now);
    const binary = copied(markFormatFixed(m, 0, { format: 'bin', metadataFormat: null }, later)!, 0);
    expect(chunksNamedOtherwise(binary)).toEqual([]);
    const named = mergePlan(binary, plan('b', [chunk(1)], { formatType: 'Wav', format: 'wav' }), later);
    expect(named.chunks[0]).toMatchObject({
      status: 'archived',
      format: 'bin',
      blob: expect.stringMatching(/chunk-0000\.bin$/),
    });
    expect(named.chunks[1]!.blob).toMatch(/chunk-0001\.wav$/);
    expect(chunksNamedOtherwise(named).map((c) => c.index)).toEqual([0]);
  });

  it('makes the 2021 form MP4 by definition, and records storageType', () => {
    const m = mergePlan(
      null,
      plan('a', [chunk(0)], { ...unnamed, form: '2021', format: 'mp4', storageType: 'AzureBlob' }),
      now,
    );
    expect(m).toMatchObject({ formatType: null, format: 'mp4', formatSource: 'event', storageType: 'AzureBlob' });
    expect(m.chunks[0]!.blob).toMatch(/chunk-0000\.mp4$/);
  });

  it('upgrades a manifest of the version that guessed MP4: only a formatType counts, archived names are kept', () => {
    const old = mergePlan(null, plan('a', [chunk(0), chunk(1)], unnamed), now) as Partial<Manifest>;
    delete old.formatSource;
    delete old.storageType;
    delete old.channels;
    old.format = 'mp4';
    old.chunks![0]!.status = 'archived';
    old.chunks![0]!.blob = 'call-1/20261123T100000Z-12345678/chunk-0000.mp4';
    for (const c of old.chunks!) delete c.format;
    const upgraded = upgradeManifest(old as Manifest);
    expect(upgraded).toMatchObject({ format: null, formatSource: null, storageType: null, channels: null });
    expect(upgraded.chunks.map((c) => c.format)).toEqual(['mp4', null]);
  });

  it('maps channels to participants from every chunk, sorted, the first chunk deciding a channel', () => {
    const m = mergePlan(null, plan('a', [chunk(0, 'ChunkMaximumSizeExceeded'), chunk(1)], unnamed), now);
    expect(m.channels).toBeNull();
    const result = (channels: { channel: number; participantId: string }[]) => ({
      size: 1,
      sha256: 'a',
      md5: 'b',
      attempts: 1,
      participants: channels.map((c) => c.participantId),
      channels,
    });
    const one = markArchived(m, 1, result([{ channel: 1, participantId: '8:acs:b' }]), later)!;
    const both = markArchived(
      one,
      0,
      result([
        { channel: 0, participantId: '8:acs:a' },
        { channel: 1, participantId: '8:acs:other' },
      ]),
      later,
    )!;
    expect(both.channels).toEqual([
      { channel: 0, participantId: '8:acs:a' },
      { channel: 1, participantId: '8:acs:b' },
    ]);
  });
});

describe('chunkRefusal', () => {
  it('accepts the published location forms', () => {
    expect(chunkRefusal(chunk(0, 'SessionEnded', '0-eus-d2-abc'))).toBeNull();
    expect(
      chunkRefusal({
        ...chunk(0, 'SessionEnded', '0-eus-d2-abc'),
        contentLocation: 'https://contoso.communication.azure.com/recording/download/0-eus-d2-abc',
        metadataLocation: 'https://contoso.communication.azure.com/recording/download/0-eus-d2-abc/metadata',
      }),
    ).toBeNull();
  });

  it.each([
    ['another document', 'https://storage.asm.skype.com/v1/objects/0-eus-d2-other/content/video'],
    ['a prefix of the document', 'https://storage.asm.skype.com/v1/objects/0-eus-d2-abcdef/content/video'],
    ['the control API', 'https://storage.asm.skype.com/calling/recordings/x'],
    ['the document as a mere segment', 'https://storage.asm.skype.com/rooms/0-eus-d2-abc/participants'],
    ['the document below another object', 'https://storage.asm.skype.com/v1/objects/x/0-eus-d2-abc/content/video'],
    ['a store object path cut short', 'https://storage.asm.skype.com/v1/objects/0-eus-d2-abc'],
  ])('refuses a content location naming %s', (_name, contentLocation) => {
    expect(chunkRefusal({ ...chunk(0, 'SessionEnded', '0-eus-d2-abc'), contentLocation })).toEqual({
      code: 'LocationMismatch',
      reason: expect.stringMatching(
        /^refused before any request: location path .* is not a published location of the chunk's document 0-eus-d2-abc /,
      ),
    });
  });
});

describe('a later event with other locations', () => {
  const rooms = (c: ChunkRef): ChunkRef => ({
    ...c,
    contentLocation: `https://storage.asm.skype.com/rooms/${c.documentId}/participants`,
    metadataLocation: `https://storage.asm.skype.com/rooms/${c.documentId}/metadata`,
  });

  it('never swaps a refused location in for a good one of a pending chunk', () => {
    const good = mergePlan(null, plan('a', [chunk(0)]), now);
    const merged = mergePlan(good, plan('b', [rooms(chunk(0))]), now);
    expect(merged.chunks[0]).toMatchObject({
      status: 'pending',
      contentLocation: chunk(0).contentLocation,
      metadataLocation: chunk(0).metadataLocation,
    });
    expect(merged.eventIds).toEqual(['a', 'b']);
  });

  it('heals a chunk refused for its locations when a later event brings usable ones', () => {
    const refused = mergePlan(null, plan('a', [rooms(chunk(0))]), now);
    expect(refused.chunks[0]).toMatchObject({ status: 'failed', failureCode: 'LocationMismatch' });
    const healed = mergePlan(refused, plan('b', [chunk(0)]), now);
    expect(healed.chunks[0]).toMatchObject({ status: 'pending', failureCode: null, lastError: null });
    expect(healed.chunks[0]!.contentLocation).toBe(chunk(0).contentLocation);
  });
});

describe('the manifest decisions', () => {
  const base = () => mergePlan(null, plan('a', [chunk(0, 'ChunkMaximumSizeExceeded'), chunk(1)]), now);
  const later = new Date('2026-11-23T12:05:00Z');

  it('markArchived records the copy, adds participants once, and completes the set with its last chunk', () => {
    const one = markArchived(
      base(),
      0,
      { size: 10, sha256: 'a'.repeat(64), md5: 'bWQ1', attempts: 2, participants: ['8:acs:1'], channels: null },
      later,
    )!;
    expect(one.status).toBe('pending');
    expect(one.chunks[0]).toMatchObject({
      status: 'archived',
      size: 10,
      attempts: 2,
      archivedAt: '2026-11-23T12:05:00.000Z',
    });
    const both = markArchived(
      one,
      1,
      {
        size: 5,
        sha256: 'b'.repeat(64),
        md5: 'bWQ2',
        attempts: 1,
        participants: ['8:acs:1', '8:acs:2'],
        channels: null,
      },
      later,
    )!;
    expect(both.status).toBe('complete');
    expect(both.participants).toEqual(['8:acs:1', '8:acs:2']);
    expect(both.updatedAt).toBe('2026-11-23T12:05:00.000Z');
    expect(
      markArchived(base(), 7, { size: 1, sha256: '', md5: '', attempts: 0, participants: [], channels: null }, later),
    ).toBeNull();
  });

  it('markFailed keeps a transient failure pending, fails for good when told, and never downgrades an archived chunk', () => {
    const transient = markFailed(
      base(),
      0,
      { status: 'pending', failureCode: 'Http503', error: 'answered 503', attempts: 3 },
      later,
    )!;
    expect(transient.chunks[0]).toMatchObject({ status: 'pending', failureCode: 'Http503', attempts: 3 });
    expect(transient.status).toBe('pending');
    const expired = markFailed(transient, 1, { status: 'expired', failureCode: 'SourceExpired', error: '404' }, later)!;
    expect(expired.status).toBe('failed');
    const archived = markArchived(
      base(),
      0,
      { size: 1, sha256: 'c', md5: 'd', attempts: 1, participants: [], channels: null },
      later,
    )!;
    expect(
      markFailed(archived, 0, { status: 'failed', failureCode: 'X', error: 'late' }, later)!.chunks[0]!.status,
    ).toBe('archived');
  });

  it('markFailed never brings back to pending a chunk the sweeper failed past its deadline while its copy ran', () => {
    const passed = markDeadlinePassed(base(), new Date('2026-11-24T11:00:02Z'));
    const late = markFailed(
      passed,
      0,
      { status: 'pending', failureCode: 'Http503', error: 'answered 503', attempts: 2 },
      later,
    )!;
    expect(late.status).toBe('failed');
    expect(late.chunks[0]).toEqual(passed.chunks[0]);
    const expired = markFailed(base(), 1, { status: 'expired', failureCode: 'SourceExpired', error: '404' }, later)!;
    const transient = markFailed(expired, 1, { status: 'pending', failureCode: 'Http503', error: '503' }, later)!;
    expect(transient.chunks[1]).toMatchObject({ status: 'expired', failureCode: 'SourceExpired', lastError: '404' });
  });

  it('markForRetry makes failed chunks pending again, markEnqueued stamps them', () => {
    const failed = markFailed(base(), 1, { status: 'failed', failureCode: 'LocationRefused', error: 'host' }, later)!;
    expect(failed.status).toBe('failed');
    const retried = markEnqueued(markForRetry(failed, [1], later), [1], later);
    expect(retried.status).toBe('pending');
    expect(retried.chunks[1]).toMatchObject({
      status: 'pending',
      enqueuedAt: '2026-11-23T12:05:00.000Z',
      failureCode: 'LocationRefused',
    });
  });

  it('isNearDeadline, isPastDeadline and markDeadlinePassed follow the deadline and the grace period', () => {
    const m = base(); // deadline 2026-11-24T10:00:01Z
    expect(isNearDeadline(m, new Date('2026-11-24T03:00:00Z'), 6)).toBe(false);
    expect(isNearDeadline(m, new Date('2026-11-24T04:30:00Z'), 6)).toBe(true);
    expect(isNearDeadline({ ...m, status: 'complete' }, new Date('2026-11-24T09:00:00Z'), 6)).toBe(false);
    expect(isPastDeadline(m, new Date('2026-11-24T10:30:00Z'), 1)).toBe(false);
    expect(isPastDeadline(m, new Date('2026-11-24T11:00:02Z'), 1)).toBe(true);
    const archivedFirst = markArchived(
      m,
      0,
      { size: 1, sha256: 'e', md5: 'f', attempts: 1, participants: [], channels: null },
      later,
    )!;
    const passed = markDeadlinePassed(archivedFirst, new Date('2026-11-24T11:00:02Z'));
    expect(passed.status).toBe('failed');
    expect(passed.chunks.map((c) => [c.status, c.failureCode])).toEqual([
      ['archived', null],
      ['failed', 'DeadlinePassed'],
    ]);
  });

  it('sameManifest ignores only updatedAt', () => {
    const m = base();
    expect(sameManifest(m, { ...m, updatedAt: 'later' })).toBe(true);
    expect(sameManifest(m, markEnqueued(m, [0], later))).toBe(false);
  });
});
