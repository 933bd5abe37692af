import { randomUUID } from 'node:crypto';
import type { RecordingFiles, SimulatedCall } from './records';
import type { EventForm, EventSchema } from './types';

/**
 * The Event Grid system events ACS publishes (delivered by Event Grid, not signed by ACS), as Microsoft documents
 * them: Learn "Azure Communication Services - Voice and video calling events" (MicrosoftDocs/azure-docs
 * articles/event-grid/communication-services-voice-video-events.md) and the Event Grid data-plane examples
 * (Azure/azure-rest-api-specs specification/eventgrid/data-plane/Microsoft.Communication/stable/2018-01-01/examples/).
 */

export interface EnvelopeOptions {
  schema?: EventSchema;
  /** The publishing resource: Event Grid `topic` / CloudEvents `source`. */
  source: string;
  id?: string;
  /** null: a CloudEvent without `time` (optional in CloudEvents 1.0; replays from a dead-letter blob lack it). */
  time?: string | null;
}

/** Wraps `data` in the Event Grid schema or CloudEvents 1.0, as Event Grid delivers it. */
export function eventEnvelope(type: string, subject: string, data: object, opts: EnvelopeOptions): object {
  const id = opts.id ?? randomUUID();
  const time = opts.time === null ? undefined : (opts.time ?? new Date().toISOString());
  if (opts.schema === 'CloudEvents') {
    return {
      specversion: '1.0',
      id,
      source: opts.source,
      subject,
      type,
      ...(time === undefined ? {} : { time }),
      datacontenttype: 'application/json',
      data,
    };
  }
  return {
    id,
    topic: opts.source,
    subject,
    eventType: type,
    eventTime: time ?? new Date().toISOString(),
    data,
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}

export interface FileEventOptions extends EnvelopeOptions {
  form?: EventForm;
  chunkIndices?: number[];
  /** false: the GA form without content/channel/format types, as Learn's sample event has none. */
  formatFields?: boolean;
}

/**
 * `Microsoft.Communication.RecordingFileStatusUpdated`. GA: subject
 * `/recording/call/{callId}/serverCallId/{serverCallId}/recordingId/{recordingId}`, chunks with locations, content
 * types in PascalCase (`Audio`, `Mixed`, `Mp3`; Learn's sample event, articles/event-grid/
 * communication-services-voice-video-events.md, has none). 2021: subject `/recording/call/{callId}`, chunks without
 * locations. Bring your own storage (Learn "Call recording: Bring your own Azure storage quickstart",
 * articles/communication-services/quickstarts/call-automation/call-recording/bring-your-own-storage.md): subject
 * `/recording/call/{callId}/serverCallId/{serverCallId}`, `data.storageType` (`AzureBlob`) and `data.recordingId`
 * first, chunks with locations, no format fields.
 */
export function recordingFileStatusEvent(files: RecordingFiles, opts: FileEventOptions): object {
  const form = opts.form ?? 'ga';
  const chunks = files.chunks.filter((c) => !opts.chunkIndices || opts.chunkIndices.includes(c.index));
  const recordingChunks = chunks.map((c) =>
    form !== '2021'
      ? {
          documentId: c.documentId,
          index: c.index,
          endReason: c.endReason,
          contentLocation: c.contentLocation,
          metadataLocation: c.metadataLocation,
          deleteLocation: c.deleteLocation,
        }
      : { documentId: c.documentId, index: c.index, endReason: c.endReason },
  );
  const common = {
    recordingStorageInfo: { recordingChunks },
    recordingStartTime: files.recordingStartTime,
    recordingDurationMs: files.recordingDurationMs,
    sessionEndReason: 'CallEnded',
  };
  const formatFields = {
    recordingContentType: files.contentType,
    recordingChannelType: files.channelType,
    recordingFormatType: files.formatType,
  };
  const data =
    form === 'byos'
      ? { storageType: 'AzureBlob', recordingId: files.recordingId, ...common }
      : form === 'ga' && opts.formatFields !== false
        ? { ...common, ...formatFields }
        : common;
  const subject =
    form === 'ga'
      ? `/recording/call/${files.callId}/serverCallId/${files.serverCallId}/recordingId/${files.recordingId}`
      : form === 'byos'
        ? `/recording/call/${files.callId}/serverCallId/${files.serverCallId}`
        : `/recording/call/${files.callId}`;
  return eventEnvelope('Microsoft.Communication.RecordingFileStatusUpdated', subject, data, opts);
}

function identifier(rawId: string): object {
  return { kind: 'communicationUser', rawId, communicationUser: { id: rawId } };
}

/**
 * `CallStarted` (subject `call/{serverCallId}/startedBy/{rawId}`) and `CallEnded` (subject `call/{serverCallId}`), as
 * in the Learn examples; data as the Event Grid examples (call_ended.json: startedBy, endedBy, reason,
 * callDurationInSeconds, serverCallId, group, isTwoParty, correlationId, isRoomsCall). `correlationId` is the
 * callId that RecordingFileStatusUpdated subjects carry.
 */
export function callLifecycleEvent(call: SimulatedCall, moment: 'started' | 'ended', opts: EnvelopeOptions): object {
  const starter = call.participants[0] ?? `8:acs:${randomUUID()}`;
  const data = {
    startedBy: { communicationIdentifier: identifier(starter), role: 'Attendee' },
    serverCallId: call.serverCallId,
    group: { id: call.callId },
    isTwoParty: call.participants.length === 2,
    correlationId: call.callId,
    isRoomsCall: false,
    ...(moment === 'ended'
      ? {
          endedBy: { communicationIdentifier: identifier(starter), type: 'Participant', name: 'Participant' },
          reason: { code: 0, subCode: 0, phrase: 'Call ended successfully' },
          callDurationInSeconds: (Date.now() - Date.parse(call.startedAt)) / 1000,
        }
      : {}),
  };
  return moment === 'started'
    ? eventEnvelope('Microsoft.Communication.CallStarted', `call/${call.serverCallId}/startedBy/${starter}`, data, opts)
    : eventEnvelope('Microsoft.Communication.CallEnded', `call/${call.serverCallId}`, data, opts);
}

/** The 2021 `CallLegStateChanged` of one leg (the design documents' `subject: callLeg/<id>/callState`). */
export function callLegStateChanged(
  call: SimulatedCall,
  leg: string,
  moment: 'started' | 'ended',
  opts: EnvelopeOptions,
): object {
  const data = {
    ConversationId: call.serverCallId,
    CallLegId: leg,
    CallState: moment === 'started' ? 'Established' : 'Terminated',
  };
  return eventEnvelope('Microsoft.Communication.CallLegStateChanged', `callLeg/${leg}/callState`, data, opts);
}
