import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseChunkMessage, type ChunkMessage } from '../shared/archive/chunkQueue';
import { ingestEvent } from '../shared/archive/ingest';
import {
  isNearDeadline,
  isPastDeadline,
  markEnqueued,
  markForRetry,
  missingIndices,
  type Manifest,
} from '../shared/archive/manifest';
import { ensureContainers, type ArchiveServices } from '../shared/archive/services';
import { toError } from '../shared/errors';
import { RECORDING_FILE_STATUS_UPDATED } from '../shared/events/recordingFileStatus';
import type { Logger } from '../shared/logger';
import { blobServiceClientFor, streamToText } from '../shared/storage';
import { safeText } from '../shared/text';
import type { CliIo } from './main';
import { Progress } from './progress';
import { verifyManifest } from './verify';

/** Dead-letter blobs are arrays of a few events; anything far larger is not one, and is not read whole. */
export const MAX_DEAD_LETTER_BYTES = 4 * 1024 * 1024;

async function* manifests(services: ArchiveServices, callId?: string): AsyncIterable<Manifest> {
  for await (const ref of services.store.manifestRefs(callId)) {
    const found = await services.store.readManifest(ref.callId, ref.recordingKey);
    if (found) yield found.manifest;
  }
}

/** Decoded chunk messages waiting in a queue (peek: at most 32, the service's limit), and the approximate count. */
async function peekChunks(
  queue: ArchiveServices['queue']['queue'],
): Promise<{ count: number; chunks: ChunkMessage[] }> {
  if (!(await queue.exists())) return { count: 0, chunks: [] };
  const [properties, peeked] = await Promise.all([queue.getProperties(), queue.peekMessages({ numberOfMessages: 32 })]);
  const chunks: ChunkMessage[] = [];
  for (const message of peeked.peekedMessageItems) {
    try {
      chunks.push(parseChunkMessage(Buffer.from(message.messageText, 'base64').toString('utf8')));
    } catch {
      // not a chunk message: counted, not listed
    }
  }
  return { count: properties.approximateMessagesCount ?? peeked.peekedMessageItems.length, chunks };
}

export async function status(
  services: ArchiveServices,
  io: CliIo,
  options: { all: boolean; json: boolean },
): Promise<number> {
  const { config } = services;
  const now = services.now();
  const queued = await peekChunks(services.queue.queue);
  const poison = await peekChunks(services.queue.poison);
  const rows = [];
  let attention = poison.count > 0 ? 1 : 0;
  for await (const m of manifests(services)) {
    const hoursLeft = (Date.parse(m.deadline) - now.getTime()) / 3_600_000;
    const nearDeadline = isNearDeadline(m, now, config.deadlineWarningHours);
    const pastDeadline = isPastDeadline(m, now, config.deadlineGraceHours);
    if (m.status === 'failed' || nearDeadline) attention++;
    const inPoison = poison.chunks.filter((c) => c.callId === m.callId && c.recordingKey === m.recordingKey);
    if (!options.all && m.status === 'complete') continue;
    rows.push({
      callId: m.callId,
      recordingKey: m.recordingKey,
      status: m.status,
      deadline: m.deadline,
      hoursLeft: Number(hoursLeft.toFixed(1)),
      nearDeadline,
      pastDeadline,
      chunks: {
        archived: m.chunks.filter((c) => c.status === 'archived').length,
        known: m.chunks.length,
        missing: missingIndices(m),
        poison: inPoison.map((c) => c.index),
      },
      problems: m.chunks
        .filter((c) => c.lastError)
        .map(
          (c) => `chunk ${c.index} ${c.status}${c.failureCode ? ` (${c.failureCode})` : ''}: ${safeText(c.lastError)}`,
        ),
    });
  }
  const queue = { queued: queued.count, poison: poison.count, poisonChunks: poison.chunks };
  if (options.json) io.out(JSON.stringify({ queue, recordings: rows, needsAttention: attention }, null, 2));
  else {
    io.out(
      `Queue ${config.queue.name}: ${queued.count} chunk cop${queued.count === 1 ? 'y' : 'ies'} waiting; ` +
        `${config.queue.poisonName}: ${poison.count} poison message(s)${poison.count ? ' (run retry for their calls)' : ''}.`,
    );
    if (rows.length === 0) io.out('Nothing pending, failed or near its deadline.');
    for (const r of rows) {
      io.out(
        `${r.status.toUpperCase().padEnd(8)} ${r.callId}/${r.recordingKey}  chunks ${r.chunks.archived}/${r.chunks.known}` +
          `${r.chunks.missing.length ? ` (missing ${r.chunks.missing.join(',')})` : ''}` +
          `${r.chunks.poison.length ? ` (poison ${r.chunks.poison.join(',')})` : ''}  deadline ${r.deadline}` +
          ` (${r.hoursLeft} h${r.pastDeadline ? ', PAST' : r.nearDeadline ? ', NEAR' : ''})`,
      );
      for (const p of r.problems) io.out(`         ${p}`);
    }
  }
  return attention > 0 ? 1 : 0;
}

export async function verify(
  services: ArchiveServices,
  io: CliIo,
  options: { callId?: string; json: boolean },
): Promise<number> {
  const progress = new Progress(io, 'verify');
  const results = [];
  let recordings = 0;
  for await (const m of manifests(services, options.callId)) {
    recordings++;
    const total = m.chunks.reduce((n, c) => n + (c.status === 'archived' ? (c.size ?? 0) : 0), 0);
    progress.start(`${m.callId}/${m.recordingKey}`, total);
    results.push(...(await verifyManifest(services.store.container, m, (n) => progress.add(n))));
    progress.done();
  }
  const bad = results.filter((r) => !r.ok);
  if (options.json)
    io.out(JSON.stringify({ recordings, blobs: results.length, mismatched: bad.length, results }, null, 2));
  else {
    for (const r of bad) io.out(`MISMATCH ${r.blob}: ${r.problems.join('; ')}`);
    io.out(`${recordings} recording(s), ${results.length} blob(s) checked, ${bad.length} mismatched.`);
  }
  if (recordings === 0 && options.callId) {
    io.err(`No archived recording found for call ${safeText(options.callId, 100)}.`);
    return 1;
  }
  return bad.length > 0 ? 1 : 0;
}

/**
 * `retry`: chunks that failed (a refused location once the allow-list is fixed, say) or sit in the poison queue,
 * still before their deadline, become pending again and are enqueued; their poison messages are removed.
 */
export async function retry(
  services: ArchiveServices,
  io: CliIo,
  options: { callId: string; recordingKey?: string; json: boolean },
): Promise<number> {
  await ensureContainers(services);
  const poison = services.queue.poison;
  const poisoned: { chunk: ChunkMessage; messageId: string; popReceipt: string }[] = [];
  if (await poison.exists()) {
    // NOTE: receive (not peek) so matching messages can be deleted; the others reappear after 30 s untouched.
    const received = await poison.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    for (const item of received.receivedMessageItems) {
      try {
        const chunk = parseChunkMessage(Buffer.from(item.messageText, 'base64').toString('utf8'));
        poisoned.push({ chunk, messageId: item.messageId, popReceipt: item.popReceipt });
      } catch {
        // not ours to judge
      }
    }
  }
  const now = services.now();
  const results = [];
  for await (const m of manifests(services, options.callId)) {
    if (options.recordingKey && m.recordingKey !== options.recordingKey) continue;
    const inPoison = poisoned.filter((p) => p.chunk.callId === m.callId && p.chunk.recordingKey === m.recordingKey);
    const indices = m.chunks
      .filter(
        (c) => c.status === 'failed' || (c.status === 'pending' && inPoison.some((p) => p.chunk.index === c.index)),
      )
      .map((c) => c.index);
    if (Date.parse(m.deadline) <= now.getTime()) {
      if (indices.length)
        results.push({
          recording: `${m.callId}/${m.recordingKey}`,
          retried: [],
          skipped: 'past its deadline: the source files are gone',
        });
      continue;
    }
    if (indices.length === 0) continue;
    await services.markers.mark(m.callId, m.recordingKey);
    await services.store.updateManifest(m.callId, m.recordingKey, (current) =>
      current ? markEnqueued(markForRetry(current, indices, now), indices, now) : null,
    );
    for (const index of indices) {
      await services.queue.enqueue([{ callId: m.callId, recordingKey: m.recordingKey, index }]);
      // At once, while the receipt of the 30 s receive still holds (a long listing would outlive it).
      for (const p of inPoison.filter((q) => q.chunk.index === index)) {
        await poison.deleteMessage(p.messageId, p.popReceipt);
      }
    }
    results.push({ recording: `${m.callId}/${m.recordingKey}`, retried: indices, skipped: null });
  }
  if (options.json) io.out(JSON.stringify({ results }, null, 2));
  else if (results.length === 0) io.out(`Nothing to retry for call ${safeText(options.callId, 100)}.`);
  else
    for (const r of results)
      io.out(
        r.skipped
          ? `SKIPPED  ${r.recording}: ${r.skipped}`
          : `RETRYING ${r.recording}: chunk(s) ${r.retried.join(', ')} enqueued`,
      );
  return results.some((r) => r.skipped) ? 1 : 0;
}

/** `archive <event.json>`: the same path as Event Grid: the intent is recorded and the copies are queued. */
export async function archiveFile(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  file: string,
  options: { json: boolean; wait: boolean; timeoutSeconds: number },
): Promise<number> {
  let events: unknown;
  try {
    events = JSON.parse(readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    io.err(`Cannot read ${safeText(file, 200)}: ${safeText(toError(error).message)}`);
    return 2;
  }
  const list: unknown[] = Array.isArray(events) ? (events as unknown[]) : [events];
  return ingestAll(
    services,
    io,
    log,
    list.map((event) => ({ source: file, event })),
    options,
  );
}

/**
 * `redrive`: Event Grid's dead-letter blobs (`<SUBSCRIPTION>/YYYY/M/D/H/<guid>.json`, JSON arrays of events) go through
 * the same path as a delivery, topic check included. Safe to run twice: archived chunks are never copied again. Each
 * blob is read only up to MAX_DEAD_LETTER_BYTES.
 */
export async function redrive(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  options: { container: string; prefix: string; json: boolean; wait: boolean; timeoutSeconds: number },
): Promise<number> {
  // The dead-letter container is in the archive account: same credentials, another container.
  const deadLetters = blobServiceClientFor(services.config).getContainerClient(options.container);
  const items: { source: string; event: unknown }[] = [];
  for await (const blob of deadLetters.listBlobsFlat({ prefix: options.prefix || undefined })) {
    if (!blob.name.endsWith('.json')) continue;
    const name = safeText(blob.name, 300);
    if ((blob.properties.contentLength ?? 0) > MAX_DEAD_LETTER_BYTES) {
      io.err(`warning: ${name} is larger than ${MAX_DEAD_LETTER_BYTES} bytes; skipped`);
      continue;
    }
    let parsed: unknown;
    try {
      const download = await deadLetters.getBlobClient(blob.name).download();
      parsed = JSON.parse(await streamToText(download.readableStreamBody, MAX_DEAD_LETTER_BYTES));
    } catch (error) {
      io.err(`warning: ${name} could not be read as JSON (${safeText(toError(error).message, 120)}); skipped`);
      continue;
    }
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) items.push({ source: blob.name, event });
  }
  return ingestAll(services, io, log, items, options);
}

interface IngestResult {
  source: string;
  id: string;
  outcome: string;
  detail: string;
  recording?: { callId: string; recordingKey: string };
}

async function ingestAll(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  items: { source: string; event: unknown }[],
  options: { json: boolean; wait: boolean; timeoutSeconds: number },
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
