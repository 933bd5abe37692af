import { queueOptions, readHostJson } from '../host/settings';
import { spawnLocalHost } from '../host/spawnHost';
import { repoRoot } from '../repoRoot';
import { treeCpuSeconds, treePeakRssMiB } from './procStat';

/**
 * One run of the queue path: the local Functions host in a fresh child process (`node dist-dev/dev/host/serve.js`, the
 * compiled app), an Event Grid delivery to archiveRecording, and archiveChunk copying the chunks from the queue as
 * host.json says (batchSize, newBatchThreshold). CPU and peak RSS are the host's process tree's, from /proc.
 */

export interface QueueRun {
  bytes: number;
  /** From the first archiveChunk invocation to RecordingComplete: the copying, without the queue's polling delay. */
  seconds: number;
  /** From the Event Grid delivery to RecordingComplete. */
  endToEndSeconds: number;
  /** From the delivery to the first archiveChunk invocation (the queue listener's polling backoff). */
  queueWaitSeconds: number;
  /** From sending the Event Grid delivery to its answer: what Event Grid waits for (it gives up after 30 s). */
  ackSeconds: number;
  /** Host process tree, from the delivery to RecordingComplete. */
  cpuSeconds: number;
  peakRssMiB: number;
  /** The most archiveChunk invocations running at once. */
  maxConcurrent: number;
}

/**
 * The most archiveChunk invocations the local host runs at once with these app settings over this process's
 * environment (what the spawned host reads): host.json `extensions.queues` batchSize + newBatchThreshold, with any
 * `AzureFunctionsJobHost__…` override (dev/host/queueTrigger.ts). The queue case's baselines move as many at once.
 */
export function hostQueueConcurrency(env: Record<string, string>): number {
  const options = queueOptions(readHostJson(repoRoot(), { ...process.env, ...env }));
  return options.batchSize + options.newBatchThreshold;
}

export async function runQueuePath(options: {
  env: Record<string, string>;
  event: object;
  bytes: number;
  /** A folder for a V8 CPU profile of the host (BENCH_PROFILE). */
  profileDir?: string;
  timeoutMs?: number;
}): Promise<QueueRun> {
  const clock = () => Number(process.hrtime.bigint()) / 1e9;
  let firstChunk: number | undefined;
  let running = 0;
  let maxConcurrent = 0;
  let completed: number | undefined;
  let failure: string | undefined;
  let onDone: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (onDone = resolve));
  const host = await spawnLocalHost({
    appRoot: repoRoot(),
    env: {
      ...options.env,
      ...(options.profileDir && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` }),
    },
    onLine: (line) => {
      if (line.includes("Executing 'archiveChunk'")) {
        firstChunk ??= clock();
        maxConcurrent = Math.max(maxConcurrent, ++running);
      } else if (line.includes("Executed 'archiveChunk'")) {
        running--;
        if (line.includes('(Failed')) failure ??= line;
      } else if (/\bRecording(Complete|Failed) \{/.test(line)) {
        completed = clock();
        if (line.includes('RecordingFailed')) failure = line;
        onDone?.();
      }
    },
  });
  try {
    const pid = host.child.pid!;
    const cpuBefore = treeCpuSeconds(pid);
    const delivered = clock();
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([options.event]),
    });
    await response.arrayBuffer();
    const acknowledged = clock();
    if (!response.ok) throw new Error(`the Event Grid delivery was answered ${response.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `no RecordingComplete within ${options.timeoutMs ?? 600_000} ms:\n${host.lines.slice(-20).join('\n')}`,
            ),
          ),
        options.timeoutMs ?? 600_000,
      );
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    const cpuSeconds = treeCpuSeconds(pid) - cpuBefore;
    const peakRssMiB = treePeakRssMiB(pid);
    if (failure) throw new Error(`the queue path failed: ${failure}`);
    return {
      bytes: options.bytes,
      seconds: completed! - (firstChunk ?? delivered),
      endToEndSeconds: completed! - delivered,
      queueWaitSeconds: (firstChunk ?? delivered) - delivered,
      ackSeconds: acknowledged - delivered,
      cpuSeconds,
      peakRssMiB,
      maxConcurrent,
    };
  } finally {
    await host.stop();
  }
}
