// The console's calls to its JSON API. The function key comes from the page's own URL (`?code=`) and goes in a header
// (never into another URL); App Service authentication, where it is on, rides on its own cookie.

const key = new URLSearchParams(location.search).get('code');
const base = new URL('../api/', location.href);

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {string} path relative to /api/console/api/
 * @param {{ method?: string, query?: Record<string, string | null | undefined>, raw?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (key) headers['x-functions-key'] = key;
  const response = await fetch(url, { method: options.method ?? 'GET', headers, credentials: 'same-origin' });
  const text = await response.text();
  if (!response.ok) {
    let code = 'HttpError';
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = JSON.parse(text);
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // Not JSON (the host's own 401 has no body): the status says it.
    }
    throw new ApiError(response.status, code, message);
  }
  return options.raw ? text : text ? JSON.parse(text) : null;
}

/** @param {string} callId @param {string} recordingKey */
export function recordingPath(callId, recordingKey) {
  return `recordings/${encodeURIComponent(callId)}/${encodeURIComponent(recordingKey)}`;
}
