import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  foreignSourceReason,
  isEventGridSystemEvent,
  parseEventEnvelopes,
  subscriptionValidationCode,
  toEventEnvelope,
} from '../../../../shared/events/envelope';
import { BadInputError } from '../../../../shared/errors';
import { ACS_PUBLIC } from '../../../helpers/paths';

/** Microsoft's published payloads, verbatim; their sources are listed in test/fixtures/acs-public/SOURCES.md. */
const corpus = (file: string): unknown => JSON.parse(readFileSync(path.join(ACS_PUBLIC, file), 'utf8'));

// The ARM id of an ACS resource, in the form of the Learn examples (their topic is lower-case).
const OUR_RESOURCE =
  '/subscriptions/{subscription-id}/resourceGroups/{group-name}/providers/Microsoft.Communication/communicationServices/{communication-services-resource-name}';

describe('toEventEnvelope', () => {
  it('reads an Event Grid-schema event, with its topic as the source', () => {
    const envelope = toEventEnvelope(corpus('eventgrid-examples/legacy.call_started.json'));
    expect(envelope).toMatchObject({
      schema: 'EventGrid',
      id: 'a8bcd8a3-12d7-46ba-8cde-f6d0bda8feeb',
      type: 'Microsoft.Communication.CallStarted',
      source:
        '/subscriptions/{subscription-id}/resourcegroups/{group-name}/providers/microsoft.communication/communicationservices/{communication-services-resource-name}',
      time: '2021-09-22T17:02:38.6905856Z',
    });
  });

  it('reads a CloudEvent without time (optional in CloudEvents 1.0): its time is empty, not a rejection', () => {
    const { time, ...untimed } = corpus(
      'eventgrid-examples/cloud-events-schema.recording_file_status_updated.json',
    ) as {
      time: string;
    };
    expect(time).toBe('2021-07-27T15:20:34.2199328Z');
    expect(toEventEnvelope(untimed)).toMatchObject({ schema: 'CloudEvents', time: '' });
  });

  it('reads a CloudEvent, with its source', () => {
    const envelope = toEventEnvelope(corpus('eventgrid-examples/cloud-events-schema.call_ended.json'));
    expect(envelope).toMatchObject({
      schema: 'CloudEvents',
      id: '02272459-badb-4e2e-b538-4cb8a2f71da6',
      type: 'Microsoft.Communication.CallEnded',
      source: OUR_RESOURCE,
    });
  });

  it.each([['specversion'], ['specVersion'], ['SpecVersion'], ['SPECVERSION']])(
    'takes the CloudEvents key %s in any case',
    (key) => {
      const event = {
        [key]: '1.0',
        id: 'e-1',
        source: 'calling/x',
        type: 'Microsoft.Communication.CallConnected',
        data: {},
      };
      expect(toEventEnvelope(event)).toMatchObject({ schema: 'CloudEvents', id: 'e-1', source: 'calling/x' });
    },
  );

  it('gives an empty source when a CloudEvent has none, and refuses another specversion naming the field', () => {
    expect(toEventEnvelope({ specversion: '1.0', id: 'e', type: 't' }).source).toBe('');
    expect(() => toEventEnvelope({ specversion: '0.3', id: 'e', type: 't' })).toThrow(
      expect.objectContaining({ field: 'specversion' }),
    );
  });

  it('reads the 2021 CallLegStateChanged callback, which has neither id nor topic', () => {
    // learn/call-recording.2021-04.CallLegStateChanged.txt, without its arrow markers and with the placeholder filled.
    const callback = {
      id: null,
      topic: null,
      subject: 'callLeg/<callLegId>/callState',
      data: { ConversationId: 'Y29udmVyc2F0aW9uLWlk', CallLegId: '<callLegId>', CallState: 'Established' },
      eventType: 'Microsoft.Communication.CallLegStateChanged',
      eventTime: '2021-04-14T16:32:34.1115003Z',
      metadataVersion: null,
      dataVersion: null,
    };
    expect(toEventEnvelope(callback)).toMatchObject({ schema: 'EventGrid', id: '', source: '' });
  });

  it('requires an id once a topic says Event Grid delivered it', () => {
    expect(() => toEventEnvelope({ topic: '/subscriptions/x', eventType: 't', eventTime: 'now' })).toThrow(
      expect.objectContaining({ field: 'id' }),
    );
  });
});

describe('parseEventEnvelopes and subscriptionValidationCode', () => {
  it('answers the Event Grid handshake with its validation code', () => {
    const envelopes = parseEventEnvelopes(corpus('learn/webhook-event-delivery.SubscriptionValidationEvent.json'));
    expect(subscriptionValidationCode(envelopes)).toBe('512d38b6-c7b8-40c8-89fe-f46f9e9622b6');
  });

  it('names the index of a bad event in a batch', () => {
    let caught: unknown;
    try {
      parseEventEnvelopes([
        { specversion: '1.0', id: 'a', type: 't' },
        { specversion: '1.0', type: 't' },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BadInputError);
    expect(caught).toMatchObject({ field: '[1].id' });
  });
});

describe('foreignSourceReason', () => {
  const ours = OUR_RESOURCE.toLowerCase(); // as config.senders.acsResourceId holds it

  it('accepts an event from our resource, whatever the case of its topic', () => {
    const legacy = toEventEnvelope(corpus('eventgrid-examples/legacy.call_started.json'));
    const cloud = toEventEnvelope(corpus('eventgrid-examples/cloud-events-schema.call_ended.json'));
    expect(foreignSourceReason(legacy, ours)).toBeNull();
    expect(foreignSourceReason(cloud, ours)).toBeNull();
  });

  it('refuses a system event from another resource, and one without a topic', () => {
    const foreign = toEventEnvelope({
      ...(corpus('eventgrid-examples/legacy.call_started.json') as object),
      topic: '/subscriptions/other/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/evil',
    });
    expect(foreignSourceReason(foreign, ours)).toBe(
      "event a8bcd8a3-12d7-46ba-8cde-f6d0bda8feeb (Microsoft.Communication.CallStarted) comes from topic '/subscriptions/other/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/evil', not from the ACS resource in ACS_RESOURCE_ID",
    );
    const noTopic = toEventEnvelope({
      ...(corpus('eventgrid-examples/legacy.call_started.json') as object),
      topic: null,
      id: 'x',
    });
    expect(foreignSourceReason(noTopic, ours)).toMatch(/names no topic/);
  });

  it('strips control characters from what it echoes', () => {
    const planted = toEventEnvelope({
      specversion: '1.0',
      id: 'evil\r\nRecordingStopped {"forged":true}',
      source: '/subscriptions/x\u001b[31m',
      type: 'Microsoft.Communication.CallEnded',
    });
    const reason = foreignSourceReason(planted, ours)!;
    for (const c of ['\r', '\n', '\u001b']) expect(reason).not.toContain(c);
    expect(reason).toContain('evil??RecordingStopped');
  });

  it('checks nothing when ACS_RESOURCE_ID is not set, and never checks Call Automation callbacks or handshakes', () => {
    const foreign = toEventEnvelope({
      specversion: '1.0',
      id: 'e',
      source: '/elsewhere',
      type: 'Microsoft.Communication.CallEnded',
    });
    expect(foreignSourceReason(foreign, null)).toBeNull();
    const callback = toEventEnvelope(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json'));
    expect(foreignSourceReason(callback, ours)).toBeNull();
    const handshake = parseEventEnvelopes(corpus('learn/webhook-event-delivery.SubscriptionValidationEvent.json'))[0]!;
    expect(foreignSourceReason(handshake, ours)).toBeNull();
  });

  it.each([
    ['Microsoft.Communication.CallStarted', true],
    ['microsoft.communication.callended', true],
    ['Microsoft.Communication.RecordingFileStatusUpdated', true],
    ['Microsoft.Storage.BlobCreated', true],
    ['Microsoft.Communication.CallConnected', false],
    ['Microsoft.Communication.RecordingStateChanged', false],
    ['Microsoft.Communication.CallLegStateChanged', false],
    ['Microsoft.EventGrid.SubscriptionValidationEvent', false],
    ['Contoso.Custom', false],
  ])('isEventGridSystemEvent(%s) is %s', (type, expected) => {
    expect(isEventGridSystemEvent({ type })).toBe(expected);
  });
});
