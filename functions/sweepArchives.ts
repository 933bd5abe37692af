import { app, type InvocationContext, type Timer } from '@azure/functions';
import { archiverForProcess } from '../shared/archive/createArchiver';

/** Every 5 minutes: re-drive pending archives from their manifests; log an error for each one near its deadline. */
export async function sweepArchives(_timer: Timer, context: InvocationContext): Promise<void> {
  await archiverForProcess().sweep(context);
}

app.timer('sweepArchives', { schedule: '0 */5 * * * *', handler: sweepArchives });
