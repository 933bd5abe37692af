import { app, type InvocationContext } from '@azure/functions';
import { archiveQueueName } from '../shared/config';
import { copyChunk, archiveServicesForProcess } from '../shared/archive';

/**
 * One queue message -> one chunk copied, verified and recorded. Throwing hands the message back to the queue
 * (host.json `extensions.queues`: retried after visibilityTimeout, moved to `<queue>-poison` after maxDequeueCount).
 */
export async function archiveChunk(message: unknown, context: InvocationContext): Promise<void> {
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await copyChunk(archiveServicesForProcess(), message, { dequeueCount }, context);
}

app.storageQueue('archiveChunk', {
  // NOTE: read when the worker indexes the app, from the same setting the code enqueues to (default archive-chunks).
  queueName: archiveQueueName(),
  connection: 'AzureWebJobsStorage',
  handler: archiveChunk,
});
