import { queueOptions, readHostJson } from '../host/settings';
import { spawnLocalHost } from '../host/spawnHost';
import { repoRoot } from '../repoRoot';
import { treeCpuSeconds, treePeakRssMiB } from './procStat';

/**
 * One run of the served path, as Azure runs the app: the local Functions host in a fresh child process (`node
 * dist-dev/dev/host/serve.js`, what `npm run serve` runs, loading the compiled app from dist/), one Event Grid delivery
 * per recording to archiveRecording, and archiveChunk copying the chunks from the queue as host.json says (batchSize,
 * newBatchThreshold). CPU and peak RSS are the host's process tree's, from /proc.
 */

export interface QueueRun {
  bytes: number;
  /** From the first archiveChunk invocation to the last RecordingComplete: the copying, without the polling delay. */
  seconds: number;
  /** From the first Event Grid delivery to the last RecordingComplete. */
  endToEndSeconds: number;
  /** From the delivery to the first archiveChunk invocation (the queue listener's polling backoff). */
  queueWaitSeconds: number;
  /** From sending an Event Grid delivery to its answer (the slowest one): what Event Grid waits for (30 s at most). */
  ackSeconds: number;
  /** Host process tree, from the delivery to the last RecordingComplete. */
  cpuSeconds: number;
  peakRssMiB: number;
  /** The most archiveChunk invocations running at once. */
  maxConcurrent: number;
  /** Each archiveChunk invocation's duration as the host logged it (Executing to Executed), in seconds. */
  chunkSeconds: number[];
  /** Each chunk from its recording's delivery to its archiveChunk's end, in seconds. */
  chunkLatencySeconds: number[];
}

/**
 * The most archiveChunk invocations the local host runs at once with these app settings over this process's
 * environment (what the spawned host reads): host.json `extensions.queues` batchSize + newBatchThreshold, with any
 * `AzureFunctionsJobHost__…` override (dev/host/queueTrigger.ts). The queue cases' baselines move as many at once.
 */
export function hostQueueConcurrency(env: Record<string, string>): number {
  const options = queueOptions(readHostJson(repoRoot(), { ...process.env, ...env }));
  return options.batchSize + options.newBatchThreshold;
}

export async function runQueuePath(options: {
  env: Record<string, string>;
  /** One Event Grid event per recording; each is delivered on its own, all at once. */
  events: object[];
  bytes: number;
  /** A folder for a V8 CPU profile of the host (BENCH_PROFILE). */
  profileDir?: string;
  timeoutMs?: number;
}): Promise<QueueRun> {
  const clock = () => Number(process.hrtime.bigint()) / 1e9;
  let firstChunk: number | undefined;
  let running = 0;
  let maxConcurrent = 0;
  let completed = 0;
  let lastCompleted: number | undefined;
  let failure: string | undefined;
  let delivered = 0;
  const chunkSeconds: number[] = [];
  const chunkLatencySeconds: number[] = [];
  let onDone: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (onDone = resolve));
  const host = await spawnLocalHost({
    appRoot: repoRoot(),
    env: options.env,
    nodeArgs: options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [],
    onLine: (line) => {
      if (line.includes("Executing 'archiveChunk'")) {
        firstChunk ??= clock();
        maxConcurrent = Math.max(maxConcurrent, ++running);
      } else if (line.includes("Executed 'archiveChunk'")) {
        running--;
        if (line.includes('(Failed')) failure ??= line;
        const duration = /Duration=(\d+)ms/.exec(line);
        if (duration) chunkSeconds.push(Number(duration[1]) / 1000);
        chunkLatencySeconds.push(clock() - delivered);
      } else if (/\bRecording(Complete|Failed) \{/.test(line)) {
        if (line.includes('RecordingFailed')) failure ??= line;
        lastCompleted = clock();
        if (++completed >= options.events.length || failure) onDone?.();
      }
    },
  });
  try {
    const pid = host.child.pid!;
    const cpuBefore = treeCpuSeconds(pid);
    delivered = clock();
    const acks = await Promise.all(options.events.map((event) => deliver(host.url, event)));
    const ackSeconds = Math.max(...acks) - delivered;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = options.timeoutMs ?? 900_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${completed} of ${options.events.length} recordings complete after ${timeoutMs} ms:\n${host.lines.slice(-20).join('\n')}`,
            ),
          ),
        timeoutMs,
      );
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    const cpuSeconds = treeCpuSeconds(pid) - cpuBefore;
    const peakRssMiB = treePeakRssMiB(pid);
    if (failure) throw new Error(`the served path failed: ${failure}`);
    return {
      bytes: options.bytes,
      seconds: lastCompleted! - (firstChunk ?? delivered),
      endToEndSeconds: lastCompleted! - delivered,
      queueWaitSeconds: (firstChunk ?? delivered) - delivered,
      ackSeconds,
      cpuSeconds,
      peakRssMiB,
      maxConcurrent,
      chunkSeconds,
      chunkLatencySeconds,
    };
  } finally {
    await host.stop();
  }
}

/** One Event Grid delivery to archiveRecording; resolves at its answer (a clock reading). */
async function deliver(url: string, event: object): Promise<number> {
  const response = await fetch(`${url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([event]),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`the Event Grid delivery was answered ${response.status}`);
  return Number(process.hrtime.bigint()) / 1e9;
}
