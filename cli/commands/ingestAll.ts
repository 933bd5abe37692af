import { ingestEvent, type ArchiveServices } from '../../shared/archive';
import { toError } from '../../shared/errors';
import { RECORDING_FILE_STATUS_UPDATED } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { UsageError, type Flags } from './commandContext';

/** The options `archive` and `redrive` share: --json, --wait and its --timeout. */
export interface IngestOptions {
  json: boolean;
  wait: boolean;
  timeoutSeconds: number;
}

interface IngestResult {
  source: string;
  id: string;
  outcome: string;
  detail: string;
  recording?: { callId: string; recordingKey: string };
}

/** `--timeout S` of `--wait` (default 600 s). */
export function timeoutOf(flags: Flags): number {
  const seconds = Number(flags.timeout ?? '600');
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('--timeout must be a number of seconds');
  return seconds;
}

/**
 * Events through the same path as an Event Grid delivery, one result each. Exit 3 if any should be tried again;
 * 1 if any failed or was rejected (or, with --wait, is still queued when time is up); else 0.
 */
export async function ingestAll(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  items: { source: string; event: unknown }[],
  options: IngestOptions,
): Promise<number> {
  const results: IngestResult[] = [];
  for (const { source, event } of items) {
    const type = eventType(event);
    const id = safeText(eventId(event) ?? '(no id)', 100);
    if (type !== RECORDING_FILE_STATUS_UPDATED) {
      results.push({ source, id, outcome: 'skipped', detail: `event type ${safeText(type ?? 'unknown', 100)}` });
      continue;
    }
    try {
      const outcome = await ingestEvent(services, event, log);
      results.push(
        outcome.outcome === 'rejected'
          ? { source, id, outcome: 'rejected', detail: safeText(outcome.reason, 300) }
          : {
              source,
              id,
              outcome: outcome.manifest.status === 'pending' ? 'queued' : outcome.manifest.status,
              detail: `${outcome.manifest.callId}/${outcome.manifest.recordingKey}: ${outcome.enqueued.length} chunk cop${outcome.enqueued.length === 1 ? 'y' : 'ies'} queued`,
              recording: { callId: outcome.manifest.callId, recordingKey: outcome.manifest.recordingKey },
            },
      );
    } catch (error) {
      results.push({ source, id, outcome: 'retry', detail: safeText(toError(error).message, 300) });
    }
  }
  if (options.wait) await waitForFinal(services, results, options.timeoutSeconds);
  if (options.json) io.out(JSON.stringify({ results }, null, 2));
  else
    for (const r of results)
      io.out(`${r.outcome.toUpperCase().padEnd(8)} ${r.id} from ${safeText(r.source, 200)}: ${r.detail}`);
  if (results.some((r) => r.outcome === 'retry')) return 3;
  return results.some(
    (r) => r.outcome === 'failed' || r.outcome === 'rejected' || (options.wait && r.outcome === 'queued'),
  )
    ? 1
    : 0;
}

/** `--wait`: polls the manifests until the function app has copied everything (or failed, or time is up). */
async function waitForFinal(services: ArchiveServices, results: IngestResult[], timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (const result of results) {
    if (result.outcome !== 'queued' || !result.recording) continue;
    for (;;) {
      const found = await services.store.readManifest(result.recording.callId, result.recording.recordingKey);
      if (found && found.manifest.status !== 'pending') {
        result.outcome = found.manifest.status;
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function eventType(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { eventType?: unknown; type?: unknown };
  const type = e.eventType ?? e.type;
  return typeof type === 'string' ? type : undefined;
}

function eventId(event: unknown): string | undefined {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}
