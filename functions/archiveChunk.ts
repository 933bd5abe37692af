import { app, type InvocationContext } from '@azure/functions';
import { copyChunk, archiveServicesForProcess } from '../shared/archive';

/**
 * One queue message -> one chunk copied, verified and recorded. Throwing hands the message back to the queue
 * (host.json `extensions.queues`: retried after visibilityTimeout, moved to `<queue>-poison` after maxDequeueCount).
 * The settings, ARCHIVE_QUEUE among them, are read and checked on first use (a ConfigError naming the setting).
 */
export async function archiveChunk(message: unknown, context: InvocationContext): Promise<void> {
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await copyChunk(archiveServicesForProcess(), message, { dequeueCount }, context);
}

app.storageQueue('archiveChunk', {
  // NOTE: a binding expression, which the Functions host resolves from the app setting when it indexes the function;
  // @azure/functions passes it through untouched. https://learn.microsoft.com/azure/azure-functions/
  // functions-bindings-expressions-patterns#binding-expressions---app-settings
  // Reading the setting here instead ran while the app loaded, so a bad value threw before any function registered.
  // An unset ARCHIVE_QUEUE puts this one function in error ("'%ARCHIVE_QUEUE%' does not resolve to a value."): the
  // expression has no default. The deployment always sets it, and the app enqueues to the same setting.
  queueName: '%ARCHIVE_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: archiveChunk,
});
