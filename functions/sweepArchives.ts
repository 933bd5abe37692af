import { app, type InvocationContext, type Timer } from '@azure/functions';
import { archiveServicesForProcess, sweep } from '../shared/archive';

/**
 * Every 5 minutes: report archives close to their deadline, mark those past it failed, re-enqueue chunks nobody is
 * copying. Never copies media itself (SWEEP_BUDGET_SECONDS bounds its run).
 */
export async function sweepArchives(_timer: Timer, context: InvocationContext): Promise<void> {
  await sweep(archiveServicesForProcess(), context);
}

app.timer('sweepArchives', { schedule: '0 */5 * * * *', handler: sweepArchives });
