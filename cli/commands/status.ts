import {
  parseChunkMessage,
  type ChunkMessage,
  isNearDeadline,
  isPastDeadline,
  missingIndices,
  type ArchiveServices,
} from '../../shared/archive';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { archiveServices, manifests } from './archiveServices';
import { UsageError, type Command } from './commandContext';

export const statusCommand: Command = {
  flags: ['all'],
  run: (ctx, args, flags) => {
    if (args.length > 0) throw new UsageError('status takes no arguments');
    return status(archiveServices(ctx), ctx.io, { all: flags.all === true, json: ctx.json });
  },
};

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

/** `status [--all] [--json]`: recordings pending, failed or near their deadline; queued and poison chunk copies. */
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
