import { BadInputError } from '../../../../shared/errors';
import { parseSubject, planFromEvent, type IncomingEvent } from '../../../../shared/events/recordingFileStatus';
import { fixtureEvent } from '../../../fixtures/events';
import { corpusEvent, PUBLISHED_SERVER_CALL_ID } from '../../../helpers/corpus';

const options = {
  endpoint: new URL('https://contoso.communication.azure.com/'),
  dialect: 'calling' as const,
  retentionHours: 24,
};
/** index.json's value for {recording-id}: the kind of recordingId the service issues (padded base64). */
const RECORDING_ID =
  'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUiLCJSZXNvdXJjZVNwZWNpZmljSWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUifQ==';
const GA_EVENT = 'eventgrid-examples/event-grid-schema.recording_file_status_updated.json';
const LEARN_2022 = 'learn/event-grid-voice-video.2022.RecordingFileStatusUpdated.json';
const GO_SDK = 'sdk/go-azsystemevents.TestConsumeAcsRecordingFileStatusUpdatedEventData.json';

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

describe('planFromEvent on published payloads', () => {
  it('reads the REST spec example of the GA event', () => {
    const plan = planFromEvent(incoming(corpusEvent(GA_EVENT)), options);
    expect(plan).toEqual({
      eventId: '7283825e-f8f1-4c61-a9ea-752c56890500',
      eventTime: '2021-07-27T15:20:34.219Z',
      form: 'ga',
      callId: '36cf910b-932c-4101-a443-04e11a98aba5',
      serverCallId: null,
      recordingId: RECORDING_ID,
      recordingKey: '20210727T152023Z-332dfa7f',
      recordingStartTime: '2021-07-27T15:20:23.6089755Z',
      recordingDurationMs: 6620,
      sessionEndReason: 'CallEnded',
      contentType: 'Audio',
      channelType: 'Mixed',
      formatType: 'Mp3',
      format: 'mp3',
      storageType: null,
      deadline: '2021-07-28T15:20:30.228Z', // start + duration + 24 h
      chunks: [
        {
          index: 0,
          documentId: '0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8',
          endReason: 'SessionEnded',
          contentLocation:
            'https://storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8/content/video',
          metadataLocation:
            'https://storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8/content/acsmetadata',
          deleteLocation:
            'https://storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8/content/deletedata',
        },
      ],
    });
  });

  it('takes a padded standard-base64 serverCallId with "/" from the subject exactly as given', () => {
    const plan = planFromEvent(
      incoming(corpusEvent(LEARN_2022, { '{server-call-id}': PUBLISHED_SERVER_CALL_ID })),
      options,
    );
    expect(plan.serverCallId).toBe(PUBLISHED_SERVER_CALL_ID);
    expect(plan.recordingId).toBe(RECORDING_ID);
    expect(plan.callId).toBe('36cf910b-932c-4101-a443-04e11a98aba5');
    // No format fields: nothing is guessed (an mp3 or wav is never taken for MP4); each chunk's metadata file says.
    expect(plan).toMatchObject({ contentType: null, channelType: null, formatType: null, format: null });
  });

  it('is as lenient as the schema: the Go SDK payload has no start time, duration or end reason', () => {
    const plan = planFromEvent(incoming(corpusEvent(GO_SDK)), options);
    expect(plan).toMatchObject({
      recordingStartTime: null,
      recordingDurationMs: null,
      sessionEndReason: null,
      recordingKey: 'undated-332dfa7f',
      deadline: '2017-08-17T03:54:38.269Z', // event time + 24 h
      format: 'mp3',
    });
    expect(plan.chunks[0]).toMatchObject({ deleteLocation: null, endReason: 'SessionEnded' });
  });
});

describe('planFromEvent', () => {
  it('reads the 2021 form: no locations without the conversations dialect, built paths with it', () => {
    // NOTE: built from the 2021 design documents' description of the form (documentId, index, endReason only); no published
    // payload of it with values was found (test/fixtures/acs-public/SOURCES.md).
    const event = fixtureEvent('recordingFileStatusUpdated.2021');
    const ga = planFromEvent(incoming(event), options);
    expect(ga.form).toBe('2021');
    // The one form that is MP4 by definition: no locations and no format fields.
    expect(ga).toMatchObject({ formatType: null, format: 'mp4' });
    expect(ga.recordingId).toBeNull();
    expect(ga.chunks[0]!.contentLocation).toBeNull();
    const preview = planFromEvent(incoming(event), { ...options, dialect: 'conversations' });
    expect(preview.chunks[0]).toMatchObject({
      contentLocation:
        'https://contoso.communication.azure.com/recording/download/0-eus-d2-3cca2175891f21c6c9a5975a12c0141c',
      metadataLocation:
        'https://contoso.communication.azure.com/recording/download/0-eus-d2-3cca2175891f21c6c9a5975a12c0141c/metadata',
    });
    // Without a recordingId the key hashes the start time exactly as given: sha256("2021-02-03T20:21:09.2099046Z").
    expect(preview.recordingKey).toBe('20210203T202109Z-0ec9d62a');
  });

  it('sorts chunks by index and folds exact duplicates', () => {
    const event = corpusEvent(GA_EVENT);
    const [first] = event.data.recordingStorageInfo.recordingChunks;
    event.data.recordingStorageInfo.recordingChunks = [
      { ...first, index: 2, documentId: 'doc-2' },
      { ...first, index: 0 },
      { ...first, index: 1, documentId: 'doc-1', endReason: 'ChunkMaximumSizeExceeded' },
      { ...first, index: 0 },
    ];
    expect(planFromEvent(incoming(event), options).chunks.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it.each<[string, (e: Record<string, any>) => void, Record<string, unknown>]>([
    [
      'a missing start time',
      (e) => delete e.data.recordingStartTime,
      { recordingStartTime: null, recordingKey: 'undated-332dfa7f' },
    ],
    [
      'a start time that is not a time',
      (e) => (e.data.recordingStartTime = 'yesterday'),
      { recordingStartTime: 'yesterday', recordingKey: 'undated-332dfa7f', deadline: '2021-07-28T15:20:34.219Z' },
    ],
    ['an unknown format', (e) => (e.data.recordingFormatType = 'Ogg'), { formatType: 'Ogg', format: 'bin' }],
    ['an enum in another casing', (e) => (e.data.recordingFormatType = 'mp3'), { format: 'mp3' }],
    [
      'a new session end reason',
      (e) => (e.data.sessionEndReason = 'SomethingNew'),
      { sessionEndReason: 'SomethingNew' },
    ],
    [
      'no duration',
      (e) => delete e.data.recordingDurationMs,
      { recordingDurationMs: null, deadline: '2021-07-28T15:20:34.219Z' },
    ],
  ])('accepts %s', (_name, mutate, expected) => {
    const event = corpusEvent(GA_EVENT);
    mutate(event);
    expect(planFromEvent(incoming(event), options)).toMatchObject(expected);
  });

  it('reads a bring-your-own-storage event: storageType and recordingId in data, no /recordingId/ in the subject', () => {
    // The published form is a commented schema (learn/bring-your-own-storage.notification-schema.txt): the REST
    // example's values put into that shape.
    const event = corpusEvent(GA_EVENT);
    event.subject = `/recording/call/36cf910b-932c-4101-a443-04e11a98aba5/serverCallId/${PUBLISHED_SERVER_CALL_ID}`;
    const { recordingContentType, recordingChannelType, recordingFormatType, ...rest } = event.data;
    expect([recordingContentType, recordingChannelType, recordingFormatType]).toEqual(['Audio', 'Mixed', 'Mp3']);
    event.data = { storageType: 'AzureBlob', recordingId: RECORDING_ID, ...rest };
    const plan = planFromEvent(incoming(event), options);
    expect(plan).toMatchObject({
      storageType: 'AzureBlob',
      recordingId: RECORDING_ID,
      serverCallId: PUBLISHED_SERVER_CALL_ID,
      recordingKey: '20210727T152023Z-332dfa7f',
      formatType: null,
      format: null,
    });
    expect(plan.chunks[0]!.contentLocation).toMatch(/\/content\/video$/);
  });

  it('takes the receipt time for a CloudEvent without time, and still refuses a time that is not one', () => {
    const event = corpusEvent(GA_EVENT);
    const receivedAt = new Date('2021-07-27T15:21:00.000Z');
    const untimed = { ...incoming(event), time: '' };
    expect(planFromEvent(untimed, { ...options, receivedAt })).toMatchObject({
      eventTime: '2021-07-27T15:21:00.000Z',
      deadline: '2021-07-28T15:20:30.228Z', // still start + duration + 24 h
    });
    delete event.data.recordingDurationMs;
    expect(planFromEvent({ ...incoming(event), time: '' }, { ...options, receivedAt }).deadline).toBe(
      '2021-07-28T15:21:00.000Z', // receipt + 24 h
    );
    expect(() => planFromEvent({ ...untimed, time: 'soon' }, { ...options, receivedAt })).toThrow(
      'event time is missing or not an ISO time',
    );
  });

  it('treats a chunk without endReason as the last one', () => {
    const event = corpusEvent(GA_EVENT);
    delete event.data.recordingStorageInfo.recordingChunks[0].endReason;
    expect(planFromEvent(incoming(event), options).chunks[0]!.endReason).toBeNull();
  });

  it('prefers data.recordingId over the subject', () => {
    const event = corpusEvent(GA_EVENT);
    event.data.recordingId = 'from-data';
    expect(planFromEvent(incoming(event), options).recordingId).toBe('from-data');
  });

  it.each<[string, (e: Record<string, any>) => void, string]>([
    ['a missing subject', (e) => delete e.subject, 'subject'],
    ['path traversal in the call id', (e) => (e.subject = '/recording/call/../../etc'), 'subject.callId'],
    ['an encoded traversal in the call id', (e) => (e.subject = '/recording/call/%2e%2e%2f'), 'subject.callId'],
    [
      'a serverCallId with a space',
      (e) => (e.subject = '/recording/call/c1/serverCallId/a b/recordingId/r'),
      'subject.serverCallId',
    ],
    ['an empty recordingId', (e) => (e.subject = '/recording/call/c1/recordingId/'), 'subject.recordingId'],
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
    ['a duration as a string', (e) => (e.data.recordingDurationMs = '6620'), 'data.recordingDurationMs'],
    [
      'an absurd duration (found by fuzzing)',
      (e) => (e.data.recordingDurationMs = 8638372514376393),
      'data.recordingDurationMs',
    ],
    ['a start time that is not a string', (e) => (e.data.recordingStartTime = 1627399223), 'data.recordingStartTime'],
    ['a wrong event type', (e) => (e.eventType = 'Microsoft.Communication.CallEnded'), 'eventType'],
    ['a missing event time', (e) => delete e.eventTime, 'eventTime'],
  ])('rejects %s, naming the field', (_name, mutate, field) => {
    const event = corpusEvent(GA_EVENT);
    mutate(event);
    expect(rejection(event).field).toBe(field);
  });

  it('rejects the same index under two documentIds', () => {
    const event = corpusEvent(GA_EVENT);
    const [first] = event.data.recordingStorageInfo.recordingChunks;
    event.data.recordingStorageInfo.recordingChunks.push({ ...first, documentId: 'another-doc' });
    expect(rejection(event).message).toMatch(/index 0 appears twice/);
  });
});

describe('parseSubject', () => {
  it.each([
    ['/recording/call/c1', { callId: 'c1', serverCallId: null, recordingId: null }],
    ['/recording/call/c1/recordingId/a/b+c==', { callId: 'c1', serverCallId: null, recordingId: 'a/b+c==' }],
    [
      `/recording/call/c1/serverCallId/${PUBLISHED_SERVER_CALL_ID}/recordingId/x/y=`,
      { callId: 'c1', serverCallId: PUBLISHED_SERVER_CALL_ID, recordingId: 'x/y=' },
    ],
    [
      `/recording/call/c1/serverCallId/${PUBLISHED_SERVER_CALL_ID}`,
      { callId: 'c1', serverCallId: PUBLISHED_SERVER_CALL_ID, recordingId: null },
    ],
  ])('cuts %s at its markers', (subject, expected) => {
    expect(parseSubject(subject)).toEqual(expected);
  });
});
