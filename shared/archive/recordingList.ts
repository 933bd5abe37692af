import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { isRecordingKey, isSafeToken, type RecordingRef } from '../recording';
import type { Manifest } from './manifest/manifest';

/**
 * The recording list: one empty blob per recording in the control container, named so that a plain prefix listing
 * returns the newest recording first, and a day is a prefix. Listing the archive container itself would read every
 * chunk and metadata blob of every recording to find a page of manifests; this reads one name per recording.
 *
 *   recording-list/{inverted yyyymmddHHMMSS}/{callId}/{recordingKey}
 *   recording-list-by-server-call/{sha256(serverCallId)}/{callId}/{recordingKey}
 *
 * "Inverted" is each digit d written as 9-d: for fixed-width digit strings that reverses the lexical order, which is
 * the only order Blob Storage lists in. The time is the recording's start (from its key), or when the manifest was
 * first written for a recording whose start is not known. Rewriting an entry changes nothing, so every writer of a
 * manifest may call indexRecordingForListing as often as it likes; a failed write is redone by the next one (or by
 * the console's backfill, for recordings archived before the list existed).
 */

export const RECORDING_LIST_PREFIX = 'recording-list/';
export const SERVER_CALL_LIST_PREFIX = 'recording-list-by-server-call/';

/** `yyyymmddHHMMSS` -> its inverted form; `yyyymmdd` -> the inverted prefix of that day. */
export function invertDigits(digits: string): string {
  return digits.replace(/\d/g, (d) => String(9 - Number(d)));
}

/** The 14 digits of when a recording started (or was first seen). */
export function listTimeOf(manifest: Pick<Manifest, 'recordingKey' | 'createdAt'>): string {
  const stamp = /^(\d{8})T(\d{6})Z-/.exec(manifest.recordingKey);
  if (stamp) return `${stamp[1]}${stamp[2]}`;
  return manifest.createdAt.replace(/\D/g, '').slice(0, 14).padEnd(14, '0');
}

export function recordingListEntryName(listTime: string, ref: RecordingRef): string {
  return `${RECORDING_LIST_PREFIX}${invertDigits(listTime)}/${ref.callId}/${ref.recordingKey}`;
}

export function serverCallListPrefix(serverCallId: string): string {
  return `${SERVER_CALL_LIST_PREFIX}${createHash('sha256').update(serverCallId, 'utf8').digest('hex')}/`;
}

/** The recording an entry of either list names, and its list time; null for a name that is not an entry. */
export function recordingOfListEntry(name: string): (RecordingRef & { listTime: string | null }) | null {
  const parts = name.split('/');
  if (parts.length !== 4) return null;
  const [prefix, key, callId, recordingKey] = parts as [string, string, string, string];
  if (!isSafeToken(callId) || !isRecordingKey(recordingKey)) return null;
  if (`${prefix}/` === RECORDING_LIST_PREFIX && /^\d{14}$/.test(key)) {
    return { callId, recordingKey, listTime: invertDigits(key) };
  }
  if (`${prefix}/` === SERVER_CALL_LIST_PREFIX && /^[0-9a-f]{64}$/.test(key)) {
    return { callId, recordingKey, listTime: null };
  }
  return null;
}

/** Puts a recording on the list (and under its server call id). Idempotent. */
export async function indexRecordingForListing(
  control: ContainerClient,
  manifest: Pick<Manifest, 'callId' | 'recordingKey' | 'createdAt' | 'serverCallId'>,
): Promise<void> {
  const names = [recordingListEntryName(listTimeOf(manifest), manifest)];
  if (manifest.serverCallId) {
    names.push(`${serverCallListPrefix(manifest.serverCallId)}${manifest.callId}/${manifest.recordingKey}`);
  }
  await Promise.all(names.map((name) => control.getBlockBlobClient(name).upload('', 0)));
}
