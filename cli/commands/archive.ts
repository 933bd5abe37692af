import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArchiveServices } from '../../shared/archive';
import { toError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { archiveServices } from './archiveServices';
import { UsageError, type Command } from './commandContext';
import { ingestAll, timeoutOf, type IngestOptions } from './ingestAll';

export const archiveCommand: Command = {
  flags: ['wait', 'timeout'],
  run: (ctx, args, flags) => {
    if (args.length !== 1) throw new UsageError('archive needs the path of a saved event');
    const options = { json: ctx.json, wait: flags.wait === true, timeoutSeconds: timeoutOf(flags) };
    return archiveFile(archiveServices(ctx), ctx.io, ctx.log, args[0]!, options);
  },
};

/** `archive <event.json>`: the same path as Event Grid: the intent is recorded and the copies are queued. */
async function archiveFile(
  services: ArchiveServices,
  io: CliIo,
  log: Logger,
  file: string,
  options: IngestOptions,
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
