import type { ServerResponse } from 'node:http';
import { endCall, startCall } from './calls';
import type { EventSink } from './eventDelivery';
import { recordingFileStatusEvent } from './eventShapes';
import { decodeSegment, gaError, sendJson } from './httpHelpers';
import { createRecordingFiles } from './recordingFiles';
import type { DeliveryLogEntry } from './records';
import type { EmulatorState } from './state';

/**
 * Helpers to drive a standalone emulator with curl (not part of ACS, unauthenticated, loopback only):
 * - `POST /_emulator/calls` `{"legs"?, "participants"?}` -> the simulated call (emits call-started events)
 * - `POST /_emulator/calls/{serverCallId}/end` -> 204 (emits call-ended events, stops its recording, emits files)
 * - `POST /_emulator/recording-files` RecordingFilesSpec -> `{files, event}`
 * - `GET /_emulator/recordings`, `GET /_emulator/requests`, `GET /_emulator/deliveries`
 */
export class AdminApi {
  constructor(
    private readonly state: EmulatorState,
    private readonly sink: EventSink,
    private readonly deliveries: () => DeliveryLogEntry[],
  ) {}

  async handle(method: string, path: string, body: Buffer, res: ServerResponse): Promise<void> {
    let json: Record<string, unknown> = {};
    try {
      json = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return sendJson(res, 400, gaError('BadRequest', 'The body is not valid JSON.'));
    }
    if (method === 'POST' && path === '/_emulator/calls') {
      const legs = typeof json.legs === 'number' ? json.legs : undefined;
      const participants = Array.isArray(json.participants) ? json.participants.map(String) : undefined;
      return sendJson(res, 201, startCall(this.state, this.sink, { legs, participants }));
    }
    const end = /^\/_emulator\/calls\/([^/]+)\/end$/.exec(path);
    if (method === 'POST' && end) {
      const serverCallId = decodeSegment(end[1]!);
      if (serverCallId === undefined || !this.state.calls.has(serverCallId)) {
        return sendJson(res, 404, gaError('NotFound', 'No such call.'));
      }
      await endCall(this.state, this.sink, serverCallId);
      return sendJson(res, 204, undefined);
    }
    if (method === 'POST' && path === '/_emulator/recording-files') {
      const files = await createRecordingFiles(this.state, json);
      const { eventSchema: schema, eventForm: form, resourceId: source } = this.state.settings;
      const event = recordingFileStatusEvent(files, { schema, form, source });
      const chunks = files.chunks.map(({ metadata: _metadata, ...chunk }) => chunk);
      return sendJson(res, 201, { files: { ...files, chunks }, event });
    }
    if (method === 'GET' && path === '/_emulator/recordings') {
      const recordings = [...this.state.recordings.values()].map(({ files: _files, ...recording }) => recording);
      return sendJson(res, 200, recordings);
    }
    if (method === 'GET' && path === '/_emulator/requests') return sendJson(res, 200, this.state.requests);
    if (method === 'GET' && path === '/_emulator/deliveries') return sendJson(res, 200, this.deliveries());
    return sendJson(res, 404, gaError('NotFound', `No emulator admin route ${method} ${path}.`));
  }
}
