import { randomUUID } from 'node:crypto';
import type { EmulatedRecording, SimulatedCall } from './records';

/**
 * The Call Automation callbacks ACS POSTs to the app (not Event Grid): an array of CloudEvents 1.0 whose
 * `source` and `subject` are `calling/...` paths, never the ARM resource id. Shapes as Microsoft publishes them:
 * - CallConnected / CallDisconnected: `source` = `subject` = `calling/callConnections/{callConnectionId}` (Learn
 *   "Mute participants" sample event, MicrosoftDocs/azure-docs; data fields from the 2025-06-15 REST spec's
 *   `CallConnected` definition: callConnectionId, serverCallId, correlationId; serverCallId is optional there).
 * - RecordingStateChanged: `calling/recordings/{serverCallId}/recordingId/{recordingId}/RecordingStateChanged`
 *   (Azure/azure-sdk-for-java sdk/communication/azure-communication-callautomation/src/test/java/com/azure/
 *   communication/callautomation/EventHandlerUnitTests.java `parseRecordingStateChangedEvent`); data from the REST
 *   spec's `RecordingStateChanged` (recordingId, state, startDateTime, recordingKind, callConnectionId?,
 *   serverCallId, correlationId), `recordingKind` camelCase as in the spec's `RecordingKind` enum.
 * - The 2021-2022 callingserver name of the same callback is `Microsoft.Communication.CallRecordingStateChanged`
 *   (the same Java test payload).
 * - StartRecordingFailed: the REST spec's definition (recordingId, callConnectionId, serverCallId, correlationId,
 *   resultInformation).
 */

function cloudEvent(type: string, source: string, data: object): object {
  return {
    id: randomUUID(),
    source,
    type,
    data,
    time: new Date().toISOString(),
    specversion: '1.0',
    datacontenttype: 'application/json',
    subject: source,
  };
}

export function callConnectionEvent(
  call: SimulatedCall,
  callConnectionId: string,
  kind: 'CallConnected' | 'CallDisconnected',
  withServerCallId: boolean,
): object {
  const data = {
    callConnectionId,
    ...(withServerCallId ? { serverCallId: call.serverCallId } : {}),
    correlationId: call.callId,
  };
  return cloudEvent(`Microsoft.Communication.${kind}`, `calling/callConnections/${callConnectionId}`, data);
}

function recordingSource(recording: EmulatedRecording, what: string): string {
  return `calling/recordings/${recording.serverCallId}/recordingId/${recording.recordingId}/${what}`;
}

export function recordingStateChangedEvent(recording: EmulatedRecording, correlationId: string): object {
  const type =
    recording.dialect === 'calling'
      ? 'Microsoft.Communication.RecordingStateChanged'
      : 'Microsoft.Communication.CallRecordingStateChanged';
  const data = {
    recordingId: recording.recordingId,
    state: recording.state === 'active' ? 'active' : 'inactive',
    startDateTime: recording.startedAt,
    recordingKind: 'azureCommunicationServices',
    ...(recording.callConnectionId ? { callConnectionId: recording.callConnectionId } : {}),
    serverCallId: recording.serverCallId,
    correlationId,
  };
  return cloudEvent(type, recordingSource(recording, 'RecordingStateChanged'), data);
}

/**
 * `withRecordingId: false`: the failure names only the call (`recordingId` is optional in the REST spec's
 * StartRecordingFailed and in the JS SDK's model); no such payload is published, so its source names the call.
 */
export function startRecordingFailedEvent(
  recording: EmulatedRecording,
  correlationId: string,
  withRecordingId = true,
): object {
  const data = {
    ...(withRecordingId ? { recordingId: recording.recordingId } : {}),
    ...(recording.callConnectionId ? { callConnectionId: recording.callConnectionId } : {}),
    serverCallId: recording.serverCallId,
    correlationId,
    resultInformation: { code: 500, subCode: 8500, message: 'Injected by the emulator: the recording did not start.' },
  };
  const source = withRecordingId
    ? recordingSource(recording, 'StartRecordingFailed')
    : `calling/recordings/${recording.serverCallId}/StartRecordingFailed`;
  return cloudEvent('Microsoft.Communication.StartRecordingFailed', source, data);
}
