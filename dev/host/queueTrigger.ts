import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { RandomizedExponentialBackoff } from './backoff';
import { hostLog, type HostState, type LoadedFunction, type LogLevel } from './hostState';
import { poisonQueueName } from './queueMessages';
import { describeError, processMessage, type QueueTarget } from './queueProcessor';
import { markInError, runnable } from './indexing';
import { logLevelEnabled, MIN_POLLING_INTERVAL_MS, queueOptions } from './settings';

/**
 * Storage queue triggers over a real queue service (Azurite locally), polled as the Storage queue extension's
 * QueueListener polls: receive up to `batchSize` messages (invisible for the processing visibility timeout, 10 minutes
 * by default), run each; fetch the next batch at once while no more than `newBatchThreshold` are still running (so at
 * most batchSize + newBatchThreshold run at once); after an empty poll wait with randomized exponential backoff from
 * 100 ms up to `maxPollingInterval`, back to 100 ms once messages arrive. A queue that does not exist is polled the same
 * way until it does (the extension does not create it). Errors of the queue service back off and poll again.
 */

/** The listener's log category, as the extension's (for host.json `logging.logLevel`). */
const CATEGORY = 'Microsoft.Azure.WebJobs.Extensions.Storage.Common.Listeners.QueueListener';
const DEFAULT_PROCESSING_VISIBILITY_SECONDS = 600;
const STOP_WAIT_MS = 10_000;

class QueueListener {
  private readonly processing = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly stopped: Promise<void>;
  private readonly backoff: RandomizedExponentialBackoff;
  private queueExists: boolean | undefined;
  private foundSinceLastDelay = false;
  private reportedMissing = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly target: QueueTarget) {
    this.backoff = new RandomizedExponentialBackoff(MIN_POLLING_INTERVAL_MS, target.options.maxPollingIntervalMs);
    this.stopped = new Promise((resolve) => this.stopping.signal.addEventListener('abort', () => resolve()));
  }

  start(): void {
    this.running = this.run();
  }

  /** Stops polling and waits (a while) for the invocations in flight to finish and settle their messages. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref());
    await Promise.race([Promise.all(this.processing), timeout]);
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) await this.poll();
  }

  /** One poll, and the wait before the next: a backoff delay, or until no more than newBatchThreshold run. */
  private async poll(): Promise<void> {
    const { queue, options, fn } = this.target;
    const signal = this.stopping.signal;
    const started = Date.now();
    let messages;
    try {
      this.queueExists ||= await queue.exists({ abortSignal: signal });
      if (!this.queueExists) {
        if (!this.reportedMissing)
          this.log(`Queue '${queue.name}' does not exist yet; '${fn.name}' polls it until it does.`, 'Information');
        this.reportedMissing = true;
        return this.backoffWait();
      }
      const response = await queue.receiveMessages({
        numberOfMessages: options.batchSize,
        visibilityTimeout: this.target.processingVisibilitySeconds,
        abortSignal: signal,
      });
      messages = response.receivedMessageItems;
      this.log(
        `Poll for function '${fn.name}' on queue '${queue.name}' with ClientRequestId '${response.clientRequestId ?? '-'}' found ${messages.length} messages in ${Date.now() - started} ms.`,
        'Debug',
      );
    } catch (error) {
      if (signal.aborted) return;
      this.queueExists = undefined;
      this.log(
        `Poll for function '${fn.name}' on queue '${queue.name}' threw ${describeError(error)} in ${Date.now() - started} ms. Queue polling will resume after a delay.`,
        (error as { statusCode?: number }).statusCode === 404 ? 'Debug' : 'Warning',
      );
      return this.backoffWait();
    }
    if (messages.length === 0) return this.backoffWait();
    for (const message of messages) {
      const task: Promise<void> = processMessage(this.target, message).finally(() => this.processing.delete(task));
      this.processing.add(task);
    }
    this.foundSinceLastDelay = true;
    return this.waitForNewBatchThreshold();
  }

  private async waitForNewBatchThreshold(): Promise<void> {
    while (this.processing.size > this.target.options.newBatchThreshold && !this.stopping.signal.aborted) {
      await Promise.race([...this.processing, this.stopped]);
    }
  }

  private backoffWait(): Promise<void> {
    const delay = this.backoff.nextDelay(this.foundSinceLastDelay);
    this.foundSinceLastDelay = false;
    this.log(
      `Function '${this.target.fn.name}' will wait ${delay} ms before polling queue '${this.target.queue.name}'.`,
      'Debug',
    );
    let timer: NodeJS.Timeout | undefined;
    const sleep = new Promise<void>((resolve) => (timer = setTimeout(resolve, delay)));
    return Promise.race([sleep, this.stopped]).finally(() => clearTimeout(timer));
  }

  private log(text: string, level: LogLevel): void {
    if (logLevelEnabled(this.target.state.hostJson, CATEGORY, level)) hostLog(this.target.state, text, level);
  }
}

/**
 * Starts a listener for every queue-triggered function that indexed (one whose queue name or connection does not
 * resolve is in error and never listened for: indexing.ts); returns the stop.
 */
export function startQueueListeners(state: HostState): () => Promise<void> {
  const queueFunctions = runnable(state).filter((f) => f.trigger === 'storageQueue');
  if (queueFunctions.length === 0) return async () => undefined;
  const options = queueOptions(state.hostJson);
  const visibility = Number(state.env.LOCAL_HOST_QUEUE_VISIBILITY_SECONDS ?? DEFAULT_PROCESSING_VISIBILITY_SECONDS);
  if (!Number.isInteger(visibility) || visibility < 2 || visibility > 604_800)
    throw new Error('LOCAL_HOST_QUEUE_VISIBILITY_SECONDS must be an integer number of seconds from 2 to 604800');
  const listeners: QueueListener[] = [];
  for (const fn of queueFunctions) {
    let target: QueueTarget;
    try {
      target = { state, fn, options, processingVisibilitySeconds: visibility, ...queueClientsFor(fn) };
    } catch (error) {
      markInError(state, fn, error); // e.g. a connection string the SDK cannot read
      continue;
    }
    const listener = new QueueListener(target);
    listener.start();
    listeners.push(listener);
  }
  return async () => {
    await Promise.all(listeners.map((l) => l.stop()));
  };
}

function queueClientsFor(fn: LoadedFunction): { queue: QueueClient; poison: QueueClient | undefined } {
  const name = fn.bound!.queueName!;
  const service = QueueServiceClient.fromConnectionString(fn.bound!.connectionString!);
  const poison = poisonQueueName(name);
  return { queue: service.getQueueClient(name), poison: poison ? service.getQueueClient(poison) : undefined };
}
