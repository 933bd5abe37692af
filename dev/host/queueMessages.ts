import { randomUUID } from 'node:crypto';
import type { RpcTypedData } from './invoke';
import { isValidQueueName } from './settings';

/**
 * Queue messages as the Storage queue extension and the host hand them to the Node worker. Pure.
 * - The body is decoded per `messageEncoding` (base64: strictly, as .NET's Convert.FromBase64String; none: as is).
 * - The trigger value is the body as a string: the host binds a script function's trigger to string by default and
 *   sends it as typed data `string`; `@azure/functions` then JSON-parses it when it can, so a JSON message reaches the
 *   handler as an object and anything else as a string.
 * - The binding data become `triggerMetadata` (QueueTriggerBinding.CreateBindingData): QueueTrigger, DequeueCount,
 *   ExpirationTime, Id, InsertionTime, NextVisibleTime, PopReceipt, plus the host's `sys`. The host turns each value
 *   into typed data (strings as `string`; numbers and DateTimeOffsets JSON-serialized by Newtonsoft, so
 *   `"2026-11-23T12:00:00+00:00"`), and the library camel-cases the keys: `context.triggerMetadata.dequeueCount` is a
 *   number, the times are strings.
 */

/** The fields of a received message the trigger uses (`ReceivedMessageItem` of @azure/storage-queue). */
export interface QueueMessageLike {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
}

/** The body's bytes, or undefined when it cannot be decoded with this encoding (the message then goes to poison). */
export function decodeMessageText(text: string, encoding: 'base64' | 'none'): Buffer | undefined {
  if (encoding === 'none') return Buffer.from(text, 'utf8');
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** The body as a string when it is valid UTF-8 (else undefined: the extension then omits QueueTrigger). */
export function bodyAsString(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

export function toTriggerData(body: Buffer): RpcTypedData {
  return { string: body.toString('utf8') };
}

export function toTriggerMetadata(
  message: QueueMessageLike,
  body: Buffer,
  functionName: string,
  now = new Date(),
): Record<string, RpcTypedData> {
  const text = bodyAsString(body);
  return {
    ...(text !== undefined && { QueueTrigger: { string: text } }),
    DequeueCount: { json: JSON.stringify(message.dequeueCount) },
    ExpirationTime: { json: JSON.stringify(toNewtonsoftDate(message.expiresOn)) },
    Id: { string: message.messageId },
    InsertionTime: { json: JSON.stringify(toNewtonsoftDate(message.insertedOn)) },
    NextVisibleTime: { json: JSON.stringify(toNewtonsoftDate(message.nextVisibleOn)) },
    PopReceipt: { string: message.popReceipt },
    sys: { json: JSON.stringify({ MethodName: functionName, UtcNow: now.toISOString(), RandGuid: randomUUID() }) },
  };
}

/** The host's `Trigger Details` line for a queue message (QueueTriggerExecutor.PopulateTriggerDetails). */
export function triggerDetails(message: QueueMessageLike): string {
  return `MessageId: ${message.messageId}, DequeueCount: ${message.dequeueCount}, InsertedOn: ${message.insertedOn.toISOString()}`;
}

/** A DateTimeOffset in UTC as Newtonsoft writes it: `yyyy-MM-ddTHH:mm:ss[.FFFFFFF]+00:00`. */
export function toNewtonsoftDate(date: Date): string {
  const [whole, fraction = ''] = date.toISOString().slice(0, -1).split('.');
  const digits = fraction.replace(/0+$/, '');
  return `${whole}${digits ? `.${digits}` : ''}+00:00`;
}

/** `<queue>-poison`, or undefined where the extension has no poison queue (already a poison queue, or too long). */
export function poisonQueueName(queueName: string): string | undefined {
  if (queueName.endsWith('-poison')) return undefined;
  const name = `${queueName}-poison`;
  return isValidQueueName(name) ? name : undefined;
}
