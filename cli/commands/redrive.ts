import type { ArchiveServices } from '../../shared/archive';
import { toError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { blobServiceClientFor, streamToText } from '../../shared/storage';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { archiveServices } from './archiveServices';
import { UsageError, type Command } from './commandContext';
import { ingestAll, timeoutOf, type IngestOptions } from './ingestAll';

/** Dead-letter blobs are arrays of a few events; anything far larger is not one, and is not read whole. */
export const MAX_DEAD_LETTER_BYTES = 4 * 1024 * 1024;

export const redriveCommand: Command = {
  flags: ['container', 'prefix', 'wait', 'timeout'],
  run: (ctx, args, flags) => {
    if (args.length > 0) throw new UsageError('redrive takes no arguments (--container, --prefix)');
    return redrive(archiveServices(ctx), ctx.io, ctx.log, {
      container: flags.container ?? ctx.io.env.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter',
      prefix: flags.prefix ?? '',
      json: ctx.json,
      wait: flags.wait === true,
      timeoutSeconds: timeoutOf(flags),
    });
  },
};

/**
 * `redrive`: Event Grid's dead-letter blobs (`<SUBSCRIPTION>/YYYY/M/D/H/<guid>.json`, JSON arrays of events) go through
 * the same path as a delivery, topic check included. Safe to run twice: archived chunks are never copied again. Each
 * blob is read only up to MAX_DEAD_LETTER_BYTES.
 */
async function redrive(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  options: IngestOptions & { container: string; prefix: string },
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
