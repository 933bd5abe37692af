import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { SourceClient, SourceExpiredError, describe } from '../acs/download';
import { AppError, BadInputError, PermanentError, RetryableError, toError } from '../errors';
import { toEventEnvelope } from '../events/envelope';
import { planFromEvent, type IncomingEvent } from '../events/recordingFileStatus';
import type { Logger } from '../logger';
import { sleep, type RetryPolicy } from '../retry';
import { ArchiveStore } from './archiveStore';
import { copyFileToBlob } from './copyChunk';
import { chunksToCopy, mergePlan, missingIndices, statusOf, type Manifest, type ManifestChunk } from './manifest';
import { copyMetadataToBlob, participantsOf } from './metadataFile';
import { isSafeToken, mimeTypeFor } from './naming';
import { RecordingLock } from './recordingLock';

export type ArchiveOutcome =
  | { outcome: 'rejected'; reason: string; rejectedBlob: string }
  | { outcome: 'complete' | 'failed' | 'pending'; manifest: Manifest };

export interface ArchiverOptions {
  config: Pick<Config, 'acs' | 'retentionHours' | 'deadlineWarningHours' | 'deleteSourceAfterArchive' | 'archive'>;
  store: ArchiveStore;
  source: SourceClient;
  /** How long a delivery that finds another invocation copying the recording waits for it before asking for a redelivery. */
  lockWaitMs?: number;
  now?: () => Date;
  /** Progress of each chunk copy, for terminals (the CLI's progress bars). */
  onProgress?: (progress: {
    callId: string;
    recordingKey: string;
    index: number;
    staged: number;
    total: number;
  }) => void;
}

export interface SweepReport {
  checked: number;
  redriven: number;
  completed: number;
  busy: number;
  nearDeadline: { callId: string; recordingKey: string; deadline: string }[];
  errors: { callId: string; recordingKey: string; error: string }[];
}

/**
 * Archives recordings: validates an event, writes the manifest first (the intent record), then copies every chunk
 * and its metadata under a per-recording lock, recording every outcome in the manifest. Transient failures throw a
 * RetryableError (the trigger redelivers); permanent ones are recorded and the call succeeds.
 */
export class Archiver {
  private readonly now: () => Date;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ArchiverOptions) {
    this.now = options.now ?? (() => new Date());
    this.retry = {
      maxAttempts: options.config.archive.maxAttempts,
      baseDelayMs: options.config.archive.retryBaseMs,
      maxDelayMs: Math.max(options.config.archive.retryBaseMs * 32, 1),
    };
  }

  /** One RecordingFileStatusUpdated event as delivered, in the Event Grid or the CloudEvents schema. */
  async archiveEvent(raw: unknown, log: Logger): Promise<ArchiveOutcome> {
    const { store, config } = this.options;
    await store.ensureContainer();
    let manifest: Manifest | null;
    let event: IncomingEvent | undefined;
    try {
      event = toEventEnvelope(raw);
      const plan = planFromEvent(event, {
        endpoint: config.acs.endpoint,
        dialect: config.acs.dialect,
        retentionHours: config.retentionHours,
      });
      // The marker first: from here on the sweeper knows of this recording even if every delivery fails.
      await store.markPending(plan.callId, plan.recordingKey);
      manifest = await store.updateManifest(plan.callId, plan.recordingKey, (current) => {
        const merged = mergePlan(current, plan, this.now());
        return current && JSON.stringify({ ...current, updatedAt: '' }) === JSON.stringify({ ...merged, updatedAt: '' })
          ? null
          : merged;
      });
      if (!manifest) throw new RetryableError('ManifestMissing', 'manifest vanished while being written');
    } catch (error) {
      if (error instanceof BadInputError) return this.reject(event?.id, raw, error, log);
      throw error;
    }
    const tag = `call ${manifest.callId} recording ${manifest.recordingKey}`;
    log.info(`Event ${event.id} for ${tag}: ${manifest.chunks.length} chunk(s) known, status ${manifest.status}`);
    return this.archiveRecording(manifest.callId, manifest.recordingKey, log, { waitForLock: true });
  }

  /** Copies what the manifest says is still to copy; the sweeper's path, and the second half of archiveEvent. */
  async archiveRecording(
    callId: string,
    recordingKey: string,
    log: Logger,
    options: { waitForLock: boolean },
  ): Promise<ArchiveOutcome & { manifest: Manifest }> {
    const { store } = this.options;
    const tag = `call ${callId} recording ${recordingKey}`;
    let current = await this.mustRead(callId, recordingKey);
    if (chunksToCopy(current).length === 0) return this.finish(current, log);

    const lock = await RecordingLock.tryAcquire(
      store.container,
      callId,
      recordingKey,
      log,
      this.options.config.archive.lockSeconds,
    );
    if (!lock) {
      if (!options.waitForLock) throw new RetryableError('ArchiveInProgress', `another invocation is archiving ${tag}`);
      return this.waitForOther(callId, recordingKey, log);
    }
    try {
      const transient: string[] = [];
      const tried = new Set<number>();
      for (;;) {
        current = await this.mustRead(callId, recordingKey);
        const todo = chunksToCopy(current).filter((c) => !tried.has(c.index));
        if (todo.length === 0) break;
        todo.forEach((c) => tried.add(c.index));
        await forEachLimited(todo, 2, async (chunk) => {
          try {
            await this.archiveChunk(current, chunk, lock.signal, log);
          } catch (error) {
            transient.push(`chunk ${chunk.index}: ${toError(error).message}`);
          }
        });
      }
      const outcome = await this.finish(await this.mustRead(callId, recordingKey), log);
      if (transient.length > 0) {
        throw new RetryableError(
          'ChunksNotArchived',
          `${tag}: ${transient.length} chunk(s) not archived yet (${transient.join('; ')})`,
        );
      }
      return outcome;
    } finally {
      await lock.release();
    }
  }

  /** Re-drives pending recordings from their manifests and reports those close to their deadline. */
  async sweep(log: Logger): Promise<SweepReport> {
    const report: SweepReport = { checked: 0, redriven: 0, completed: 0, busy: 0, nearDeadline: [], errors: [] };
    await this.options.store.ensureContainer();
    const now = this.now().getTime();
    for await (const { callId, recordingKey, since } of this.options.store.pendingRecordings()) {
      report.checked++;
      try {
        const found = await this.options.store.readManifest(callId, recordingKey);
        if (!found) {
          // A marker without a manifest: the writer died between the two. Old enough means it is not coming.
          if (since && now - since.getTime() > 10 * 60_000) await this.options.store.clearPending(callId, recordingKey);
          continue;
        }
        const manifest = found.manifest;
        const deadlineMs = Date.parse(manifest.deadline);
        if (manifest.status !== 'complete' && deadlineMs - now < this.options.config.deadlineWarningHours * 3_600_000) {
          report.nearDeadline.push({ callId, recordingKey, deadline: manifest.deadline });
          log.error(
            `Recording ${recordingKey} of call ${callId} is ${manifest.status}, and its source files expire at ${manifest.deadline}` +
              ` (${((deadlineMs - now) / 3_600_000).toFixed(1)} h); chunks not archived: ${unarchived(manifest)}`,
          );
        }
        if (chunksToCopy(manifest).length === 0) {
          await this.finish(manifest, log);
          continue;
        }
        report.redriven++;
        const outcome = await this.archiveRecording(callId, recordingKey, log, { waitForLock: false });
        if (outcome.outcome === 'complete') report.completed++;
      } catch (error) {
        if (error instanceof RetryableError && error.code === 'ArchiveInProgress') {
          report.busy++;
          continue;
        }
        const message = toError(error).message;
        report.errors.push({ callId, recordingKey, error: message });
        log.warn(`Sweep of call ${callId} recording ${recordingKey} left it pending: ${message}`);
      }
    }
    log.info(
      `Sweep: ${report.checked} pending recording(s) checked, ${report.redriven} re-driven, ${report.completed} completed,` +
        ` ${report.busy} busy elsewhere, ${report.nearDeadline.length} near their deadline, ${report.errors.length} still failing`,
    );
    return report;
  }

  private async archiveChunk(
    manifest: Manifest,
    chunk: ManifestChunk,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const { source, store, config } = this.options;
    const tag = `call ${manifest.callId} recording ${manifest.recordingKey} chunk ${chunk.index}`;
    const started = Date.now();
    let attempts = 0;
    const onRetry = (error: Error, attempt: number, delayMs: number) =>
      log.warn(`${tag}: attempt ${attempt} failed (${error.message}); retrying in ${Math.round(delayMs)} ms`);
    try {
      if (!chunk.contentLocation || !chunk.metadataLocation) {
        throw new PermanentError('NoLocation', chunk.lastError ?? 'no download location');
      }
      // Refuse before any request is made, for both files.
      source.checkLocation(chunk.contentLocation);
      source.checkLocation(chunk.metadataLocation);
      const blobMetadata = { documentid: chunk.documentId, chunkindex: String(chunk.index) };
      const metadataFile = await copyMetadataToBlob({
        source,
        blob: store.container.getBlockBlobClient(chunk.metadataBlob),
        location: chunk.metadataLocation,
        metadata: blobMetadata,
        retry: this.retry,
        signal,
        onRetry,
      });
      attempts += metadataFile.attempts;
      const copied = await copyFileToBlob({
        source,
        blob: store.container.getBlockBlobClient(chunk.blob),
        location: chunk.contentLocation,
        contentType: mimeTypeFor(manifest.format, manifest.contentType),
        metadata: blobMetadata,
        blockSizeBytes: config.archive.blockSizeBytes,
        blocksInFlight: config.archive.blocksInFlight,
        retry: this.retry,
        signal,
        onAttempt: () => attempts++,
        onRetry,
        onProgress: this.options.onProgress
          ? (staged, total) =>
              this.options.onProgress?.({
                callId: manifest.callId,
                recordingKey: manifest.recordingKey,
                index: chunk.index,
                staged,
                total,
              })
          : undefined,
      });
      const seconds = (Date.now() - started) / 1000;
      const archivedAt = this.now().toISOString();
      await this.updateChunk(manifest, chunk.index, (c, m) => {
        c.status = 'archived';
        c.size = copied.size;
        c.sha256 = copied.sha256;
        c.md5 = copied.md5;
        c.attempts += attempts;
        c.lastError = null;
        c.archivedAt ??= archivedAt;
        for (const p of participantsOf(metadataFile.text)) if (!m.participants.includes(p)) m.participants.push(p);
      });
      log.info(
        copied.alreadyArchived
          ? `${tag}: already archived (${copied.size} bytes), nothing downloaded`
          : `${tag}: archived ${copied.size} bytes (${copied.downloadedBytes} downloaded) in ${seconds.toFixed(2)} s` +
              ` (${(copied.downloadedBytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s), ${attempts} attempt(s), sha256 ${copied.sha256}`,
      );
      if (config.deleteSourceAfterArchive && chunk.deleteLocation)
        await this.deleteSource(manifest, chunk, signal, log);
    } catch (error) {
      const failure = toError(error);
      if (failure instanceof PermanentError) {
        const status = failure instanceof SourceExpiredError ? 'expired' : 'failed';
        await this.updateChunk(manifest, chunk.index, (c) => {
          c.status = status;
          c.attempts += attempts;
          c.lastError = failure.message;
        });
        log.error(`${tag}: ${status}, will not be retried: ${failure.message}`);
        return;
      }
      await this.updateChunk(manifest, chunk.index, (c) => {
        c.attempts += attempts;
        c.lastError = failure.message;
      }).catch(() => undefined);
      log.warn(`${tag}: not archived in this invocation (${attempts} attempt(s)): ${failure.message}`);
      throw failure;
    }
  }

  private async deleteSource(
    manifest: Manifest,
    chunk: ManifestChunk,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const tag = `call ${manifest.callId} recording ${manifest.recordingKey} chunk ${chunk.index}`;
    try {
      await this.options.source.delete(chunk.deleteLocation!, signal);
      const at = this.now().toISOString();
      await this.updateChunk(manifest, chunk.index, (c) => {
        c.sourceDeletedAt = at;
      });
      log.info(`${tag}: deleted from the recording store (${describe(chunk.deleteLocation!)})`);
    } catch (error) {
      // The archive is safe; the source expires on its own anyway.
      log.warn(`${tag}: archived, but deleting the source failed: ${toError(error).message}`);
    }
  }

  private async updateChunk(
    manifest: Manifest,
    index: number,
    change: (chunk: ManifestChunk, manifest: Manifest) => void,
  ): Promise<void> {
    await this.options.store.updateManifest(manifest.callId, manifest.recordingKey, (current) => {
      if (!current)
        throw new RetryableError('ManifestMissing', `manifest of ${manifest.callId}/${manifest.recordingKey} is gone`);
      const next = structuredClone(current);
      const chunk = next.chunks.find((c) => c.index === index);
      if (!chunk) return null;
      change(chunk, next);
      next.status = statusOf(next);
      next.updatedAt = this.now().toISOString();
      return next;
    });
  }

  private async finish(manifest: Manifest, log: Logger): Promise<ArchiveOutcome & { manifest: Manifest }> {
    const tag = `call ${manifest.callId} recording ${manifest.recordingKey}`;
    const status = statusOf(manifest);
    let final = manifest;
    if (status !== manifest.status) {
      final =
        (await this.options.store.updateManifest(manifest.callId, manifest.recordingKey, (current) =>
          current ? { ...current, status: statusOf(current), updatedAt: this.now().toISOString() } : null,
        )) ?? manifest;
    }
    if (chunksToCopy(final).length === 0 && final.status !== 'pending') {
      await this.options.store.clearPending(final.callId, final.recordingKey);
    }
    if (final.status === 'complete') {
      log.info(
        `${tag}: complete, ${final.chunks.length} chunk(s), ${final.chunks.reduce((n, c) => n + (c.size ?? 0), 0)} bytes`,
      );
    } else if (final.status === 'failed') {
      log.error(
        `${tag}: FAILED: ${final.chunks
          .filter((c) => c.status === 'expired' || c.status === 'failed')
          .map((c) => `chunk ${c.index} ${c.status}: ${c.lastError}`)
          .join('; ')}`,
      );
    } else {
      const missing = missingIndices(final);
      log.info(`${tag}: pending${missing.length ? `, waiting for chunk(s) ${missing.join(', ')}` : ''}`);
    }
    return { outcome: final.status, manifest: final };
  }

  private async waitForOther(
    callId: string,
    recordingKey: string,
    log: Logger,
  ): Promise<ArchiveOutcome & { manifest: Manifest }> {
    const tag = `call ${callId} recording ${recordingKey}`;
    const deadline = Date.now() + (this.options.lockWaitMs ?? 20_000);
    log.info(`${tag}: another invocation is archiving it; waiting for it`);
    while (Date.now() < deadline) {
      await sleep(500);
      const manifest = await this.mustRead(callId, recordingKey);
      if (chunksToCopy(manifest).length === 0) return this.finish(manifest, log);
    }
    throw new RetryableError(
      'ArchiveInProgress',
      `another invocation is still archiving ${tag}; asking for a redelivery`,
    );
  }

  private async mustRead(callId: string, recordingKey: string): Promise<Manifest> {
    const found = await this.options.store.readManifest(callId, recordingKey);
    if (!found) throw new RetryableError('ManifestMissing', `no manifest for call ${callId} recording ${recordingKey}`);
    return found.manifest;
  }

  private async reject(eventId: unknown, raw: unknown, error: AppError, log: Logger): Promise<ArchiveOutcome> {
    const receivedAt = this.now();
    const name =
      typeof eventId === 'string' && isSafeToken(eventId)
        ? eventId
        : createHash('sha256').update(safeJson(raw)).digest('hex');
    const rejectedBlob = await this.options.store.writeRejection(
      { reason: error.message, receivedAt: receivedAt.toISOString(), event: raw },
      name,
    );
    log.error(`Rejected a malformed RecordingFileStatusUpdated event (${error.message}); kept at ${rejectedBlob}`);
    return { outcome: 'rejected', reason: error.message, rejectedBlob };
  }
}

function unarchived(manifest: Manifest): string {
  const left = manifest.chunks.filter((c) => c.status !== 'archived').map((c) => `${c.index} (${c.status})`);
  const missing = missingIndices(manifest).map((i) => `${i} (no event yet)`);
  return [...left, ...missing].join(', ') || 'none known';
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
