import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostState } from './hostState';
import { readBody, send, sendRpcHttp } from './httpUtil';
import { runnable } from './indexing';
import { invoke, type RpcTypedData } from './invoke';
import { accessForAuthLevel, isAuthorized, presentedKey } from './keys';
import { matchRoute } from './routes';

/**
 * HTTP triggers at /api/<route>: route parameters, methods (405 when only another method matches), the function's
 * authLevel when keys are configured (401), body limit (413), and the handler's response; a handler that throws
 * gives an empty 500, as the host does.
 */
export async function handleHttpTrigger(
  state: HostState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
): Promise<void> {
  const routePath = url.pathname.slice('/api/'.length);
  let allowedElsewhere = false;
  for (const fn of runnable(state)) {
    if (fn.trigger !== 'http') continue;
    const params = matchRoute(fn.route!, routePath);
    if (!params) continue;
    if (!fn.methods!.includes(method)) {
      allowedElsewhere = true;
      continue;
    }
    if (!isAuthorized(state.keys, accessForAuthLevel(fn.authLevel, fn.name), presentedKey(req.headers, url))) {
      req.resume();
      return send(res, 401, undefined);
    }
    const body = await readBody(req);
    if (body === null) return send(res, 413, undefined);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const http = { method, url: url.href, headers, query, params, body: { bytes: body }, identities: [], cookies: [] };
    // NOTE: the host sends the request's binding data too; the library does not read it for HTTP triggers.
    const triggerMetadata: Record<string, RpcTypedData> = {
      Query: { json: JSON.stringify(query) },
      Headers: { json: JSON.stringify(headers) },
    };
    for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };
    let response;
    try {
      response = await invoke(
        state,
        fn,
        { http },
        {
          reason: 'This function was programmatically called via the host APIs.',
          triggerMetadata,
        },
      );
    } catch {
      return send(res, 500, undefined);
    }
    return sendRpcHttp(res, response.returnValue);
  }
  return send(res, allowedElsewhere ? 405 : 404, undefined);
}
