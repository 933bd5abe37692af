import { BadInputError } from '../../../shared/errors';
import { planFromEvent, type IncomingEvent } from '../../../shared/events/recordingFileStatus';
import { fixtureEvent } from '../../fixtures/events';

const options = {
  endpoint: new URL('https://contoso.communication.azure.com/'),
  dialect: 'calling' as const,
  retentionHours: 24,
};

function incoming(event: Record<string, any>): IncomingEvent {
  return { id: event.id, type: event.eventType, subject: event.subject, time: event.eventTime, data: event.data };
}

function rejection(event: Record<string, any>, opts = options): BadInputError {
  try {
    planFromEvent(incoming(event), opts);
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error('expected a rejection');
}

describe('planFromEvent', () => {
  it('reads the documented GA event', () => {
    const plan = planFromEvent(incoming(fixtureEvent('recordingFileStatusUpdated.eventgrid')), options);
    expect(plan).toMatchObject({
      eventId: '7283825e-f8f1-4c61-a9ea-752c56890500',
      form: 'ga',
      callId: 'bbc0c8ea-6f0c-4f9c-a3b4-8b5f1a6c0c11',
      recordingStartTime: '2021-07-27T15:20:23.6089755Z',
      recordingDurationMs: 6620,
      sessionEndReason: 'CallEnded',
      contentType: 'AudioVideo',
      format: 'mp4',
      // start + duration + 24 h
      deadline: new Date(Date.parse('2021-07-27T15:20:23.6089755Z') + 6620 + 24 * 3_600_000).toISOString(),
    });
    expect(plan.recordingId).toMatch(/==$/); // opaque, with '=' kept
    expect(plan.serverCallId).toMatch(/^aHR0cHM6/);
    expect(plan.recordingKey).toMatch(/^20210727T152023Z-[0-9a-f]{8}$/);
    expect(plan.chunks).toEqual([
      expect.objectContaining({
        index: 0,
        documentId: '0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8',
        contentLocation:
          'https://storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8/content/video',
        deleteLocation: 'https://us-storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8',
      }),
    ]);
  });

  it('reads the 2021 form: no locations without the conversations dialect, built paths with it', () => {
    const event = fixtureEvent('recordingFileStatusUpdated.2021');
    const ga = planFromEvent(incoming(event), options);
    expect(ga.form).toBe('2021');
    expect(ga.recordingId).toBeNull();
    expect(ga.chunks[0]!.contentLocation).toBeNull();
    const preview = planFromEvent(incoming(event), { ...options, dialect: 'conversations' });
    expect(preview.chunks[0]).toMatchObject({
      contentLocation:
        'https://contoso.communication.azure.com/recording/download/0-eus-d2-3cca2175891f21c6c9a5975a12c0141c',
      metadataLocation:
        'https://contoso.communication.azure.com/recording/download/0-eus-d2-3cca2175891f21c6c9a5975a12c0141c/metadata',
    });
    // Without a recordingId the key hashes the start time exactly as given.
    expect(preview.recordingKey).toMatch(/^20210203T202109Z-[0-9a-f]{8}$/);
  });

  it('sorts chunks by index and folds exact duplicates', () => {
    const event = fixtureEvent('recordingFileStatusUpdated.eventgrid');
    const [first] = event.data.recordingStorageInfo.recordingChunks;
    event.data.recordingStorageInfo.recordingChunks = [
      { ...first, index: 2, documentId: 'doc-2' },
      { ...first, index: 0 },
      { ...first, index: 1, documentId: 'doc-1', endReason: 'ChunkMaximumSizeExceeded' },
      { ...first, index: 0 },
    ];
    expect(planFromEvent(incoming(event), options).chunks.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it.each<[string, (e: Record<string, any>) => void, string]>([
    ['a missing subject', (e) => delete e.subject, 'subject'],
    ['path traversal in the call id', (e) => (e.subject = '/recording/call/../../etc'), 'subject'],
    ['an encoded traversal in the call id', (e) => (e.subject = '/recording/call/%2e%2e%2f'), 'subject.callId'],
    ['a missing data', (e) => delete e.data, 'data'],
    [
      'chunks that are not an array',
      (e) => (e.data.recordingStorageInfo.recordingChunks = {}),
      'data.recordingStorageInfo.recordingChunks',
    ],
    [
      'no chunks',
      (e) => (e.data.recordingStorageInfo.recordingChunks = []),
      'data.recordingStorageInfo.recordingChunks',
    ],
    [
      'a negative index',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = -1),
      'data.recordingStorageInfo.recordingChunks[0].index',
    ],
    [
      'a fractional index',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = 1.5),
      'data.recordingStorageInfo.recordingChunks[0].index',
    ],
    [
      'a huge index',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = 10000),
      'data.recordingStorageInfo.recordingChunks[0].index',
    ],
    [
      'an index as a string',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = '0'),
      'data.recordingStorageInfo.recordingChunks[0].index',
    ],
    [
      'a traversal documentId',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].documentId = '../x'),
      'data.recordingStorageInfo.recordingChunks[0].documentId',
    ],
    [
      'a missing documentId',
      (e) => delete e.data.recordingStorageInfo.recordingChunks[0].documentId,
      'data.recordingStorageInfo.recordingChunks[0].documentId',
    ],
    [
      'a location that is not a URL',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].contentLocation = 'not a url'),
      'data.recordingStorageInfo.recordingChunks[0].contentLocation',
    ],
    [
      'a file: location',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].contentLocation = 'file:///etc/passwd'),
      'data.recordingStorageInfo.recordingChunks[0].contentLocation',
    ],
    ['a missing start time', (e) => delete e.data.recordingStartTime, 'data.recordingStartTime'],
    ['a start time that is not a time', (e) => (e.data.recordingStartTime = 'yesterday'), 'data.recordingStartTime'],
    ['a duration as a string', (e) => (e.data.recordingDurationMs = '6620'), 'data.recordingDurationMs'],
    [
      'an absurd duration (found by fuzzing)',
      (e) => (e.data.recordingDurationMs = 8638372514376393),
      'data.recordingDurationMs',
    ],
    ['an unknown format', (e) => (e.data.recordingFormatType = 'Ogg'), 'data.recordingFormatType'],
    ['a wrong event type', (e) => (e.eventType = 'Microsoft.Communication.CallEnded'), 'eventType'],
    ['a missing event time', (e) => delete e.eventTime, 'eventTime'],
  ])('rejects %s, naming the field', (_name, mutate, field) => {
    const event = fixtureEvent('recordingFileStatusUpdated.eventgrid');
    mutate(event);
    expect(rejection(event).field).toBe(field);
  });

  it('rejects the same index under two documentIds', () => {
    const event = fixtureEvent('recordingFileStatusUpdated.eventgrid');
    const [first] = event.data.recordingStorageInfo.recordingChunks;
    event.data.recordingStorageInfo.recordingChunks.push({ ...first, documentId: 'another-doc' });
    expect(rejection(event).message).toMatch(/index 0 appears twice/);
  });

  it('is lenient with enum casing and absent optional fields', () => {
    const event = fixtureEvent('recordingFileStatusUpdated.eventgrid');
    event.data.recordingFormatType = 'mp3';
    delete event.data.recordingDurationMs;
    delete event.data.sessionEndReason;
    const plan = planFromEvent(incoming(event), options);
    expect(plan.format).toBe('mp3');
    expect(plan.deadline).toBe(new Date(Date.parse(event.eventTime) + 24 * 3_600_000).toISOString());
  });
});
