import { randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { statusCode, streamToText } from '../storage';
import { BadInputError, ConflictError, NotFoundError } from '../errors';

/**
 * Audit records in the control container, `audit/{yyyy}/{mm}/{dd}/{id}.json` (UTC date the operation started). A
 * record is written first as an intent (`in-progress`) and rewritten as the work goes on, each write conditional on
 * the last one (ETag), so that two runs can never both believe they own it. The blob's metadata repeats `kind`,
 * `status` and, for erasures, `participant` (the SHA-256, never the id), so open records are found by listing alone.
 */

export type AuditKind = 'erase' | 'hold';
export type AuditStatus = 'in-progress' | 'completed' | 'incomplete';

export interface AuditRecordBase {
  schemaVersion: 1;
  id: string;
  kind: AuditKind;
  status: AuditStatus;
  startedAt: string;
  updatedAt: string;
  completedAt: string | null;
}

const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T\d{6}Z-(erase|hold)-[0-9a-f]{8}$/;

/** `20260512T101500Z-erase-1a2b3c4d`: sortable, and the date names the folder. */
export function newAuditId(kind: AuditKind, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${kind}-${randomBytes(4).toString('hex')}`;
}

export function auditBlobName(id: string): string {
  const match = ID_PATTERN.exec(id);
  if (!match)
    throw new BadInputError(
      `'${id.slice(0, 60)}' is not an audit record id (like 20260512T101500Z-erase-1a2b3c4d)`,
      'auditId',
    );
  const [, yyyy, mm, dd] = match;
  return `audit/${yyyy}/${mm}/${dd}/${id}.json`;
}

export function isAuditId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** A record being kept up to date by one run. */
export class AuditWriter<T extends AuditRecordBase> {
  private constructor(
    private readonly control: ContainerClient,
    private current: T,
    private etag: string,
    private readonly extraMetadata: Record<string, string>,
  ) {}

  /** Writes a new record (fails if the id exists). */
  static async create<T extends AuditRecordBase>(
    control: ContainerClient,
    record: T,
    extraMetadata: Record<string, string> = {},
  ): Promise<AuditWriter<T>> {
    const body = JSON.stringify(record, null, 2);
    const response = await control.getBlockBlobClient(auditBlobName(record.id)).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      metadata: metadataOf(record, extraMetadata),
      conditions: { ifNoneMatch: '*' },
    });
    return new AuditWriter(control, record, response.etag ?? '', extraMetadata);
  }

  /** Takes over an existing record, to resume it; the metadata it was created with (its participant) stays. */
  static async open<T extends AuditRecordBase>(control: ContainerClient, id: string): Promise<AuditWriter<T>> {
    const found = await readAuditRecord<T>(control, id);
    const { kind: _kind, status: _status, ...extraMetadata } = found.metadata;
    return new AuditWriter(control, found.record, found.etag, extraMetadata);
  }

  get record(): T {
    return this.current;
  }

  /** Rewrites the record; refuses if anyone else wrote it since this run last did. */
  async save(next: T): Promise<void> {
    const body = JSON.stringify(next, null, 2);
    try {
      const response = await this.control
        .getBlockBlobClient(auditBlobName(next.id))
        .upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          metadata: metadataOf(next, this.extraMetadata),
          conditions: { ifMatch: this.etag },
        });
      this.etag = response.etag ?? '';
      this.current = next;
    } catch (error) {
      if (statusCode(error) === 412) {
        throw new ConflictError(
          `audit record ${next.id} was changed by another run; let that run finish, then resume it`,
          'AuditRecordChanged',
        );
      }
      throw error;
    }
  }
}

export async function readAuditRecord<T extends AuditRecordBase>(
  control: ContainerClient,
  id: string,
): Promise<{ record: T; etag: string; metadata: Record<string, string> }> {
  try {
    const response = await control.getBlobClient(auditBlobName(id)).download();
    const text = await streamToText(response.readableStreamBody, 64 * 1024 * 1024);
    return { record: JSON.parse(text) as T, etag: response.etag ?? '', metadata: response.metadata ?? {} };
  } catch (error) {
    if (statusCode(error) === 404) throw new NotFoundError(`no audit record ${id}`, 'AuditRecordNotFound');
    throw error;
  }
}

/** Records of `kind` still `in-progress` or `incomplete` whose metadata matches `match`, newest first. */
export async function openAuditRecords(
  control: ContainerClient,
  kind: AuditKind,
  match: Record<string, string> = {},
): Promise<{ id: string; status: AuditStatus; startedAt: Date | undefined }[]> {
  const found: { id: string; status: AuditStatus; startedAt: Date | undefined }[] = [];
  for await (const item of control.listBlobsFlat({ prefix: 'audit/', includeMetadata: true })) {
    const metadata = item.metadata ?? {};
    if (metadata.kind !== kind) continue;
    if (metadata.status !== 'in-progress' && metadata.status !== 'incomplete') continue;
    if (Object.entries(match).some(([k, v]) => metadata[k] !== v)) continue;
    const id = item.name.slice(item.name.lastIndexOf('/') + 1).replace(/\.json$/, '');
    if (isAuditId(id)) found.push({ id, status: metadata.status, startedAt: item.properties.createdOn });
  }
  return found.sort((a, b) => b.id.localeCompare(a.id));
}

function metadataOf(record: AuditRecordBase, extra: Record<string, string>): Record<string, string> {
  return { ...extra, kind: record.kind, status: record.status };
}
