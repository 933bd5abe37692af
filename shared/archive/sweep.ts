import { toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { isChunkLeased } from './chunkLease';
import { chunksToCopy, unarchivedSummary, type Manifest } from './manifest/manifest';
import { settleRecording } from './settle';
import { migrateLegacyMarkers } from './manifest/pendingMarkers';
import { ensureContainers, type ArchiveServices } from './archiveServices';
import { isNearDeadline, isPastDeadline, markDeadlinePassed, markEnqueued } from './manifest/marks';

/** A pending chunk whose last enqueue is older than this (and that nobody is copying) is enqueued again. */
export const REENQUEUE_AFTER_MS = 10 * 60_000;
/** A marker without a manifest this old is left over from a writer that died between the two. */
const ORPHAN_MARKER_MS = 10 * 60_000;
/** The previous version's markers are moved by the first sweep of a process that gets through them all. */
let legacyMarkersMigrated = false;

export interface SweepReport {
  checked: number;
  pending: number;
  nearDeadline: { callId: string; recordingKey: string; deadline: string }[];
  enqueued: number;
  markedFailed: number;
  errors: { callId: string; recordingKey: string; error: string }[];
  budgetExhausted: boolean;
}

/**
 * The timer's work, in this order: (1) report every archive close to its deadline, (2) mark archives past their
 * deadline (plus the grace period) failed, clear their marker and stop warning, (3) re-enqueue pending chunks that
 * nobody has queued or copied for a while, within a time budget well under the timer period. It never copies.
 */
export async function sweep(
  services: ArchiveServices,
  log: Logger,
  options: { budgetMs?: number } = {},
): Promise<SweepReport> {
  const started = Date.now();
  const budgetMs = options.budgetMs ?? services.config.sweepBudgetSeconds * 1000;
  const { config, store, markers } = services;
  const report: SweepReport = {
    checked: 0,
    pending: 0,
    nearDeadline: [],
    enqueued: 0,
    markedFailed: 0,
    errors: [],
    budgetExhausted: false,
  };
  await ensureContainers(services);
  if (!legacyMarkersMigrated) {
    for await (const legacy of migrateLegacyMarkers(store.container, markers)) {
      log.info(`Sweep: moved the pending marker of ${legacy.callId}/${legacy.recordingKey} to the control container`);
    }
    legacyMarkersMigrated = true;
  }

  // (1) Read every pending recording and report those near their deadline before anything slow happens.
  const pending: Manifest[] = [];
  const now = services.now();
  for await (const { callId, recordingKey, since } of markers.list()) {
    report.checked++;
    try {
      const found = await store.readManifest(callId, recordingKey);
      if (!found) {
        if (since && now.getTime() - since.getTime() > ORPHAN_MARKER_MS) await markers.clear(callId, recordingKey);
        continue;
      }
      const manifest = found.manifest;
      if (manifest.status !== 'pending') {
        await settleRecording(services, found, manifest.status, log);
        continue;
      }
      pending.push(manifest);
      if (
        isNearDeadline(manifest, now, config.deadlineWarningHours) &&
        !isPastDeadline(manifest, now, config.deadlineGraceHours)
      ) {
        report.nearDeadline.push({ callId, recordingKey, deadline: manifest.deadline });
        logEvent(log, 'error', 'ArchiveNearDeadline', {
          callId,
          recordingKey,
          status: manifest.status,
          deadline: manifest.deadline,
          hoursLeft: Math.round(((Date.parse(manifest.deadline) - now.getTime()) / 3_600_000) * 10) / 10,
          chunksLeft: unarchivedSummary(manifest),
        });
      }
    } catch (error) {
      recordError(report, callId, recordingKey, error, log);
    }
  }
  report.pending = pending.length;

  // (2) and (3): earliest deadline first, so that a sweep cut short by its budget serves the most urgent.
  pending.sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
  for (const manifest of pending) {
    if (Date.now() - started >= budgetMs) {
      report.budgetExhausted = true;
      break;
    }
    const { callId, recordingKey } = manifest;
    try {
      if (isPastDeadline(manifest, services.now(), config.deadlineGraceHours)) {
        const written = await store.updateManifest(callId, recordingKey, (current) =>
          current && isPastDeadline(current, services.now(), config.deadlineGraceHours)
            ? markDeadlinePassed(current, services.now())
            : null,
        );
        if (written.written && written.manifest) {
          report.markedFailed++;
          await settleRecording(services, { manifest: written.manifest, etag: written.etag }, 'pending', log);
        }
        continue;
      }
      report.enqueued += await reenqueueStale(services, manifest);
    } catch (error) {
      recordError(report, callId, recordingKey, error, log);
    }
  }

  const deadlines = pending.map((m) => m.deadline).sort();
  const oldestDeadline = deadlines[0] ?? null;
  logEvent(log, 'info', 'SweepCompleted', {
    checked: report.checked,
    pending: report.pending,
    oldestDeadline,
    minHoursLeft:
      oldestDeadline === null
        ? null
        : Math.round(((Date.parse(oldestDeadline) - services.now().getTime()) / 3_600_000) * 10) / 10,
    nearDeadline: report.nearDeadline.length,
    enqueued: report.enqueued,
    markedFailed: report.markedFailed,
    errors: report.errors.length,
    budgetExhausted: report.budgetExhausted,
    ms: Date.now() - started,
  });
  return report;
}

/** Enqueues the recording's pending chunks that were last queued long ago and that no copier holds. */
async function reenqueueStale(services: ArchiveServices, manifest: Manifest): Promise<number> {
  const now = services.now().getTime();
  const stale: number[] = [];
  for (const chunk of chunksToCopy(manifest)) {
    const last = chunk.enqueuedAt ? Date.parse(chunk.enqueuedAt) : 0;
    if (now - last < REENQUEUE_AFTER_MS) continue;
    if (await isChunkLeased(services.control, { ...manifest, index: chunk.index })) continue;
    stale.push(chunk.index);
  }
  if (stale.length === 0) return 0;
  const { callId, recordingKey } = manifest;
  await services.store.updateManifest(callId, recordingKey, (current) =>
    current ? markEnqueued(current, stale, services.now()) : null,
  );
  await services.queue.enqueue(stale.map((index) => ({ callId, recordingKey, index })));
  return stale.length;
}

function recordError(report: SweepReport, callId: string, recordingKey: string, error: unknown, log: Logger): void {
  const message = toError(error).message;
  report.errors.push({ callId, recordingKey, error: message });
  log.warn(`Sweep of ${callId}/${recordingKey} left it as it was: ${message}`);
}
