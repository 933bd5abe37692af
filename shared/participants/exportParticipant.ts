import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerClient } from '@azure/storage-blob';
export type { ExportedFile, ExportedRecording, ExportReport, FileCheck } from './exportReport';
import type { Manifest } from '../archive';
import { renderExportReadme } from './exportReadme';
import type { ExportedFile, ExportedRecording, ExportReport } from './exportReport';
import type { ExportSink } from './exportSinks';
import { participantHash, participantMarkerHashes, type RecordingRef } from '../recording';
import { participantRecordings } from './participantIndex';
import { listRecordingBlobs, readManifest, recordingParticipantHashes, type StoredBlob } from './recordingFolder';

/**
 * A participant's export: every recording folder the index lists for them (manifest, metadata files, media), streamed
 * into a sink with the SHA-256 of each file computed on the way and compared with the archive's own record of it (the
 * manifest for media, the blob's sha256 metadata for metadata files), and a README.txt saying what was found.
 */

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export interface ExportOptions {
  now?: Date;
  /** A file starts copying (for progress bars). */
  onFileStart?: (path: string, size: number) => void;
  onBytes?: (n: number) => void;
  onFile?: (file: ExportedFile) => void;
}

export async function exportParticipant(
  stores: { archive: ContainerClient; control: ContainerClient },
  participantId: string,
  sink: ExportSink | null,
  options: ExportOptions = {},
): Promise<ExportReport> {
  const hash = participantHash(participantId);
  // The canonical hash, and the one an earlier version wrote of the id as written (until `index rebuild`).
  const found = new Map<string, RecordingRef>();
  for (const markerHash of participantMarkerHashes(participantId)) {
    for await (const ref of participantRecordings(stores.control, markerHash))
      found.set(`${ref.callId}/${ref.recordingKey}`, ref);
  }
  const refs = [...found.values()].sort(
    (a, b) => a.callId.localeCompare(b.callId) || a.recordingKey.localeCompare(b.recordingKey),
  );
  const report: ExportReport = {
    participantSha256: hash,
    exportedAt: (options.now ?? new Date()).toISOString(),
    destination: sink?.destination ?? null,
    dryRun: sink === null,
    recordings: [],
    files: 0,
    bytes: 0,
    mismatches: 0,
    missing: 0,
  };
  try {
    for (const ref of refs) {
      const recording = await exportRecording(stores.archive, ref, sink, options);
      if (!recording) continue;
      report.recordings.push(recording);
      report.missing += recording.missing.length;
      for (const file of recording.files) {
        report.files++;
        report.bytes += file.size;
        if (file.check === 'mismatch') report.mismatches++;
      }
    }
    if (sink) {
      await sink.writeText('README.txt', renderExportReadme(report));
      await sink.close();
    }
  } catch (error) {
    await sink?.abort();
    throw error;
  }
  return report;
}

async function exportRecording(
  archive: ContainerClient,
  ref: RecordingRef,
  sink: ExportSink | null,
  options: ExportOptions,
): Promise<ExportedRecording | null> {
  const [manifest, blobs] = await Promise.all([readManifest(archive, ref), listRecordingBlobs(archive, ref)]);
  const current = blobs.filter((b) => b.isCurrentVersion).sort((a, b) => exportOrder(a.name) - exportOrder(b.name));
  if (!manifest && current.length === 0) return null; // a stale index marker: nothing to export
  const everyone = await recordingParticipantHashes(archive, manifest, blobs);
  const recording: ExportedRecording = {
    callId: ref.callId,
    recordingKey: ref.recordingKey,
    status: manifest?.status ?? null,
    recordingStartTime: manifest?.recordingStartTime ?? null,
    recordingDurationMs: manifest?.recordingDurationMs ?? null,
    participants: everyone.hashes.length,
    chunksNotArchived: (manifest?.chunks ?? [])
      .filter((c) => c.status !== 'archived')
      .map((c) => ({ index: c.index, status: c.status })),
    files: [],
    missing: missingFiles(manifest, current),
    problems: manifest ? inCustomerContainer(manifest) : ['no manifest: the files below are all that is left'],
  };
  const folder = `${ref.callId}/${ref.recordingKey}/`;
  for (const blob of current) {
    const fileName = blob.name.slice(folder.length);
    if (!blob.name.startsWith(folder) || !FILE_NAME.test(fileName)) {
      recording.problems.push(`skipped a blob with an unexpected name under ${folder}`);
      continue;
    }
    const file = await exportFile(archive, blob, `${folder}${fileName}`, expectedOf(manifest, blob), sink, options);
    recording.files.push(file);
    options.onFile?.(file);
  }
  return recording;
}

/** The media and metadata files of the chunks the manifest says are archived that the archive does not hold. */
function missingFiles(manifest: Manifest | null, current: readonly StoredBlob[]): string[] {
  const present = new Set(current.map((b) => b.name));
  return (manifest?.chunks ?? [])
    .filter((c) => c.status === 'archived' && c.location !== 'external')
    .flatMap((c) => [c.blob, c.metadataBlob])
    .filter((name) => !present.has(name));
}

/**
 * Bring your own storage: chunks archived where ACS wrote them, in the customer's own container. They are not in the
 * archive, so they are neither exported nor missing: the README says where they are.
 */
function inCustomerContainer(manifest: Manifest): string[] {
  return manifest.chunks
    .filter((c) => c.status === 'archived' && c.location === 'external')
    .map(
      (c) =>
        `chunk ${c.index} is in the customer's container at ${c.blobUrl ?? c.blob} (verified in place; not part of this export)`,
    );
}

function expectedOf(
  manifest: Manifest | null,
  blob: StoredBlob,
): Pick<ExportedFile, 'expectedSha256' | 'expectedSize' | 'reference'> {
  const chunk = manifest?.chunks.find((c) => c.blob === blob.name && c.status === 'archived');
  if (chunk?.sha256) return { expectedSha256: chunk.sha256, expectedSize: chunk.size, reference: 'manifest' };
  if (blob.sha256) return { expectedSha256: blob.sha256, expectedSize: null, reference: 'blob-metadata' };
  return { expectedSha256: null, expectedSize: null, reference: 'none' };
}

async function exportFile(
  archive: ContainerClient,
  blob: StoredBlob,
  path: string,
  expected: Pick<ExportedFile, 'expectedSha256' | 'expectedSize' | 'reference'>,
  sink: ExportSink | null,
  options: ExportOptions,
): Promise<ExportedFile> {
  const file: ExportedFile = { path, size: blob.size, sha256: null, ...expected, check: 'listed', problem: null };
  if (!sink) return file;
  options.onFileStart?.(path, blob.size);
  const response = await archive.getBlobClient(blob.name).download();
  const hasher = new HashingStream(options.onBytes);
  const copying = sink.write(path, hasher, {
    compress: blob.name.endsWith('.json'),
    mtime: blob.lastModified ?? undefined,
  });
  await Promise.all([pipeline(response.readableStreamBody!, hasher), copying]);
  file.size = hasher.bytes;
  file.sha256 = hasher.digest();
  const problems: string[] = [];
  if (expected.expectedSha256 && expected.expectedSha256 !== file.sha256) {
    problems.push(`SHA-256 ${file.sha256}, the ${referenceName(expected.reference)} says ${expected.expectedSha256}`);
  }
  if (expected.expectedSize !== null && expected.expectedSize !== file.size) {
    problems.push(`${file.size} bytes, the ${referenceName(expected.reference)} says ${expected.expectedSize}`);
  }
  file.check = problems.length > 0 ? 'mismatch' : expected.expectedSha256 ? 'ok' : 'no-reference';
  file.problem = problems.length > 0 ? problems.join('; ') : null;
  return file;
}

function referenceName(reference: ExportedFile['reference']): string {
  return reference === 'manifest' ? 'manifest' : "blob's sha256 metadata";
}

/** manifest.json first, then the chunks in index order, each with its metadata file. */
function exportOrder(name: string): number {
  if (name.endsWith('/manifest.json')) return -1;
  const match = /chunk-(\d+)\.(metadata\.json|[a-z0-9]+)$/.exec(name);
  return match ? Number(match[1]) * 2 + (match[2] === 'metadata.json' ? 1 : 0) : Number.MAX_SAFE_INTEGER;
}

/** Passes bytes through unchanged, hashing and counting them. */
class HashingStream extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
