/**
 * Text taken from input (event ids, reasons, ids, ACS error messages, dead-letter blobs) and echoed into logs, HTTP
 * answers or a terminal: truncated, and stripped of control characters, so that a planted value cannot forge a log
 * line (CR/LF) or drive a terminal (escape sequences).
 */

// NOTE: C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides that some viewers honour.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** At most `max` characters, control characters replaced by '?', '…' when cut. Non-strings are stringified first. */
export function safeText(value: unknown, max = 200): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = '';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = `${value}`;
  else {
    try {
      text = JSON.stringify(value) ?? typeof value;
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  const cleaned = text.replace(UNSAFE, '?');
  return cleaned.length > max ? `${cleaned.slice(0, Math.max(0, max - 1))}…` : cleaned;
}

/** An opaque id (serverCallId, recordingId) for a log line: its start, enough to find it, never the whole id. */
export function shortId(id: string | null | undefined, keep = 24): string {
  if (!id) return '-';
  return safeText(id.length > keep ? `${id.slice(0, keep)}…` : id, keep + 1);
}
