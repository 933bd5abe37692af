import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { ConflictError } from '../../../../shared/errors';
import {
  auditRecordPrefix,
  AuditWriter,
  legacyAuditBlobName,
  newAuditId,
  openAuditRecords,
  readAuditRecord,
  type AuditRecordBase,
  type AuditStores,
} from '../../../../shared/participants/auditLog';
import { azuriteConnectionString } from '../../../helpers/archiveHarness';

let stores: AuditStores;
beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  const id = randomUUID().slice(0, 8);
  stores = { audit: service.getContainerClient(`aud-${id}`), control: service.getContainerClient(`ctl-${id}`) };
  await Promise.all([stores.audit.create(), stores.control.create()]);
});

const record = (id: string, over: Partial<AuditRecordBase> = {}): AuditRecordBase => ({
  schemaVersion: 1,
  id,
  kind: 'erase',
  status: 'in-progress',
  startedAt: '2026-05-12T10:15:00.000Z',
  updatedAt: '2026-05-12T10:15:00.000Z',
  completedAt: null,
  ...over,
});

/** Every blob of a container with its ETag, to prove nothing already written was ever replaced. */
async function snapshot(container: ContainerClient): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const item of container.listBlobsFlat()) found.set(item.name, item.properties.etag ?? '');
  return found;
}

/** A record as an earlier version wrote it: one blob in the control container, rewritten in place. */
async function legacyRecord(id: string, over: Partial<AuditRecordBase>, metadata: Record<string, string>) {
  const body = JSON.stringify(record(id, over));
  await stores.control.getBlockBlobClient(legacyAuditBlobName(id)).upload(body, Buffer.byteLength(body), {
    metadata: { ...metadata, kind: 'erase', status: over.status ?? 'in-progress' },
  });
}

describe('audit records', () => {
  it('names records by the UTC date they started, one folder per record in the audit container', () => {
    const id = newAuditId('erase', new Date('2026-05-12T10:15:00.123Z'));
    expect(id).toMatch(/^20260512T101500Z-erase-[0-9a-f]{8}$/);
    expect(auditRecordPrefix('20260512T101500Z-erase-1a2b3c4d')).toBe('2026/05/12/20260512T101500Z-erase-1a2b3c4d/');
    expect(legacyAuditBlobName('20260512T101500Z-erase-1a2b3c4d')).toBe(
      'audit/2026/05/12/20260512T101500Z-erase-1a2b3c4d.json',
    );
    expect(() => auditRecordPrefix('../../etc/passwd')).toThrow(/not an audit record id/);
  });

  it('writes every state as a new blob, create-only: nothing written is replaced, and a second writer is refused', async () => {
    const id = newAuditId('erase', new Date());
    const writer = await AuditWriter.create(stores, record(id), { participant: 'ab'.repeat(32) });
    await expect(AuditWriter.create(stores, record(id))).rejects.toMatchObject({ statusCode: 409 });
    const first = await snapshot(stores.audit);
    const other = await AuditWriter.open(stores, id);
    await other.save({ ...other.record, status: 'incomplete' });
    await expect(writer.save({ ...writer.record, status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
    const stored = await readAuditRecord(stores, id);
    expect(stored.record.status).toBe('incomplete');
    expect(stored.seq).toBe(2);
    // The run that took it over kept the participant it was created with (open records are found by it).
    expect(stored.metadata).toEqual({ participant: 'ab'.repeat(32), kind: 'erase', status: 'incomplete', seq: '2' });
    // Both states are there; the first one exactly as it was written.
    const after = await snapshot(stores.audit);
    for (const [name, etag] of first) expect(after.get(name)).toBe(etag);
    expect([...after.keys()].filter((n) => n.startsWith(auditRecordPrefix(id)))).toEqual([
      `${auditRecordPrefix(id)}000001.json`,
      `${auditRecordPrefix(id)}000002.json`,
    ]);
    expect(
      JSON.parse(
        (await stores.audit.getBlobClient(`${auditRecordPrefix(id)}000001.json`).downloadToBuffer()).toString(),
      ),
    ).toMatchObject({ status: 'in-progress' });
  });

  it('finds open records of a participant by listing alone, newest first, by their latest state', async () => {
    const hash = 'cd'.repeat(32);
    const older = '20260101T000000Z-erase-00000001';
    const newer = '20260102T000000Z-erase-00000002';
    const done = '20260103T000000Z-erase-00000003';
    await AuditWriter.create(stores, record(older), { participant: hash });
    await AuditWriter.create(stores, record(newer, { status: 'incomplete' }), { participant: hash });
    const finished = await AuditWriter.create(stores, record(done), { participant: hash });
    await finished.save({ ...finished.record, status: 'completed' });
    await AuditWriter.create(stores, record('20260104T000000Z-erase-00000004'), { participant: 'ef'.repeat(32) });
    const nothing = await AuditWriter.create(stores, record('20260105T000000Z-erase-00000005'), { participant: hash });
    await nothing.save({ ...nothing.record, status: 'nothing-found' });
    expect((await openAuditRecords(stores, 'erase', { participant: hash })).map((r) => r.id)).toEqual([newer, older]);
  });

  it('still reads and resumes a record an earlier version left in the control container, never writing it there', async () => {
    const legacyHash = '12'.repeat(32);
    const id = '20250601T000000Z-erase-0000000a';
    await legacyRecord(id, { status: 'incomplete' }, { participant: legacyHash });
    const before = await snapshot(stores.control);
    // Found open under the hash it was begun with, alongside any other hash of the participant.
    expect(
      (await openAuditRecords(stores, 'erase', { participant: ['ff'.repeat(32), legacyHash] })).map((r) => r.id),
    ).toContain(id);
    const resumed = await AuditWriter.open(stores, id);
    expect(resumed.record.status).toBe('incomplete');
    await resumed.save({ ...resumed.record, status: 'completed' });
    // The resume went on in the audit container; the old blob is as it was.
    expect(await snapshot(stores.control)).toEqual(before);
    expect((await readAuditRecord(stores, id)).record.status).toBe('completed');
    expect((await openAuditRecords(stores, 'erase', { participant: legacyHash })).map((r) => r.id)).not.toContain(id);
  });
});
