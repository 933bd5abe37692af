import type { ContainerClient } from '@azure/storage-blob';
import { ArchiveStore } from '../archive/archiveStore';
import { statusCode, streamToText } from '../storage';
import type { Manifest } from '../archive/manifest';
import { recordingFolder } from '../archive/naming';
import { participantHash, participantIdProblem } from './participantId';
import type { RecordingRef } from './participantIndex';
import { participantsFromMetadata } from './participantsFromMetadata';

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
 * The hashes of everyone in a recording: the manifest's participants, or, when the manifest lists none (archives made
 * before the manifest kept them) or is gone (an erasure stopped part way), those of its metadata files.
 */
export async function recordingParticipantHashes(
  archive: ContainerClient,
  manifest: Manifest | null,
  blobs: readonly Pick<StoredBlob, 'name' | 'isCurrentVersion'>[] = [],
): Promise<{ hashes: string[]; problems: string[] }> {
  const ids = await recordingParticipantIds(archive, manifest, blobs);
  return { hashes: [...new Set(ids.ids.map(participantHash))], problems: ids.problems };
}

/** The ids of everyone in a recording (see recordingParticipantHashes). */
export async function recordingParticipantIds(
  archive: ContainerClient,
  manifest: Manifest | null,
  blobs: readonly Pick<StoredBlob, 'name' | 'isCurrentVersion'>[] = [],
): Promise<{ ids: string[]; problems: string[]; source: 'manifest' | 'metadata' }> {
  const listed = (manifest?.participants ?? []).filter((id) => participantIdProblem(id) === null);
  if (listed.length > 0) return { ids: [...new Set(listed)], problems: [], source: 'manifest' };
  const metadataBlobs = manifest
    ? (manifest.chunks ?? []).map((c) => ({ label: `chunk ${c.index}`, name: c.metadataBlob }))
    : blobs
        .filter((b) => b.isCurrentVersion && b.name.endsWith('.metadata.json'))
        .map((b) => ({ label: b.name.slice(b.name.lastIndexOf('/') + 1), name: b.name }));
  const ids = new Set<string>();
  const problems: string[] = [];
  for (const { label, name } of metadataBlobs) {
    if (!name) continue;
    const text = await readSmallBlob(archive, name);
    if (text === null) continue;
    const found = participantsFromMetadata(text);
    found.ids.forEach((id) => ids.add(id));
    problems.push(...found.problems.map((p) => `${label} metadata: ${p}`));
  }
  return { ids: [...ids], problems, source: 'metadata' };
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
