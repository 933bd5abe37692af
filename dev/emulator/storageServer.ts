import type { IncomingMessage, ServerResponse } from 'node:http';
import { deleteDocument, serveDocument } from './downloads';
import { decodeSegment, gaError, readBody, sendEmpty, sendJson } from './httpHelpers';
import type { Handler } from './httpServer';
import { authorize, logRequest } from './requestLog';
import type { EmulatorState } from './state';

/**
 * The recording store's hosts: the storage host of GA locations and the regional host 302s point to. Paths as
 * published (Learn "voice and video calling events" and the Event Grid data-plane examples,
 * Azure/azure-rest-api-specs specification/eventgrid/data-plane/Microsoft.Communication/stable/2018-01-01/examples/
 * cloud-events-schema/recording_file_status_updated.json):
 * `GET /v1/objects/{documentId}/content/video|audio|acsmetadata`, `DELETE /v1/objects/{documentId}` and
 * `DELETE /v1/objects/{documentId}/content/deletedata`. Requests are signed for the ACS endpoint host and name it in
 * `x-ms-host`. With recorded answers a refused signature gets the store's recorded 401: an empty body
 * (Azure/azure-sdk-for-js sdk/communication/communication-callingserver/recordings/browsers/download_content/
 * recording_unauthorized_download.json).
 */

const STORAGE_PATH = /^\/v1\/objects\/([^/?]+)(?:\/content\/(video|audio|acsmetadata|deletedata))?$/;

export function storageHandler(state: EmulatorState, port: 'storage' | 'regional'): Handler {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const entry = logRequest(state, port, req, res);
    const body = await readBody(req);
    const refuse = state.storageAnswers === 'recorded' ? (r: ServerResponse) => sendEmpty(r, 401) : undefined;
    if (!authorize(state, req, res, entry, body, state.addresses.endpointHost, refuse)) return;
    const match = STORAGE_PATH.exec(entry.path.split('?')[0]!);
    const documentId = match ? decodeSegment(match[1]!) : undefined;
    if (!match || documentId === undefined) return sendJson(res, 404, gaError('NotFound', 'No such storage path.'));
    const kind = match[2];
    if (kind === undefined || kind === 'deletedata') {
      if (entry.method !== 'DELETE') return sendJson(res, 405, gaError('MethodNotAllowed', entry.method));
      return deleteDocument(state, res, documentId);
    }
    if (entry.method !== 'GET' && entry.method !== 'HEAD') {
      return sendJson(res, 405, gaError('MethodNotAllowed', entry.method));
    }
    const target = kind === 'acsmetadata' ? 'metadata' : 'content';
    return serveDocument(state, { req, res, entry, documentId, target });
  };
}
