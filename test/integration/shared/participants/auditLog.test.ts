import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { ConflictError } from '../../../../shared/errors';
import {
  auditBlobName,
  AuditWriter,
  newAuditId,
  openAuditRecords,
  readAuditRecord,
  type AuditRecordBase,
} from '../../../../shared/participants/auditLog';
import { azuriteConnectionString } from '../../../helpers/archiveHarness';

let control: ContainerClient;
beforeAll(async () => {
  control = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    `ctl-${randomUUID().slice(0, 8)}`,
  );
  await control.create();
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

describe('audit records', () => {
  it('names records by the UTC date they started: audit/{yyyy}/{mm}/{dd}/{id}.json', () => {
    const id = newAuditId('erase', new Date('2026-05-12T10:15:00.123Z'));
    expect(id).toMatch(/^20260512T101500Z-erase-[0-9a-f]{8}$/);
    expect(auditBlobName('20260512T101500Z-erase-1a2b3c4d')).toBe(
      'audit/2026/05/12/20260512T101500Z-erase-1a2b3c4d.json',
    );
    expect(() => auditBlobName('../../etc/passwd')).toThrow(/not an audit record id/);
  });

  it('writes the intent once, then only on top of its own last write', async () => {
    const id = newAuditId('erase', new Date());
    const writer = await AuditWriter.create(control, record(id), { participant: 'ab'.repeat(32) });
    await expect(AuditWriter.create(control, record(id))).rejects.toMatchObject({ statusCode: 409 });
    const other = await AuditWriter.open(control, id);
    await other.save({ ...other.record, status: 'incomplete' });
    await expect(writer.save({ ...writer.record, status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
    const stored = await readAuditRecord(control, id);
    expect(stored.record.status).toBe('incomplete');
    // The run that took it over kept the participant it was created with (open records are found by it).
    expect(stored.metadata).toEqual({ participant: 'ab'.repeat(32), kind: 'erase', status: 'incomplete' });
  });

  it('finds open records of a participant by listing alone, newest first', async () => {
    const hash = 'cd'.repeat(32);
    const older = '20260101T000000Z-erase-00000001';
    const newer = '20260102T000000Z-erase-00000002';
    const done = '20260103T000000Z-erase-00000003';
    await AuditWriter.create(control, record(older), { participant: hash });
    await AuditWriter.create(control, record(newer, { status: 'incomplete' }), { participant: hash });
    await AuditWriter.create(control, record(done, { status: 'completed' }), { participant: hash });
    await AuditWriter.create(control, record('20260104T000000Z-erase-00000004'), { participant: 'ef'.repeat(32) });
    expect((await openAuditRecords(control, 'erase', { participant: hash })).map((r) => r.id)).toEqual([newer, older]);
  });
});
