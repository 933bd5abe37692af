import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { indexRecordingForListing, type Manifest } from '../../../shared/archive';
import {
  listRecordings,
  parseListQuery,
  playChunk,
  recordingAccessLog,
  verifyChunk,
  type ConsoleCaller,
  type ConsoleStores,
} from '../../../shared/console';
import { participantHash, participantMarkerName } from '../../../shared/recording';
import * as sas from '../../../shared/console/readOnlySas';
import { azuriteConnectionString } from '../../helpers/archiveHarness';

/** The console's API over real Blob Storage (Azurite): the list's paging and filters, playback's audit and SAS. */

const service = BlobServiceClient.fromConnectionString(azuriteConnectionString());
const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const reviewer: ConsoleCaller = {
  who: 'reviewer@example.com (oid-1)',
  via: 'entra',
  roles: new Set(['Recordings.Read']),
};
const from = { address: '203.0.113.7', userAgent: 'jest' };
let stores: ConsoleStores;

beforeAll(async () => {
  const id = randomUUID().slice(0, 8);
  const [archive, control, audit] = ['arc', 'ctl', 'aud'].map((p) => service.getContainerClient(`${p}-${id}`)) as [
    ContainerClient,
    ContainerClient,
    ContainerClient,
  ];
  await Promise.all([archive.create(), control.create(), audit.create()]);
  stores = { service, archive, control, audit };
});

const MEDIA = Buffer.from('RIFF-not-really-a-wave-but-bytes-of-a-chunk');

/** A manifest of a recording that started `startTime`, archived with one chunk, written as the archiver would. */
async function archived(startTime: string, over: Partial<Manifest> = {}): Promise<Manifest> {
  const callId = randomUUID();
  const stamp = startTime.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const recordingKey = `${stamp}-${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const folder = `${callId}/${recordingKey}`;
  const { createHash } = await import('node:crypto');
  const manifest = {
    schemaVersion: 1,
    callId,
    recordingKey,
    serverCallId: `server-${callId}`,
    recordingId: null,
    recordingStartTime: startTime,
    recordingDurationMs: 4000,
    sessionEndReason: null,
    contentType: 'Audio',
    channelType: 'Mixed',
    formatType: 'Wav',
    format: 'wav',
    storageType: null,
    status: 'complete',
    deadline: new Date(Date.parse(startTime) + 48 * 3600_000).toISOString(),
    eventIds: ['e1'],
    participants: ['8:acs:72f733c1-0000-4000-8000-00000000abcd_x', '4:+14255550123'],
    channels: null,
    chunks: [
      {
        index: 0,
        documentId: 'doc0',
        endReason: 'SessionEnded',
        contentLocation: 'https://example/c',
        metadataLocation: 'https://example/m',
        deleteLocation: null,
        status: 'archived',
        blob: `${folder}/chunk-0000.wav`,
        metadataBlob: `${folder}/chunk-0000.metadata.json`,
        size: MEDIA.length,
        sha256: createHash('sha256').update(MEDIA).digest('hex'),
        md5: createHash('md5').update(MEDIA).digest('base64'),
        attempts: 1,
        lastError: null,
        archivedAt: startTime,
      },
    ],
    createdAt: startTime,
    updatedAt: startTime,
    formatSource: 'event',
    ...over,
  } as Manifest;
  const body = JSON.stringify(manifest);
  await stores.archive.getBlockBlobClient(`${folder}/manifest.json`).upload(body, body.length);
  await stores.archive.getBlockBlobClient(`${folder}/chunk-0000.wav`).upload(MEDIA, MEDIA.length);
  await indexRecordingForListing(stores.control, manifest);
  for (const participant of manifest.participants) {
    await stores.control
      .getBlockBlobClient(participantMarkerName(participantHash(participant), callId, recordingKey))
      .upload('', 0);
  }
  return manifest;
}

const query = (params: Record<string, string>) => parseListQuery((n) => params[n], new Date('2026-03-31T12:00:00Z'));

async function allPages(params: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  let token: string | null = null;
  do {
    const page = await listRecordings(
      stores,
      query({ ...params, ...(token ? { continuationToken: token } : {}) }),
      log,
    );
    seen.push(...page.recordings.map((r) => r.startTime));
    token = page.continuationToken;
  } while (token !== null);
  return seen;
}

describe('the recordings list', () => {
  const starts = Array.from({ length: 7 }, (_, i) => `2026-03-${String(10 + i * 3).padStart(2, '0')}T0${i}:15:00Z`);
  let failed: Manifest;
  beforeAll(async () => {
    for (const start of starts.slice(0, 6)) await archived(start);
    failed = await archived(starts[6]!, { status: 'failed' });
  });

  it('pages newest first with continuation tokens, skipping and repeating nothing', async () => {
    const first = await listRecordings(stores, query({ pageSize: '3' }), log);
    expect(first.recordings).toHaveLength(3);
    expect(first.continuationToken).not.toBeNull();
    expect(await allPages({ pageSize: '3' })).toEqual([...starts].reverse());
  });

  it('filters by day range, status, call id and server call id', async () => {
    expect(await allPages({ from: '2026-03-13', to: '2026-03-19', pageSize: '2' })).toEqual([
      starts[3],
      starts[2],
      starts[1],
    ]);
    expect(await allPages({ status: 'failed' })).toEqual([starts[6]]);
    expect(await allPages({ callId: failed.callId })).toEqual([starts[6]]);
    expect(await allPages({ serverCallId: failed.serverCallId! })).toEqual([starts[6]]);
    expect(await allPages({ status: 'pending' })).toEqual([]);
  });

  it('finds a participant by any spelling of the same canonical id', async () => {
    const upper = '8:ACS:72F733C1-0000-4000-8000-00000000ABCD_x';
    const rows = await allPages({ participantId: upper });
    expect(rows.sort()).toEqual([...starts].sort());
  });

  it('refuses a token made for other filters, naming the parameter', async () => {
    const first = await listRecordings(stores, query({ pageSize: '1' }), log);
    await expect(
      listRecordings(stores, query({ callId: randomUUID(), continuationToken: first.continuationToken! }), log),
    ).rejects.toMatchObject({ field: 'continuationToken' });
    await expect(listRecordings(stores, query({ continuationToken: 'bm90LWpzb24' }), log)).rejects.toMatchObject({
      field: 'continuationToken',
    });
    expect(() => query({ status: 'archived' })).toThrow(/status/);
    expect(() => query({ from: '2026-02-30' })).toThrow(/from/);
  });
});

describe('playback', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes the access record, then issues a 5-minute read-only SAS for that one blob', async () => {
    const manifest = await archived('2026-03-01T10:00:00Z');
    const ref = { callId: manifest.callId, recordingKey: manifest.recordingKey };
    // The order is observed where it matters: when the SAS is signed, the access record must already be there.
    const recordsWhenSigned: string[] = [];
    const original = sas.readOnlyBlobUrl;
    const sign = jest.spyOn(sas, 'readOnlyBlobUrl');
    sign.mockImplementationOnce(async (...args) => {
      for await (const item of stores.audit.listBlobsFlat({ prefix: `access/${ref.callId}/` }))
        recordsWhenSigned.push(item.name);
      return original(...args);
    });
    const grant = await playChunk(stores, { caller: reviewer, from, now: () => new Date() }, ref, 0);
    expect(sign).toHaveBeenCalledTimes(1);
    expect(recordsWhenSigned).toHaveLength(1);
    sign.mockRestore();

    const signed = new URL(grant.url);
    expect(signed.searchParams.get('sp')).toBe('r');
    expect(signed.searchParams.get('sr')).toBe('b');
    const lifetime = Date.parse(signed.searchParams.get('se')!) - Date.now();
    expect(lifetime).toBeGreaterThan(4 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(5 * 60_000);
    const read = await fetch(grant.url, { headers: { range: 'bytes=5-9' } });
    expect(read.status).toBe(206);
    expect(Buffer.from(await read.arrayBuffer())).toEqual(MEDIA.subarray(5, 10));
    // The same signature opens no other blob, and writes nothing.
    const other = new URL(grant.url);
    other.pathname = other.pathname.replace('chunk-0000.wav', 'manifest.json');
    expect((await fetch(other)).status).toBe(403);
    const write = await fetch(grant.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
    expect(write.status).toBe(403);

    const records = await recordingAccessLog(stores, { caller: reviewer, from, now: () => new Date() }, ref, {
      pageSize: 10,
    });
    expect(records.records[0]).toMatchObject({ kind: 'access', action: 'play', chunk: 0, who: reviewer.who, from });
  });

  it('a SAS issued five minutes ago no longer opens the chunk', async () => {
    const manifest = await archived('2026-03-02T10:00:00Z');
    const ref = { callId: manifest.callId, recordingKey: manifest.recordingKey };
    const past = new Date(Date.now() - 5 * 60_000 - 5_000);
    const grant = await playChunk(stores, { caller: reviewer, from, now: () => past }, ref, 0);
    expect((await fetch(grant.url)).status).toBe(403);
  });

  it('issues no SAS when the access record cannot be written', async () => {
    const manifest = await archived('2026-03-03T10:00:00Z');
    const ref = { callId: manifest.callId, recordingKey: manifest.recordingKey };
    const broken = { ...stores, audit: service.getContainerClient(`missing-${randomUUID().slice(0, 8)}`) };
    const sign = jest.spyOn(sas, 'readOnlyBlobUrl');
    const outcome = await playChunk(broken, { caller: reviewer, from, now: () => new Date() }, ref, 0).then(
      (grant) => ({ grant }),
      (error: unknown) => ({ error }),
    );
    expect(outcome).toHaveProperty('error');
    expect(sign).not.toHaveBeenCalled();
    sign.mockRestore();
    expect(JSON.stringify(outcome)).not.toContain('sig=');
  });

  it('refuses a caller without Recordings.Read before anything is recorded', async () => {
    const manifest = await archived('2026-03-04T10:00:00Z');
    const ref = { callId: manifest.callId, recordingKey: manifest.recordingKey };
    const nobody: ConsoleCaller = { ...reviewer, roles: new Set() };
    await expect(playChunk(stores, { caller: nobody, from, now: () => new Date() }, ref, 0)).rejects.toMatchObject({
      status: 403,
      code: 'RoleMissing',
    });
    const found = [];
    for await (const item of stores.audit.listBlobsFlat({ prefix: `access/${ref.callId}/` })) found.push(item.name);
    expect(found).toEqual([]);
  });

  it('verifies a chunk again and finds a changed one', async () => {
    const manifest = await archived('2026-03-05T10:00:00Z');
    const ref = { callId: manifest.callId, recordingKey: manifest.recordingKey };
    const request = { caller: reviewer, from, now: () => new Date() };
    expect(await verifyChunk(stores, request, ref, 0)).toMatchObject({ ok: true, size: MEDIA.length });
    await stores.archive.getBlockBlobClient(manifest.chunks[0]!.blob).upload('tampered', 8);
    expect(await verifyChunk(stores, request, ref, 0)).toMatchObject({ ok: false, size: 8 });
  });
});
