import type { QueueClient } from '@azure/storage-queue';
import { safeText } from '../../shared/text';
import { hostLog, type HostState, type LoadedFunction } from './hostState';
import { invoke } from './invoke';
import {
  decodeMessageText,
  toTriggerData,
  toTriggerMetadata,
  triggerDetails,
  type QueueMessageLike,
} from './queueMessages';
import type { QueueOptions } from './settings';

/**
 * One received message through its function, as the Storage queue extension's QueueProcessor and QueueListener do:
 * - a body that does not decode with `messageEncoding` goes to the poison queue uninvoked ("Message decoding has
 *   failed!"); so does a message already dequeued more than maxDequeueCount times (e.g. one that crashed the host);
 * - while the function runs, the message's visibility is renewed at half the processing visibility timeout;
 * - success: the message is deleted;
 * - failure: at dequeueCount >= maxDequeueCount it is copied to `<queue>-poison` (created if missing) and deleted,
 *   else made visible again after `visibilityTimeout`; a queue without a poison queue leaves it invisible.
 */

export interface QueueTarget {
  state: HostState;
  fn: LoadedFunction;
  queue: QueueClient;
  poison: QueueClient | undefined;
  options: QueueOptions;
  /** The visibility timeout a message gets while it is processed (the extension's fixed 10 minutes). */
  processingVisibilitySeconds: number;
}

export async function processMessage(target: QueueTarget, message: QueueMessageLike): Promise<void> {
  const { state, fn, queue, options } = target;
  try {
    const body = decodeMessageText(message.messageText, options.messageEncoding);
    if (body === undefined) {
      hostLog(
        state,
        `Message decoding has failed! Check MessageEncoding settings. MessageId=${message.messageId}.`,
        'Warning',
      );
      return await moveToPoison(target, message);
    }
    if (message.dequeueCount > options.maxDequeueCount) return await moveToPoison(target, message);
    const lease = keepInvisible(target, message);
    let succeeded = true;
    try {
      await invoke(state, fn, toTriggerData(body), {
        reason: `New queue message detected on '${queue.name}'.`,
        triggerMetadata: toTriggerMetadata(message, body, fn.name),
        details: triggerDetails(message),
      });
    } catch {
      succeeded = false;
    }
    await settle(target, { ...message, popReceipt: await lease.stop() }, succeeded);
  } catch (error) {
    hostLog(state, `${fn.name}: queue '${queue.name}' message ${message.messageId}: ${describeError(error)}`, 'Error');
  }
}

/** Deletes a processed message; releases a failed one after visibilityTimeout, or poisons it at maxDequeueCount. */
async function settle(target: QueueTarget, message: QueueMessageLike, succeeded: boolean): Promise<void> {
  const { queue, poison, options } = target;
  if (succeeded) return deleteMessage(target, message);
  // NOTE: as the extension: without a poison queue a failed message stays invisible, so it cannot loop fast.
  if (!poison) return;
  if (message.dequeueCount >= options.maxDequeueCount) return moveToPoison(target, message);
  const visibilitySeconds = Math.floor(options.visibilityTimeoutMs / 1000);
  await queue
    .updateMessage(message.messageId, message.popReceipt, undefined, visibilitySeconds)
    .catch(ignoreLostMessage);
}

async function moveToPoison(target: QueueTarget, message: QueueMessageLike): Promise<void> {
  const { state, poison, options } = target;
  if (!poison) return;
  hostLog(
    state,
    `Message has reached MaxDequeueCount of ${options.maxDequeueCount}. Moving message to queue '${poison.name}'.`,
    'Warning',
  );
  // NOTE: the raw message text, so the poison message has the original's encoding (what the extension copies).
  try {
    await poison.sendMessage(message.messageText);
  } catch (error) {
    if ((error as { code?: string }).code !== 'QueueNotFound') throw error;
    await poison.createIfNotExists();
    await poison.sendMessage(message.messageText);
  }
  await deleteMessage(target, message);
}

async function deleteMessage(target: QueueTarget, message: QueueMessageLike): Promise<void> {
  await target.queue.deleteMessage(message.messageId, message.popReceipt).catch(ignoreLostMessage);
}

/** Someone else took the message (pop receipt mismatch), or it or its queue is gone: nothing left to do. */
function ignoreLostMessage(error: unknown): void {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (statusCode === 404 || code === 'PopReceiptMismatch' || code === 'QueueBeingDeleted' || code === 'QueueDisabled')
    return;
  throw error;
}

/**
 * Renews the message's visibility while the function runs (UpdateQueueMessageVisibilityCommand): every half of the
 * processing visibility timeout, sooner after a failed renewal, never again once the message is lost. `stop()` waits
 * for a renewal in flight and gives the newest pop receipt.
 */
function keepInvisible(target: QueueTarget, message: QueueMessageLike): { stop(): Promise<string> } {
  const normalMs = (target.processingVisibilitySeconds * 1000) / 2;
  let popReceipt = message.popReceipt;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = renew();
    }, delayMs);
  };
  let failures = 0;
  const renew = async () => {
    try {
      const receipt = await target.queue.updateMessage(
        message.messageId,
        popReceipt,
        undefined,
        target.processingVisibilitySeconds,
      );
      popReceipt = receipt.popReceipt ?? popReceipt;
      failures = 0;
      schedule(normalMs);
    } catch (error) {
      const { statusCode, code } = error as { statusCode?: number; code?: string };
      if (statusCode === 404 || code === 'PopReceiptMismatch') return; // lost for good
      failures++;
      hostLog(
        target.state,
        `Renewing the visibility of message ${message.messageId} failed: ${describeError(error)}`,
        'Warning',
      );
      schedule(Math.max(1000, normalMs / 2 ** failures));
    }
  };
  schedule(normalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      return popReceipt;
    },
  };
}

export function describeError(error: unknown): string {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return safeText(`${statusCode ? `${statusCode} ` : ''}${code ? `${code}: ` : ''}${message}`, 300);
}
