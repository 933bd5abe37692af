import { readFileSync } from 'node:fs';
import path from 'node:path';
import { callMomentOf } from '../../../../shared/events/callEvents';
import { parseEventEnvelopes, toEventEnvelope } from '../../../../shared/events/envelope';
import { ACS_PUBLIC } from '../../../helpers/paths';

/** Microsoft's published payloads, verbatim; their sources are listed in test/fixtures/acs-public/SOURCES.md. */
const corpusText = (file: string): string => readFileSync(path.join(ACS_PUBLIC, file), 'utf8');
/** A payload with its documented placeholder `{serverCallId}` filled in (nothing else changes). */
const corpus = (file: string, serverCallId = PADDED): unknown =>
  JSON.parse(corpusText(file).replaceAll('{serverCallId}', serverCallId));

// From the 2025-06-15 StartRecording REST example (CallRecording_StartRecording.json in Azure/azure-rest-api-specs).
const PADDED = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
const UNPADDED = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI_aT0wJmU9NzU3NzA4NzU3OQ';

describe('callMomentOf', () => {
  it.each([[PADDED], [UNPADDED]])('takes CallStarted and CallEnded serverCallIds exactly as given: %s', (id) => {
    const started = toEventEnvelope(corpus('eventgrid-examples/legacy.call_started.json', id));
    expect(callMomentOf(started)).toEqual({
      kind: 'established',
      serverCallId: id,
      callConnectionId: null,
      eventType: 'Microsoft.Communication.CallStarted',
    });
    const ended = toEventEnvelope(corpus('eventgrid-examples/legacy.call_ended.json', id));
    expect(callMomentOf(ended)).toEqual({
      kind: 'ended',
      serverCallId: id,
      eventType: 'Microsoft.Communication.CallEnded',
    });
  });

  it('reads the CloudEvents CallEnded example (its serverCallId is the literal Y3NVcmw)', () => {
    const ended = toEventEnvelope(corpus('eventgrid-examples/cloud-events-schema.call_ended.json'));
    expect(callMomentOf(ended)).toEqual({
      kind: 'ended',
      serverCallId: 'Y3NVcmw',
      eventType: 'Microsoft.Communication.CallEnded',
    });
  });

  it('takes a CallConnected without serverCallId by its callConnectionId (Java SDK test payload)', () => {
    const connected = toEventEnvelope(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json'));
    expect(callMomentOf(connected)).toEqual({
      kind: 'established',
      serverCallId: null,
      callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01',
      eventType: 'Microsoft.Communication.CallConnected',
    });
  });

  it('reads RecordingStateChanged and the 2021-2022 CallRecordingStateChanged alike', () => {
    const expected = {
      kind: 'recordingState',
      serverCallId: 'serverCallId',
      callConnectionId: 'callConnectionId',
      recordingId: 'recordingId',
      state: 'active',
      recordingKind: null,
    };
    const ga = parseEventEnvelopes(corpus('sdk/java-callautomation.parseRecordingStateChangedEvent.json'))[0]!;
    expect(callMomentOf(ga)).toEqual({ ...expected, eventType: 'Microsoft.Communication.RecordingStateChanged' });
    const old = parseEventEnvelopes(
      corpus('sdk/java-callingserver.parseRecordingStateChangedEvent.CallRecordingStateChanged.json'),
    )[0]!;
    expect(callMomentOf(old)).toEqual({ ...expected, eventType: 'Microsoft.Communication.CallRecordingStateChanged' });
  });

  it('reads CallDisconnected as the connection leaving, never as the call ending', () => {
    const event = toEventEnvelope({
      specversion: '1.0',
      id: 'd-1',
      source: 'calling/callConnections/401f3500-62bd-46a9-8c09-9e1b06caca01',
      type: 'Microsoft.Communication.CallDisconnected',
      data: { callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01', serverCallId: PADDED },
    });
    expect(callMomentOf(event)).toEqual({
      kind: 'disconnected',
      serverCallId: PADDED,
      callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01',
      eventType: 'Microsoft.Communication.CallDisconnected',
    });
  });

  it('reads the 2021 CallLegStateChanged callback (Established starts, Terminated ends)', () => {
    const leg = (state: string) =>
      toEventEnvelope({
        id: null,
        topic: null,
        subject: 'callLeg/<callLegId>/callState',
        data: { ConversationId: UNPADDED, CallLegId: '<callLegId>', CallState: state },
        eventType: 'Microsoft.Communication.CallLegStateChanged',
        eventTime: '2021-04-14T16:32:34.1115003Z',
      });
    expect(callMomentOf(leg('Established'))).toMatchObject({ kind: 'established', serverCallId: UNPADDED });
    expect(callMomentOf(leg('Terminated'))).toMatchObject({ kind: 'ended', serverCallId: UNPADDED });
    expect(callMomentOf(leg('Connecting'))).toMatchObject({ kind: 'ignored' });
  });

  it('ignores other event types, such as ParticipantsUpdated and IncomingCall', () => {
    const updated = toEventEnvelope(corpus('sdk/java-callautomation.EVENT_PARTICIPANT_UPDATED.json'));
    expect(callMomentOf(updated)).toEqual({
      kind: 'ignored',
      eventType: 'Microsoft.Communication.ParticipantsUpdated',
    });
  });

  it.each([
    ['a missing serverCallId', {}, 'data.serverCallId'],
    ['a serverCallId with a newline', { serverCallId: 'abc\ndef' }, 'data.serverCallId'],
    ['a serverCallId with a space', { serverCallId: 'abc def' }, 'data.serverCallId'],
    ['a serverCallId of 1025 characters', { serverCallId: 'a'.repeat(1025) }, 'data.serverCallId'],
  ])('refuses %s, naming the field', (_name, data, field) => {
    const event = toEventEnvelope({ specversion: '1.0', id: 'x', type: 'Microsoft.Communication.CallStarted', data });
    expect(() => callMomentOf(event)).toThrow(expect.objectContaining({ field }));
  });

  it('refuses a Call Automation callback that names no call', () => {
    const event = toEventEnvelope({
      specversion: '1.0',
      id: 'x',
      type: 'Microsoft.Communication.CallConnected',
      data: {},
    });
    expect(() => callMomentOf(event)).toThrow('data.serverCallId or data.callConnectionId is required');
  });
});
