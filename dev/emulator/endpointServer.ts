import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminApi } from './adminApi';
import { JWKS_PATH, OPENID_CONFIG_PATH, type CallbackSigner } from './callbackSigner';
import type { ControlApi } from './controlApi';
import { serveDocument } from './downloads';
import { decodeSegment, gaError, headerValue, readBody, sendJson } from './httpHelpers';
import type { Handler } from './httpServer';
import { authorize, logRequest } from './requestLog';
import type { EmulatorState } from './state';

/**
 * The ACS endpoint host: the recording control API, the 2021 downloads (`/recording/download/{documentId}` and
 * `.../metadata`), the OpenID configuration and keys of callback JWTs (public, as Microsoft's are), and the
 * emulator's own unauthenticated helper routes under `/_emulator/`.
 */

const PREVIEW_DOWNLOAD_PATH = /^\/recording\/download\/([^/?]+)(\/metadata)?$/;

export interface EndpointRoutes {
  control: ControlApi;
  admin: AdminApi;
  signer: CallbackSigner;
}

export function endpointHandler(state: EmulatorState, routes: EndpointRoutes): Handler {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const entry = logRequest(state, 'endpoint', req, res);
    const body = await readBody(req);
    const path = entry.path.split('?')[0]!;
    if (path.startsWith('/_emulator/')) {
      // NOTE: not part of ACS; unauthenticated loopback helpers so a standalone emulator can be driven by hand.
      return routes.admin.handle(entry.method, path, body, res);
    }
    if (path === OPENID_CONFIG_PATH || path === JWKS_PATH) {
      entry.authorized = true;
      if (entry.method !== 'GET') return sendJson(res, 405, gaError('MethodNotAllowed', entry.method));
      return sendJson(res, 200, path === JWKS_PATH ? routes.signer.jwks() : routes.signer.openIdConfiguration());
    }
    if (!authorize(state, req, res, entry, body, headerValue(req.headers, 'host') ?? '')) return;
    const preview = PREVIEW_DOWNLOAD_PATH.exec(path);
    if (!preview) return routes.control.handle(req, res, entry, body);
    const documentId = decodeSegment(preview[1]!);
    if (documentId === undefined) return sendJson(res, 404, gaError('NotFound', 'No such document.'));
    if (entry.method !== 'GET' && entry.method !== 'HEAD') {
      return sendJson(res, 405, gaError('MethodNotAllowed', entry.method));
    }
    return serveDocument(state, { req, res, entry, documentId, target: preview[2] ? 'metadata' : 'content' });
  };
}
