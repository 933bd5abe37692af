import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { CallRecord } from '../../../../shared/control/callRecord';
import { callBlobName, CallStore } from '../../../../shared/control/callStore';
import { PADDED_SERVER_CALL_ID, recordWith } from '../../../helpers/controlFixtures';

let container: ContainerClient;
let store: CallStore;
// Unique per run, so the test does not depend on an empty Azurite.
const id = (name: string): string => `${PADDED_SERVER_CALL_ID.slice(0, 40)}/${name}+${randomUUID()}==`;
const record = (callKey: string): CallRecord =>
  recordWith({ locator: { kind: 'serverCallId', id: callKey }, state: 'starting', recordingId: null });

beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(process.env.TEST_AZURITE_CONNECTION_STRING!);
  container = service.getContainerClient(`control-callstore-${randomUUID().slice(0, 8)}`);
  await container.createIfNotExists();
  store = new CallStore(container);
});

describe('callBlobName', () => {
  it('names the record by the SHA-256 hex of the id (the id may hold /, + and =)', () => {
    // echo -n "aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==" | sha256sum
    expect(callBlobName(PADDED_SERVER_CALL_ID)).toBe(
      'calls/6f4799cc1855e0e660840c452967d926db08a67fe11c6bdbc35439d4d2ee7c55.json',
    );
  });
});

describe('CallStore', () => {
  it('lets exactly one of five concurrent creators claim a call', async () => {
    const callKey = id('a');
    const results = await Promise.all(Array.from({ length: 5 }, () => store.create(record(callKey))));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('updates only from the current ETag', async () => {
    const callKey = id('b');
    const created = await store.create(record(callKey));
    const loaded = await store.get(callKey);
    expect(loaded?.etag).toBe(created?.etag);
    expect(await store.replace(loaded!, { ...loaded!.record, state: 'active' })).toBeDefined();
    expect(await store.replace(loaded!, { ...loaded!.record, state: 'stopped' })).toBeUndefined();
    expect((await store.get(callKey))?.record.state).toBe('active');
  });

  it('reads a first-version record at calls/{serverCallId}.json when the new name is missing', async () => {
    const callKey = `aHR0cHM6Ly9sZWdhY3kuZXhhbXBsZS9jb252LzE_${randomUUID().replaceAll('-', '')}`; // base64url
    const legacy = {
      serverCallId: callKey,
      recordingId: 'cmVjLTE+/w==',
      state: 'paused',
      dialect: 'calling',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:05:00.000Z',
      reason: 'API: paused',
      history: [{ state: 'paused', at: '2026-01-01T00:05:00.000Z', reason: 'API: paused' }],
    };
    const body = JSON.stringify(legacy);
    await container.getBlockBlobClient(`calls/${callKey}.json`).upload(body, Buffer.byteLength(body));
    const stored = await store.get(callKey);
    expect(stored?.blobName).toBe(`calls/${callKey}.json`);
    expect(stored?.record).toMatchObject({
      version: 2,
      locator: { kind: 'serverCallId', id: callKey },
      recordingId: 'cmVjLTE+/w==',
      state: 'paused',
      start: null,
    });
    // Updates go to the blob it was read from (its ETag belongs to that blob).
    expect(await store.replace(stored!, { ...stored!.record, state: 'stopped' })).toMatchObject({
      blobName: `calls/${callKey}.json`,
    });
  });

  it('never looks for a legacy name for an id that could not have been one (it holds / or =)', async () => {
    const callKey = `../${randomUUID()}==`;
    expect(await store.get(callKey)).toBeUndefined();
  });

  it('returns undefined for an unknown call', async () => {
    expect(await store.get(id('unknown'))).toBeUndefined();
  });
});
