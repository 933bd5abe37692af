import { randomUUID } from 'node:crypto';
import { RestError, QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { ChunkQueue, parseChunkMessage } from '../../../../shared/archive/chunkQueue';
import { azuriteConnectionString } from '../../../helpers/archiveHarness';

/**
 * Sending chunk messages with the rights the deployment gives the app: messages add/read/process/write, no right to
 * create queues (infra/app/custom-roles.bicep). The queues are created by the deployment; a create call would be
 * refused with 403 (AuthorizationPermissionMismatch) even for a queue that exists.
 */

const service = QueueServiceClient.fromConnectionString(azuriteConnectionString());

/** A real Azurite queue client whose create calls are refused as Azure refuses them without queues/write. */
function withoutCreateRight(queue: QueueClient): { queue: QueueClient; creates: () => number } {
  let creates = 0;
  const refuse = () => {
    creates++;
    return Promise.reject(
      new RestError('This request is not authorized to perform this operation using this permission.', {
        code: 'AuthorizationPermissionMismatch',
        statusCode: 403,
      }),
    );
  };
  queue.create = refuse;
  queue.createIfNotExists = refuse;
  return { queue, creates: () => creates };
}

async function texts(queue: QueueClient): Promise<unknown[]> {
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => parseChunkMessage(Buffer.from(m.messageText, 'base64').toString()));
}

const message = { callId: 'call-1', recordingKey: '20261127T160000Z-0123abcd', index: 3 };

describe('sending chunk messages', () => {
  it('sends to a queue the deployment created without asking to create it', async () => {
    const name = `q-${randomUUID().slice(0, 8)}`;
    await service.getQueueClient(name).create();
    const target = withoutCreateRight(service.getQueueClient(name));
    await new ChunkQueue(target.queue, service.getQueueClient(`${name}-poison`)).enqueue([message]);
    expect(target.creates()).toBe(0);
    expect(await texts(service.getQueueClient(name))).toEqual([message]);
  });

  it('creates a queue that does not exist (local development) and sends', async () => {
    const name = `q-${randomUUID().slice(0, 8)}`;
    await new ChunkQueue(service.getQueueClient(name), service.getQueueClient(`${name}-poison`)).enqueue([
      message,
      { ...message, index: 4 },
    ]);
    expect(await texts(service.getQueueClient(name))).toEqual(
      expect.arrayContaining([message, { ...message, index: 4 }]),
    );
  });

  it('reports a queue it may not create with the storage error, not as sent', async () => {
    const name = `q-${randomUUID().slice(0, 8)}`;
    const target = withoutCreateRight(service.getQueueClient(name));
    await expect(
      new ChunkQueue(target.queue, service.getQueueClient(`${name}-poison`)).enqueue([message]),
    ).rejects.toMatchObject({ statusCode: 403 });
  });
});
