import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { CallStore, withState, type CallRecord } from '../../../shared/control/callStore';

const now = '2026-01-01T00:00:00.000Z';
const record = (serverCallId: string): CallRecord => ({
  serverCallId,
  recordingId: null,
  state: 'starting',
  dialect: 'calling',
  createdAt: now,
  updatedAt: now,
  reason: 'test',
  history: [{ state: 'starting', at: now, reason: 'test' }],
});

let store: CallStore;
// Unique per run, so the test does not depend on an empty Azurite.
const id = (name: string): string => Buffer.from(`https://conv.example/${name}/${randomUUID()}`).toString('base64url');

beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(process.env.TEST_AZURITE_CONNECTION_STRING!);
  const container = service.getContainerClient('control-callstore-test');
  await container.createIfNotExists();
  store = new CallStore(container);
});

describe('CallStore', () => {
  it('lets exactly one of five concurrent creators claim a call', async () => {
    const callId = id('a');
    const results = await Promise.all(Array.from({ length: 5 }, () => store.create(record(callId))));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('updates only from the current ETag', async () => {
    const callId = id('b');
    const created = await store.create(record(callId));
    const loaded = await store.get(callId);
    expect(loaded?.etag).toBe(created?.etag);
    const updated = await store.replace(withState(loaded!.record, 'active', 'started'), loaded!.etag);
    expect(updated).toBeDefined();
    expect(await store.replace(withState(loaded!.record, 'stopped', 'stale'), loaded!.etag)).toBeUndefined();
    const final = await store.get(callId);
    expect(final?.record.state).toBe('active');
    expect(final?.record.history.map((h) => h.state)).toEqual(['starting', 'active']);
  });

  it('returns undefined for an unknown call', async () => {
    expect(await store.get(id('unknown'))).toBeUndefined();
  });
});
