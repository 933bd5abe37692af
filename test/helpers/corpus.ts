import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Microsoft's published payloads (test/fixtures/acs-public, sources in its SOURCES.md), read verbatim; only the
 * placeholders index.json lists are filled in, as text, before parsing.
 */

const ROOT = path.join(__dirname, '..', 'fixtures', 'acs-public');

export interface CorpusEntry {
  file: string;
  kind: string;
  eventType?: string;
  target: string;
  expected: string;
  placeholders?: Record<string, string>;
  notes?: string;
}

export function corpusIndex(): CorpusEntry[] {
  return JSON.parse(readFileSync(path.join(ROOT, 'index.json'), 'utf8')) as CorpusEntry[];
}

/** The payload's text with its placeholders filled (and `extra` replacements, for ids a test must control). */
export function corpusText(file: string, extra: Record<string, string> = {}): string {
  const entry = corpusIndex().find((e) => e.file === file);
  if (!entry) throw new Error(`${file} is not in the corpus index`);
  let text = readFileSync(path.join(ROOT, file), 'utf8');
  for (const [placeholder, value] of Object.entries({ ...entry.placeholders, ...extra })) {
    text = text.split(placeholder).join(value);
  }
  return text;
}

export function corpusPayload<T = any>(file: string, extra: Record<string, string> = {}): T {
  return JSON.parse(corpusText(file, extra)) as T;
}

/** The one event of a payload that is an event or a one-element array. */
export function corpusEvent(file: string, extra: Record<string, string> = {}): Record<string, any> {
  const payload = corpusPayload(file, extra);
  return Array.isArray(payload) ? (payload[0] as Record<string, any>) : (payload as Record<string, any>);
}

/** The padded standard-base64 serverCallId of the 2025-06-15 StartRecording REST example. */
export const PUBLISHED_SERVER_CALL_ID =
  'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
