import { app, type InvocationContext } from '@azure/functions';
import { archiverForProcess } from '../shared/archive/createArchiver';

/**
 * Event Grid -> archive (SPEC section 6). A rejected or permanently failed recording is recorded and the invocation
 * succeeds (a redelivery cannot change it); a transient failure throws so that Event Grid delivers the event again.
 */
export async function archiveRecording(event: unknown, context: InvocationContext): Promise<void> {
  const outcome = await archiverForProcess().archiveEvent(event, context);
  context.info(`archiveRecording: ${outcome.outcome}`);
}

app.eventGrid('archiveRecording', { handler: archiveRecording });
