import type { ContainerClient } from '@azure/storage-blob';
import { ArchiveStore, type Manifest, participantsFromMetadata } from '../archive';
import { statusCode, streamToText } from '../storage';
import {
  recordingFolder,
  participantHash,
  participantIdProblem,
  participantMarkerHashes,
  type RecordingRef,
} from '../recording';

/** What the archive holds for one recording: its manifest, its blobs (every version), who is in it. */

/** One stored blob version (or the blob, where the account keeps no versions). */
export interface StoredBlob {
  /** Full blob name, `{callId}/{recordingKey}/…`. */
  name: string;
  /** null where the account does not keep versions (Azurite, accounts without blob versioning). */
  versionId: string | null;
  isCurrentVersion: boolean;
  size: number;
  legalHold: boolean;
  /** When a time-based immutability policy on this version expires (null: none). */
  policyExpiresOn: Date | null;
  /** The blob's own sha256 metadata (written by the archiver), when present. */
  sha256: string | null;
  lastModified: Date | null;
}

export type Protection = 'legal-hold' | 'policy';

/** Whether a blob version cannot be deleted now, and why. */
export function protectionOf(blob: Pick<StoredBlob, 'legalHold' | 'policyExpiresOn'>, now: Date): Protection | null {
  if (blob.legalHold) return 'legal-hold';
  if (blob.policyExpiresOn && blob.policyExpiresOn.getTime() > now.getTime()) return 'policy';
  return null;
}

export function folderPrefix(ref: RecordingRef): string {
  return `${recordingFolder(ref.callId, ref.recordingKey)}/`;
}

/** Every blob (and every version of it) under the recording's folder, with its immutability state. */
export async function listRecordingBlobs(archive: ContainerClient, ref: RecordingRef): Promise<StoredBlob[]> {
  const blobs: StoredBlob[] = [];
  for await (const item of archive.listBlobsFlat({
    prefix: folderPrefix(ref),
    includeVersions: true,
    includeMetadata: true,
    includeLegalHold: true,
    includeImmutabilityPolicy: true,
  })) {
    blobs.push({
      name: item.name,
      versionId: item.versionId ?? null,
      // NOTE: without versioning the service sends no isCurrentVersion; the one blob there is is the current one.
      isCurrentVersion: item.versionId === undefined ? true : item.isCurrentVersion === true,
      size: item.properties.contentLength ?? 0,
      legalHold: item.properties.legalHold === true,
      policyExpiresOn: item.properties.immutabilityPolicyExpiresOn ?? null,
      sha256: item.metadata?.sha256 ?? null,
      lastModified: item.properties.lastModified ?? null,
    });
  }
  return blobs;
}

export async function readManifest(archive: ContainerClient, ref: RecordingRef): Promise<Manifest | null> {
  const found = await new ArchiveStore(archive).readManifest(ref.callId, ref.recordingKey);
  return found ? found.manifest : null;
}

/**
 * The hashes of everyone in a recording, as far as the archive tells (see recordingParticipantIds): `hashes` one per
 * person (canonical ids), `markerHashes` every hash their index markers may be under (also those an earlier version
 * wrote of the ids exactly as written). `problems` not empty: someone may be missing from `hashes`.
 */
export async function recordingParticipantHashes(
  archive: ContainerClient,
  manifest: Manifest | null,
  blobs?: readonly Pick<StoredBlob, 'name' | 'isCurrentVersion'>[],
): Promise<{ hashes: string[]; markerHashes: string[]; problems: string[] }> {
  const found = await recordingParticipantIds(archive, manifest, blobs);
  return {
    hashes: [...new Set(found.ids.map(participantHash))],
    markerHashes: [...new Set(found.ids.flatMap(participantMarkerHashes))],
    problems: found.problems,
  };
}

/**
 * The ids of everyone in a recording: the manifest's participants together with the ids of every metadata file still
 * there (the manifest lists only the ids of chunks whose media was archived, and only those that could be read). The
 * metadata files are those among `blobs` (the folder's listing) or, without a listing, those the manifest names.
 * `problems` (positions and keys, never an id) says what could not be read for certain.
 */
export async function recordingParticipantIds(
  archive: ContainerClient,
  manifest: Manifest | null,
  blobs?: readonly Pick<StoredBlob, 'name' | 'isCurrentVersion'>[],
): Promise<{ ids: string[]; problems: string[] }> {
  const ids = new Set<string>();
  const problems: string[] = [];
  (manifest?.participants ?? []).forEach((id, position) => {
    const problem = participantIdProblem(id);
    if (problem) problems.push(`manifest participants[${position}]: the participant id ${problem}`);
    else ids.add(id);
  });
  const metadataBlobs = blobs
    ? blobs.filter((b) => b.isCurrentVersion && b.name.endsWith('.metadata.json')).map((b) => b.name)
    : (manifest?.chunks ?? []).map((c) => c.metadataBlob);
  for (const name of new Set(metadataBlobs)) {
    const text = await readSmallBlob(archive, name);
    if (text === null) continue;
    const found = participantsFromMetadata(text);
    found.ids.forEach((id) => ids.add(id));
    const label = name.slice(name.lastIndexOf('/') + 1);
    problems.push(...found.problems.map((p) => `${label}: ${p}`));
  }
  return { ids: [...ids], problems };
}

/** A metadata file (kilobytes), or null when it is not there. */
async function readSmallBlob(archive: ContainerClient, name: string): Promise<string | null> {
  try {
    const response = await archive.getBlobClient(name).download();
    return await streamToText(response.readableStreamBody, 16 * 1024 * 1024);
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
}
