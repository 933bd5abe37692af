import { safeText } from '../../shared/text';

/**
 * One HTTP request of a check, answered or not: the status (0 when nothing answered), the body (bounded), and a
 * description that never holds the URL, whose query may carry a function key.
 */
export interface ProbeAnswer {
  status: number;
  body: string;
  describe: string;
}

export interface ProbeInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

const MAX_BODY_CHARS = 64 * 1024;

export async function probe(url: URL | string, init: ProbeInit = {}): Promise<ProbeAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const reason = typeof cause === 'string' ? cause : error instanceof Error ? error.name : 'error';
    return { status: 0, body: '', describe: `no answer (${safeText(reason, 60)})` };
  }
  const body = (await response.text().catch(() => '')).slice(0, MAX_BODY_CHARS);
  return { status: response.status, body, describe: `HTTP ${response.status}` };
}

/** A URL safe to print: origin and path, never the query (keys) or credentials. */
export function printable(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
