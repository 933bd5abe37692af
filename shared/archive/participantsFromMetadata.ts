import { safeText } from '../text';
import { participantIdProblem } from '../recording';

/** A metadata file lists a call's participants; far more than this is not a participant list. */
const MAX_PARTICIPANTS = 10_000;
/** How deep an identifier may be nested in a participant entry (`{participantId: {rawId}}` is depth 2). */
const MAX_DEPTH = 4;

/** Keys that hold the id itself, compared case-insensitively, best first. */
const ID_KEYS = ['participantid', 'rawid', 'mri'];
/** Keys that hold a nested identifier object (the REST CommunicationIdentifierModel and its subtypes). */
const NESTED_KEYS = ['communicationidentifier', 'identifier', 'participant', 'communicationuser', 'user'];
/** The MRI form `<prefix digit(s)>:<rest>` (`8:acs:…`, `8:orgid:…`, `4:+1…`), for entries whose fields were swapped. */
const MRI = /^\d{1,2}:\S/;

/**
 * The participant ids of a chunk's metadata file (`participants: [{participantId}]`). Lenient, because real captures
 * have had fields swapped or typed differently: it takes every id it can find (plain strings, `participantID` /
 * `ParticipantId`, ids nested as `{communicationIdentifier: {rawId}}` or `{communicationUser: {id}}`, an MRI under
 * another key) and describes everything else in `problems`. Never throws. Ids are kept exactly as written, deduplicated
 * in order of appearance; a value that cannot be an id (empty, over 1024 characters, control characters) is a problem,
 * not an id. Problems name positions and keys, never an id, so they are safe to log.
 */
export function participantsFromMetadata(metadataText: string): { ids: string[]; problems: string[] } {
  const ids: string[] = [];
  const problems: string[] = [];
  let parsed: unknown;
  try {
    // NOTE: a UTF-8 byte order mark is legal at the start of a JSON file written by some tools; JSON.parse refuses it.
    parsed = JSON.parse(metadataText.replace(/^\ufeff/, ''));
  } catch {
    return { ids, problems: ['metadata is not JSON'] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ids, problems: [`metadata is ${describeType(parsed)}, not a JSON object`] };
  }
  const key = Object.keys(parsed).find((k) => k.toLowerCase() === 'participants');
  if (key === undefined) return { ids, problems: ['metadata has no participants list'] };
  let list = (parsed as Record<string, unknown>)[key];
  if (!Array.isArray(list)) {
    if (list === null || list === undefined) return { ids, problems: [`${key} is null`] };
    problems.push(`${key} is ${describeType(list)}, not a list; read as a list of one`);
    list = [list];
  }
  const entries = list as unknown[];
  if (entries.length > MAX_PARTICIPANTS) {
    problems.push(`${key} has ${entries.length} entries; only the first ${MAX_PARTICIPANTS} were read`);
  }
  for (const [index, entry] of entries.slice(0, MAX_PARTICIPANTS).entries()) {
    const where = `${key}[${index}]`;
    const found = idOf(entry, 0);
    if (found.id === undefined) {
      problems.push(`${where}: ${found.problem}`);
      continue;
    }
    const bad = participantIdProblem(found.id);
    if (bad) {
      problems.push(`${where}: the participant id ${bad}; not indexed`);
      continue;
    }
    if (found.note) problems.push(`${where}: ${found.note}`);
    if (!ids.includes(found.id)) ids.push(found.id);
  }
  return { ids, problems };
}

/** The participant id of one entry of a metadata file's `participants` list, read as leniently as above; or null. */
export function participantIdOf(entry: unknown): string | null {
  const found = idOf(entry, 0);
  return found.id !== undefined && participantIdProblem(found.id) === null ? found.id : null;
}

type Found = { id: string; note?: string; problem?: undefined } | { id?: undefined; problem: string };

function idOf(entry: unknown, depth: number): Found {
  if (typeof entry === 'string') return { id: entry };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { problem: `is ${describeType(entry)}, not a participant` };
  }
  if (depth >= MAX_DEPTH) return { problem: 'is nested too deeply' };
  const fields = Object.entries(entry as Record<string, unknown>);
  const field = (names: string[]) =>
    names.flatMap((name) => fields.filter(([k]) => k.toLowerCase() === name)).map(([k, v]) => ({ k, v }));

  for (const { k, v } of field(ID_KEYS)) {
    if (typeof v === 'string') return { id: v };
    if (typeof v === 'object' && v !== null) {
      const nested = idOf(v, depth + 1);
      if (nested.id !== undefined) return { id: nested.id, note: `id read from the object under '${safeText(k, 40)}'` };
    }
  }
  for (const { k, v } of field(NESTED_KEYS)) {
    const nested = idOf(v, depth + 1);
    if (nested.id !== undefined) return { id: nested.id, note: `id read from the object under '${safeText(k, 40)}'` };
  }
  const plainId = field(['id']).find(({ v }) => typeof v === 'string');
  if (plainId) return { id: plainId.v as string };
  // Swapped fields: e.g. {"participantId": 0, "channel": "8:acs:…"}. Take a value that is unmistakably an MRI.
  const swapped = fields.find(([, v]) => typeof v === 'string' && MRI.test(v));
  if (swapped) return { id: swapped[1] as string, note: `id found under '${safeText(swapped[0], 40)}'` };
  const typed = field(ID_KEYS)[0];
  if (typed) return { problem: `'${safeText(typed.k, 40)}' is ${describeType(typed.v)}, not a string` };
  return {
    problem: `no participant id (fields: ${
      fields
        .map(([k]) => safeText(k, 40))
        .slice(0, 10)
        .join(', ') || 'none'
    })`,
  };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
