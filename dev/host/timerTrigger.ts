import type { HostState } from './hostState';
import { runnable } from './indexing';
import { invoke } from './invoke';
import { matches } from './ncrontab';

/** Timer triggers: on their NCRONTAB schedule, and on demand (the admin API). */

/** Runs a timer function once with the timer object the host passes (`isPastDue`, `scheduleStatus`, ...). */
export async function invokeTimer(
  state: HostState,
  name: string,
  reason = `Timer fired at ${new Date().toISOString()}`,
): Promise<void> {
  const fn = runnable(state).find((f) => f.name === name && f.trigger === 'timer');
  if (!fn) throw new Error(`No timer function named ${name}`);
  const timer = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
  await invoke(state, fn, { json: JSON.stringify(timer) }, { reason });
}

/** Starts every timer on its schedule (checked four times a second, at most once per second); returns the stop. */
export function startTimers(state: HostState): () => void {
  const intervals: NodeJS.Timeout[] = [];
  for (const fn of runnable(state).filter((f) => f.bound?.schedule)) {
    let last = -1;
    const interval = setInterval(() => {
      const now = new Date();
      const second = Math.floor(now.getTime() / 1000);
      if (second !== last && matches(fn.bound!.schedule!, now)) {
        last = second;
        void invokeTimer(state, fn.name).catch(() => undefined);
      }
    }, 250);
    interval.unref();
    intervals.push(interval);
  }
  return () => intervals.forEach(clearInterval);
}
