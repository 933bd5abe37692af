/**
 * Named points in the archive flow where a test can make this process die at once (SIGKILL: nothing flushed, no
 * finally blocks), to prove that a crash there converges to a complete archive on redelivery or through the sweeper.
 * Inert unless ARCHIVE_CRASH_AT names the point; never set it in a deployment.
 */
export type CrashPoint = 'after-manifest' | 'after-enqueue' | 'after-commit';

export function crashPoint(point: CrashPoint): void {
  if (process.env.ARCHIVE_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
