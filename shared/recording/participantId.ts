import { createHash } from 'node:crypto';
import { BadInputError } from '../errors';

/**
 * A participant id is the raw id (MRI) ACS writes into each chunk's metadata file, e.g.
 * `8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715`, `8:orgid:<Entra object id>`,
 * `4:+14255550100`. It is personal data: where it names storage or an audit record only the SHA-256 of its canonical
 * form appears, so that one person has one hash however the id was typed.
 */

export const MAX_PARTICIPANT_ID_LENGTH = 1024;

// NOTE: the same classes safeText() strips (C0/C1 controls, DEL, line/paragraph separators, bidi overrides), plus lone
// UTF-16 surrogates, which have no UTF-8 form and so no stable hash.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `value` cannot be a participant id, or null when it can. Never echoes the value. */
export function participantIdProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `is a ${value === null ? 'null' : typeof value}, not a string`;
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_PARTICIPANT_ID_LENGTH)
    return `is ${value.length} characters long (at most ${MAX_PARTICIPANT_ID_LENGTH})`;
  if (UNSAFE.test(value)) return 'contains control or formatting characters';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (a lone surrogate)';
  if (value.trim() !== value) return 'starts or ends with whitespace';
  return null;
}

/** The id unchanged, or a BadInputError naming `field`. */
export function parseParticipantId(value: unknown, field = 'participantId'): string {
  const problem = participantIdProblem(value);
  if (problem)
    throw new BadInputError(`${field} is not a participant id: it ${problem}`, field, 'InvalidParticipantId');
  return value as string;
}

/**
 * The kinds of raw id whose suffix holds GUIDs (Entra object ids, Teams app ids, ACS resource and user ids), as
 * Microsoft's communication-common SDK parses them (createIdentifierFromRawId in
 * https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/communication/communication-common/src/identifierModels.ts):
 * Communication users and Teams extension users (`8:acs:`, `8:spool:`, `8:dod-acs:`, `8:gcch-acs:`), Teams users
 * (`8:orgid:`, `8:dod:`, `8:gcch:`, anonymous `8:teamsvisitor:`), Teams apps (`28:orgid:`, `28:dod:`, `28:gcch:`).
 * Learn's "Understand identifier types" (https://learn.microsoft.com/azure/communication-services/concepts/identifiers)
 * gives the same forms. A GUID has no case, so `8:acs:72F733C1-…` and `8:acs:72f733c1-…` are one person.
 */
const GUID_KINDS = [
  '8:acs:',
  '8:spool:',
  '8:dod-acs:',
  '8:gcch-acs:',
  '8:orgid:',
  '8:dod:',
  '8:gcch:',
  '8:teamsvisitor:',
  '28:orgid:',
  '28:dod:',
  '28:gcch:',
];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PHONE_KIND = '4:';
// NOTE: separators people type in phone numbers; E.164 itself is '+' and at most 15 digits.
const PHONE_SEPARATORS = /[\s\u00a0().\-/]/g;
const E164 = /^\+?(\d{1,15})$/;

/**
 * The one form of a participant id the index, erasure, export and the API compare: trimmed; for the kinds above the
 * prefix in lower case and every `_`-separated part that is a GUID in lower case (other parts are opaque and left as
 * they are); a phone number (`4:`) as E.164 without separators, with its `+` (Learn shows both `4:+112345556789` and
 * `4:112345556789` for one number; the SDK keeps an asserted id after the last `_`, and `4:anonymous`, as they are).
 * An id of any other kind is only trimmed: its rules are not known, so nothing in it is guessed.
 */
export function canonicalParticipantId(participantId: string): string {
  const id = participantId.trim();
  const lower = id.toLowerCase();
  const kind = GUID_KINDS.find((prefix) => lower.startsWith(prefix));
  if (kind !== undefined) {
    const suffix = id.slice(kind.length);
    // The SDK reads three colon-separated segments; a suffix with another ':' is of no kind it knows.
    if (suffix.includes(':')) return id;
    const parts = suffix.split('_').map((part) => (GUID.test(part) ? part.toLowerCase() : part));
    return `${kind}${parts.join('_')}`;
  }
  if (id.startsWith(PHONE_KIND)) return canonicalPhoneId(id.slice(PHONE_KIND.length)) ?? id;
  return id;
}

function canonicalPhoneId(value: string): string | null {
  if (value.toLowerCase() === 'anonymous') return `${PHONE_KIND}anonymous`;
  const cut = value.lastIndexOf('_');
  const [number, asserted] = cut > 0 ? [value.slice(0, cut), value.slice(cut)] : [value, ''];
  const digits = E164.exec(number.replace(PHONE_SEPARATORS, ''))?.[1];
  return digits === undefined ? null : `${PHONE_KIND}+${digits}${asserted}`;
}

/**
 * Lowercase hex SHA-256 of the UTF-8 bytes of the id's canonical form: the only form that names storage or audit
 * records. Every caller (the copier's index writer, `index rebuild`, erase, export, the API) hashes through here.
 */
export function participantHash(participantId: string): string {
  return sha256(canonicalParticipantId(participantId));
}

/**
 * The hash an earlier version wrote: of the id exactly as given. Only for finding index markers written before ids
 * were canonical (`index rebuild` replaces them; lookups read both until then).
 */
export function legacyParticipantHash(participantId: string): string {
  return sha256(participantId);
}

/** The hashes that may name this id's index markers: the canonical one first, then the legacy one if it differs. */
export function participantMarkerHashes(participantId: string): string[] {
  const hashes = [participantHash(participantId), legacyParticipantHash(participantId)];
  return hashes[0] === hashes[1] ? [hashes[0]!] : hashes;
}

/** True for a value shaped like participantHash's output. */
export function isParticipantHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
