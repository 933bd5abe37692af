import {
  parseChunkMessage,
  type ChunkMessage,
  markEnqueued,
  markForRetry,
  ensureContainers,
  type ArchiveServices,
} from '../../shared/archive';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { archiveServices, manifests } from './archiveServices';
import { UsageError, type Command } from './commandContext';

export const retryCommand: Command = {
  flags: [],
  run: (ctx, args) => {
    if (args.length < 1 || args.length > 2) {
      throw new UsageError('retry needs a call id and optionally a recording key');
    }
    return retry(archiveServices(ctx), ctx.io, { callId: args[0]!, recordingKey: args[1], json: ctx.json });
  },
};

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
