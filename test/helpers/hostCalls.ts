import { randomUUID } from 'node:crypto';
import type { AcsEmulator } from '../../dev/emulator';
import { corpusEvent } from './corpus';

/**
 * Helpers of the recording-control tests that run through the local host (test/functions/recordingControl.test.ts
 * and controlHostile.test.ts): event shapes as ACS sends them, API paths with the id in the query as a caller
 * must, and what the emulator saw for one call.
 */

/**
 * An Event Grid system event from the ACS resource: Microsoft's published CallStarted / CallEnded
 * (test/fixtures/acs-public/learn/event-grid-voice-video.2022.CallStarted.json and .CallEnded.json), with the id,
 * topic, serverCallId (data and subject) and time of this test put in. Set as values, never spliced into the JSON
 * text: tests pass ids that hold CR/LF on purpose.
 */
export function systemEvent(
  type: 'CallStarted' | 'CallEnded',
  serverCallId: string,
  topic: string,
  id: string = randomUUID(),
) {
  const event = corpusEvent(`learn/event-grid-voice-video.2022.${type}.json`);
  const subject = (event.subject as string).replace(event.data.serverCallId as string, () => serverCallId);
  return {
    ...event,
    id,
    topic,
    subject,
    data: { ...event.data, serverCallId },
    eventTime: new Date().toISOString(),
  };
}

/**
 * A Call Automation callback (CloudEvents; `source` a calling/... path), in the shape of the Java SDK's test payloads
 * (test/fixtures/acs-public/sdk/java-callautomation.*.json).
 */
export function callbackEvent(type: string, data: Record<string, unknown>, id: string = randomUUID()) {
  const source =
    type === 'RecordingStateChanged' || type === 'StartRecordingFailed'
      ? `calling/recordings/${String(data.serverCallId)}/recordingId/${String(data.recordingId)}/${type}`
      : `calling/callConnections/${String(data.callConnectionId)}`;
  return {
    id,
    source,
    type: `Microsoft.Communication.${type}`,
    data,
    time: new Date().toISOString(),
    specversion: '1.0',
    datacontenttype: 'application/json',
    subject: source,
  };
}

/**
 * `recordings[/action]?serverCallId=…`: the call in the query, percent-encoded. Real ids hold '/', '+' and '=', and an
 * encoded '/' in a path gets 404 in Azure (and from the local host), so the API takes the id in the query or body.
 */
export function recordingPath(serverCallId: string, action?: string): string {
  return `recordings${action ? `/${action}` : ''}?serverCallId=${encodeURIComponent(serverCallId)}`;
}

/** How many start requests the emulator received for this call (its own count, including refused duplicates). */
export function startsFor(emulator: AcsEmulator, serverCallId: string): number {
  return recordingsOf(emulator, serverCallId).reduce((n, r) => n + r.startRequests, 0);
}

export function recordingsOf(emulator: AcsEmulator, serverCallId: string) {
  return [...emulator.recordings.values()].filter((r) => r.serverCallId === serverCallId);
}

/** The `:pause` requests that reached the emulator for this recording. */
export function pausesAtAcs(emulator: AcsEmulator, recordingId: string): number {
  const path = `/calling/recordings/${encodeURIComponent(recordingId)}:pause`;
  return emulator.requests.filter((r) => r.port === 'endpoint' && r.method === 'POST' && r.path.startsWith(path))
    .length;
}

/** A base64url (unpadded) serverCallId, the form the 2021 documentation describes. */
export function unpaddedServerCallId(): string {
  return Buffer.from(`https://api.flightproxy.skype.com/api/v2/cp/conv-${randomUUID()}/?i=3&e=${Date.now()}`).toString(
    'base64url',
  );
}

/** Whether the text holds a C0 or C1 control character (CR/LF included) or DEL: what a forged log line needs. */
export function hasControlCharacters(text: string, allow: readonly string[] = []): boolean {
  return [...text].some((c) => {
    const code = c.charCodeAt(0);
    return !allow.includes(c) && (code < 0x20 || (code >= 0x7f && code <= 0x9f));
  });
}
