import { createHash } from 'node:crypto';
import { BadInputError } from '../errors';

/**
 * A participant id is the raw id (MRI) ACS writes into each chunk's metadata file, e.g.
 * `8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715`, `8:orgid:<Entra object id>`,
 * `4:+14255550100`. It is personal data: it is used exactly as given, and where it names storage only its SHA-256
 * appears.
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

/** Lowercase hex SHA-256 of the id's UTF-8 bytes, exactly as given: the only form that names storage or audit records. */
export function participantHash(participantId: string): string {
  return createHash('sha256').update(participantId, 'utf8').digest('hex');
}

/** True for a value shaped like participantHash's output. */
export function isParticipantHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
