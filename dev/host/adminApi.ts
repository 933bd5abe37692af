import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostLog, type HostState, type LoadedFunction } from './hostState';
import { readBody, send, sendJson } from './httpUtil';
import { invoke } from './invoke';
import { isAuthorized, presentedKey } from './keys';
import { invokeTimer } from './timerTrigger';

const HOST_API_REASON = 'This function was programmatically called via the host APIs.';

/**
 * The host's admin API (master key when keys are configured): `GET /admin/host/status`;
 * `GET /admin/functions/NAME/status` -> `{"errors": [...]}` for a function in error, `{}` otherwise, 404 unknown (the
 * host's FunctionsController.GetFunctionStatus); and `POST /admin/functions/NAME` `{"input": "..."}`, which runs a
 * non-HTTP function once: a timer now, a queue function with `input` as the message (no queue involved, as in the
 * host). 202 once started (a function in error runs nothing: the host's background call fails); 404 unknown; 400
 * otherwise.
 */
export async function handleAdmin(
  state: HostState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
): Promise<void> {
  if (!isAuthorized(state.keys, { level: 'admin' }, presentedKey(req.headers, url))) {
    req.resume();
    return send(res, 401, undefined);
  }
  if (url.pathname === '/admin/host/status' && method === 'GET') {
    return sendJson(res, 200, { state: 'Running', functions: state.functions.map((f) => f.name) });
  }
  const statusOf = /^\/admin\/functions\/([^/]+)\/status$/.exec(url.pathname);
  if (statusOf && method === 'GET') {
    const fn = functionNamed(state, statusOf[1]!);
    if (!fn) return send(res, 404, undefined);
    return sendJson(res, 200, fn.error === undefined ? {} : { errors: state.functionErrors.get(fn.name) ?? [] });
  }
  const match = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
  if (!match || method !== 'POST') return send(res, 404, undefined);
  const fn = functionNamed(state, match[1]!);
  if (!fn) return send(res, 404, undefined);
  const body = await readBody(req);
  if (body === null) return send(res, 413, undefined);
  let input = '';
  try {
    const parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { input?: unknown }) : {};
    input = typeof parsed.input === 'string' ? parsed.input : '';
  } catch {
    return send(res, 400, Buffer.from('the body is not JSON like {"input": "..."}'));
  }
  // NOTE: invoke() logs a failed invocation; the caller has its 202 already, as with the host.
  if (fn.error !== undefined)
    hostLog(state, `The '${fn.name}' function is in error; nothing ran: ${fn.error}`, 'Error');
  else if (fn.trigger === 'timer') void invokeTimer(state, fn.name, HOST_API_REASON).catch(() => undefined);
  else if (fn.trigger === 'storageQueue')
    void invoke(
      state,
      fn,
      { string: input },
      { reason: HOST_API_REASON, triggerMetadata: { QueueTrigger: { string: input } } },
    ).catch(() => undefined);
  else return send(res, 400, undefined);
  return send(res, 202, undefined);
}

/** A function by the name in an admin path (percent-decoded, case-insensitive, as the host looks it up). */
function functionNamed(state: HostState, segment: string): LoadedFunction | undefined {
  let name: string;
  try {
    name = decodeURIComponent(segment).toLowerCase();
  } catch {
    return undefined;
  }
  return state.functions.find((f) => f.name.toLowerCase() === name);
}
