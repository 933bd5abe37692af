import { app, type InvocationContext } from '@azure/functions';
import { ingestEvent, archiveServicesForProcess } from '../shared/archive';

/**
 * Event Grid -> the intent to archive: validate, write the manifest and enqueue one copy per chunk, then return, so
 * that Event Grid gets its answer in a moment whatever the chunk sizes. A malformed event is recorded under
 * _rejected/ and the invocation succeeds (a redelivery cannot change it); a transient failure throws, and Event Grid
 * delivers the event again.
 */
export async function archiveRecording(event: unknown, context: InvocationContext): Promise<void> {
  await ingestEvent(archiveServicesForProcess(), event, context);
}

app.eventGrid('archiveRecording', { handler: archiveRecording });
