import { createHash } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { ArchiveStore, type Manifest, type ManifestChunk } from '../archive';
import { ConflictError, NotFoundError } from '../errors';
import { readHoldTags } from '../participants';
import { checkRecordingRef, formatOfBlobName, mimeTypeFor, type RecordingRef } from '../recording';
import { statusCode, streamToText } from '../storage';
import { requireRole, type ConsoleCaller } from './access';
import { accessLogPage, writeAccessRecord, type AccessAction, type AccessRecord } from './accessLog';
import { readOnlyBlobUrl, type SignedBlobUrl } from './readOnlySas';

/**
 * What the console does with one recording. Each action checks the caller's role, then writes its access record, and
 * only then reads what it hands out: no record, no data (and no SAS).
 */

export interface ConsoleStores {
  service: BlobServiceClient;
  archive: ContainerClient;
  control: ContainerClient;
  audit: ContainerClient;
}

export interface ConsoleRequest {
  caller: ConsoleCaller;
  from: AccessRecord['from'];
  now: () => Date;
}

/** A chunk's facts from its metadata file (null where the file could not be read). */
export interface ChunkTiming {
  index: number;
  startTime: string | null;
  durationMs: number | null;
  pauseResumeIntervals: { startTime: string; durationMs: number }[];
}

export interface RecordingDetail {
  manifest: Manifest;
  timings: ChunkTiming[];
  legalHold: { held: boolean; tags: string[] };
}

const MAX_METADATA_BYTES = 4 * 1024 * 1024;

async function record(
  stores: ConsoleStores,
  request: ConsoleRequest,
  action: AccessAction,
  ref: RecordingRef,
  extra: { chunk?: number; result?: unknown } = {},
) {
  return writeAccessRecord(stores.audit, request.caller, { action, ref, ...extra }, request.from, request.now());
}

async function manifestOf(stores: ConsoleStores, ref: RecordingRef): Promise<Manifest> {
  checkRecordingRef(ref);
  const stored = await new ArchiveStore(stores.archive).readManifest(ref.callId, ref.recordingKey);
  if (!stored)
    throw new NotFoundError(`no recording ${ref.callId}/${ref.recordingKey} in the archive`, 'NoSuchRecording');
  return stored.manifest;
}

function chunkOf(manifest: Manifest, index: number): ManifestChunk {
  const chunk = manifest.chunks.find((c) => c.index === index);
  if (!chunk) throw new NotFoundError(`recording has no chunk ${index}`, 'NoSuchChunk');
  if (chunk.status !== 'archived') {
    throw new ConflictError(
      `chunk ${index} is ${chunk.status}, not archived: there is nothing to play yet`,
      'ChunkNotArchived',
    );
  }
  if (chunk.location === 'external') {
    throw new ConflictError(
      `chunk ${index} is in your own storage (verified in place): open it there`,
      'ChunkInYourStorage',
    );
  }
  return chunk;
}

async function timingOf(archive: ContainerClient, chunk: ManifestChunk): Promise<ChunkTiming> {
  const empty: ChunkTiming = { index: chunk.index, startTime: null, durationMs: null, pauseResumeIntervals: [] };
  if (chunk.location === 'external' || chunk.status !== 'archived') return empty;
  try {
    const response = await archive.getBlobClient(chunk.metadataBlob).download();
    const metadata = JSON.parse(await streamToText(response.readableStreamBody, MAX_METADATA_BYTES)) as Record<
      string,
      unknown
    >;
    const intervals = Array.isArray(metadata.pauseResumeIntervals) ? (metadata.pauseResumeIntervals as unknown[]) : [];
    return {
      index: chunk.index,
      startTime: typeof metadata.chunkStartTime === 'string' ? metadata.chunkStartTime : null,
      durationMs: typeof metadata.chunkDuration === 'number' ? metadata.chunkDuration : null,
      pauseResumeIntervals: intervals.flatMap((i) => {
        const { startTime, duration } = (i ?? {}) as { startTime?: unknown; duration?: unknown };
        return typeof startTime === 'string' && typeof duration === 'number'
          ? [{ startTime, durationMs: duration }]
          : [];
      }),
    };
  } catch (error) {
    // A missing or unreadable metadata file leaves the chunk without timing; the page still shows the rest.
    if (statusCode(error) === 404 || error instanceof SyntaxError) return empty;
    throw error;
  }
}

export async function inspectRecording(
  stores: ConsoleStores,
  request: ConsoleRequest,
  ref: RecordingRef,
): Promise<RecordingDetail> {
  requireRole(request.caller, 'Recordings.Read');
  checkRecordingRef(ref);
  await record(stores, request, 'inspect', ref);
  const manifest = await manifestOf(stores, ref);
  const [timings, tags] = await Promise.all([
    Promise.all(manifest.chunks.map((chunk) => timingOf(stores.archive, chunk))),
    readHoldTags(stores.control, ref),
  ]);
  return { manifest, timings, legalHold: { held: tags.length > 0, tags } };
}

/** The raw manifest or a chunk's metadata file, as stored. */
export async function rawRecordingFile(
  stores: ConsoleStores,
  request: ConsoleRequest,
  ref: RecordingRef,
  name: string,
): Promise<string> {
  requireRole(request.caller, 'Recordings.Read');
  checkRecordingRef(ref);
  const chunkMatch = /^chunk-(\d{4})\.metadata\.json$/.exec(name);
  if (name !== 'manifest.json' && !chunkMatch)
    throw new NotFoundError('only manifest.json and chunk-NNNN.metadata.json are served', 'NoSuchFile');
  await record(stores, request, 'inspect', ref, chunkMatch ? { chunk: Number(chunkMatch[1]) } : {});
  try {
    const response = await stores.archive.getBlobClient(`${ref.callId}/${ref.recordingKey}/${name}`).download();
    return await streamToText(response.readableStreamBody, 64 * 1024 * 1024);
  } catch (error) {
    if (statusCode(error) === 404) throw new NotFoundError(`no ${name} in that recording`, 'NoSuchFile');
    throw error;
  }
}

export interface ChunkPlayback extends SignedBlobUrl {
  index: number;
  contentType: string;
  size: number | null;
}

/** A short-lived read-only URL of one archived chunk, issued only once the access record is written. */
export async function playChunk(
  stores: ConsoleStores,
  request: ConsoleRequest,
  ref: RecordingRef,
  index: number,
): Promise<ChunkPlayback> {
  requireRole(request.caller, 'Recordings.Read');
  const manifest = await manifestOf(stores, ref);
  const chunk = chunkOf(manifest, index);
  await record(stores, request, 'play', ref, { chunk: index });
  const signed = await readOnlyBlobUrl(stores.service, stores.archive.containerName, chunk.blob, request.now());
  const format = chunk.format ?? formatOfBlobName(chunk.blob) ?? 'bin';
  return { ...signed, index, contentType: mimeTypeFor(format, manifest.contentType), size: chunk.size };
}

export interface ChunkCheck {
  index: number;
  ok: boolean;
  size: number;
  sha256: string;
  md5: string;
  expected: { size: number | null; sha256: string | null; md5: string | null };
  verifiedAt: string;
}

/** Reads one archived chunk again, streamed, and compares its size, SHA-256 and MD5 with the manifest. */
export async function verifyChunk(
  stores: ConsoleStores,
  request: ConsoleRequest,
  ref: RecordingRef,
  index: number,
): Promise<ChunkCheck> {
  requireRole(request.caller, 'Recordings.Read');
  const manifest = await manifestOf(stores, ref);
  const chunk = chunkOf(manifest, index);
  await record(stores, request, 'verify', ref, { chunk: index });
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  const response = await stores.archive.getBlobClient(chunk.blob).download();
  for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) {
    sha256.update(piece);
    md5.update(piece);
    size += piece.length;
  }
  const check = {
    index,
    size,
    sha256: sha256.digest('hex'),
    md5: md5.digest('base64'),
    expected: { size: chunk.size, sha256: chunk.sha256, md5: chunk.md5 },
    verifiedAt: request.now().toISOString(),
  };
  const ok =
    check.size === chunk.size && check.sha256 === chunk.sha256 && (chunk.md5 === null || check.md5 === chunk.md5);
  const result = { ...check, ok };
  // The outcome is kept beside the request, so "last verified" survives the browser tab.
  await record(stores, request, 'verify', ref, { chunk: index, result });
  return result;
}

/** A recording's access records, oldest first; reading them is an access too, and recorded first. */
export async function recordingAccessLog(
  stores: ConsoleStores,
  request: ConsoleRequest,
  ref: RecordingRef,
  page: { pageSize: number; continuationToken?: string },
): Promise<{ records: AccessRecord[]; continuationToken: string | null }> {
  requireRole(request.caller, 'Recordings.Read');
  checkRecordingRef(ref);
  await record(stores, request, 'access-log', ref);
  return accessLogPage(stores.audit, ref, page);
}
