import type { ManifestStatus } from '../archive';
import { BadInputError } from '../errors';
import { isSafeToken, parseParticipantId, parseServerCallId } from '../recording';

/**
 * The recordings list's query, validated once: every bad value is a BadInputError naming its parameter. Days are UTC
 * calendar days (`2026-05-12`); a range is at most MAX_RANGE_DAYS long, since each day of it is one listing.
 */

export interface ListQuery {
  /** Newest day first: [to, ..., from] as yyyymmdd, or null for the whole list. */
  days: string[] | null;
  status: ManifestStatus | null;
  callId: string | null;
  serverCallId: string | null;
  participantId: string | null;
  pageSize: number;
  continuationToken: string | null;
}

export const MAX_RANGE_DAYS = 92;
const DAY_MS = 86_400_000;
const STATUSES: readonly ManifestStatus[] = ['pending', 'complete', 'failed'];
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

function parseDay(value: string, field: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new BadInputError(`${field} must be a UTC day like 2026-05-12`, field);
  }
  return time;
}

function yyyymmdd(time: number): string {
  return new Date(time).toISOString().slice(0, 10).replace(/-/g, '');
}

export function parseListQuery(get: (name: string) => string | null | undefined, now: Date): ListQuery {
  const value = (name: string) => {
    const raw = get(name);
    return raw === null || raw === undefined || raw.trim() === '' ? null : raw.trim();
  };
  const from = value('from');
  const to = value('to');
  let days: string[] | null = null;
  if (from !== null || to !== null) {
    const last = to === null ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) : parseDay(to, 'to');
    const first = from === null ? last - (MAX_RANGE_DAYS - 1) * DAY_MS : parseDay(from, 'from');
    if (first > last) throw new BadInputError('from must not be after to', 'from');
    if ((last - first) / DAY_MS + 1 > MAX_RANGE_DAYS) {
      throw new BadInputError(`from..to spans more than ${MAX_RANGE_DAYS} days; ask for a shorter range`, 'from');
    }
    days = [];
    for (let day = last; day >= first; day -= DAY_MS) days.push(yyyymmdd(day));
  }
  const status = value('status');
  if (status !== null && !(STATUSES as string[]).includes(status)) {
    throw new BadInputError(`status must be one of ${STATUSES.join(', ')}`, 'status');
  }
  const callId = value('callId');
  if (callId !== null && !isSafeToken(callId)) throw new BadInputError('callId is not a call id', 'callId');
  const serverCallIdText = value('serverCallId');
  const participantIdText = get('participantId');
  const pageSizeText = value('pageSize');
  if (
    pageSizeText !== null &&
    (!/^\d{1,3}$/.test(pageSizeText) || +pageSizeText < 1 || +pageSizeText > MAX_PAGE_SIZE)
  ) {
    throw new BadInputError(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'pageSize');
  }
  const token = value('continuationToken');
  if (token !== null && (token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token))) {
    throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
  }
  return {
    days,
    status: status as ManifestStatus | null,
    callId,
    serverCallId: serverCallIdText === null ? null : parseServerCallId(serverCallIdText, 'serverCallId'),
    participantId:
      participantIdText === null || participantIdText === undefined || participantIdText === ''
        ? null
        : parseParticipantId(participantIdText, 'participantId'),
    pageSize: pageSizeText === null ? DEFAULT_PAGE_SIZE : Number(pageSizeText),
    continuationToken: token,
  };
}
