import { randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { statusCode, streamToText } from '../storage';
import { BadInputError, ConflictError, NotFoundError } from '../errors';

/**
 * Audit records (erasures, legal holds) in their own container, AUDIT_CONTAINER, which in Azure has version-level
 * immutability, where the app may write (the console's access records) but never delete. A record is never rewritten: each state of it is a new blob,
 * `{yyyy}/{mm}/{dd}/{id}/{seq}.json` (UTC date the operation started; seq 000001, 000002, …), written create-only
 * (`If-None-Match: *`), so that two runs can never both believe they own it (the second one's next write finds its
 * seq taken) and nothing a tool does deletes or replaces an earlier state. The blob's metadata repeats `kind`,
 * `status` and, for erasures, `participant` (the SHA-256, never the id), so open records are found by listing alone.
 *
 * Records written before this container existed live in the control container, `audit/{yyyy}/{mm}/{dd}/{id}.json`:
 * they are still read (an erasure begun before the upgrade is resumed from there) and never written again; the
 * resume goes on in the audit container.
 */

export type AuditKind = 'erase' | 'hold';
/** `nothing-found`: an erasure for an id the index knows nothing of; it erased nothing and is not a `completed` one. */
export type AuditStatus = 'in-progress' | 'completed' | 'incomplete' | 'nothing-found';

export interface AuditRecordBase {
  schemaVersion: 1;
  id: string;
  kind: AuditKind;
  status: AuditStatus;
  startedAt: string;
  updatedAt: string;
  completedAt: null | string;
}

/** Where audit records are: the audit container, and the control container for records from before it. */
export interface AuditStores {
  audit: ContainerClient;
  control: ContainerClient;
}

const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T\d{6}Z-(erase|hold)-[0-9a-f]{8}$/;
const SEQ_DIGITS = 6;

/** `20260512T101500Z-erase-1a2b3c4d`: sortable, and the date names the folder. */
export function newAuditId(kind: AuditKind, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${kind}-${randomBytes(4).toString('hex')}`;
}

function dateParts(id: string): [string, string, string] {
  const match = ID_PATTERN.exec(id);
  if (!match)
    throw new BadInputError(
      `'${id.slice(0, 60)}' is not an audit record id (like 20260512T101500Z-erase-1a2b3c4d)`,
      'auditId',
    );
  return [match[1]!, match[2]!, match[3]!];
}

/** The folder of a record's states in the audit container: `{yyyy}/{mm}/{dd}/{id}/`. */
export function auditRecordPrefix(id: string): string {
  const [yyyy, mm, dd] = dateParts(id);
  return `${yyyy}/${mm}/${dd}/${id}/`;
}

/** Where an earlier version kept the record, in the control container (read only). */
export function legacyAuditBlobName(id: string): string {
  const [yyyy, mm, dd] = dateParts(id);
  return `audit/${yyyy}/${mm}/${dd}/${id}.json`;
}

export function isAuditId(value: string): boolean {
  return ID_PATTERN.test(value);
}

function stateBlobName(id: string, seq: number): string {
  return `${auditRecordPrefix(id)}${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

/** A record being kept up to date by one run: every save is a new blob after the last one this run knows of. */
export class AuditWriter<T extends AuditRecordBase> {
  private constructor(
    private readonly audit: ContainerClient,
    private current: T,
    private seq: number,
    private readonly extraMetadata: Record<string, string>,
  ) {}

  /** Writes a new record (fails with 409 if the id exists). */
  static async create<T extends AuditRecordBase>(
    stores: AuditStores,
    record: T,
    extraMetadata: Record<string, string> = {},
  ): Promise<AuditWriter<T>> {
    await writeState(stores.audit, record, 1, extraMetadata);
    return new AuditWriter(stores.audit, record, 1, extraMetadata);
  }

  /** Takes over an existing record, to resume it; the metadata it was created with (its participant) stays. */
  static async open<T extends AuditRecordBase>(stores: AuditStores, id: string): Promise<AuditWriter<T>> {
    const found = await readAuditRecord<T>(stores, id);
    const { kind: _kind, status: _status, seq: _seq, ...extraMetadata } = found.metadata;
    return new AuditWriter(stores.audit, found.record, found.seq, extraMetadata);
  }

  get record(): T {
    return this.current;
  }

  /** The blob this run wrote last (or read, when it has not written yet). */
  get blobName(): string {
    return stateBlobName(this.current.id, Math.max(this.seq, 1));
  }

  /** Writes the next state; refuses if anyone else wrote one since this run last did. */
  async save(next: T): Promise<void> {
    try {
      await writeState(this.audit, next, this.seq + 1, this.extraMetadata);
    } catch (error) {
      if (statusCode(error) === 409 || statusCode(error) === 412) {
        throw new ConflictError(
          `audit record ${next.id} was changed by another run; let that run finish, then resume it`,
          'AuditRecordChanged',
        );
      }
      throw error;
    }
    this.seq += 1;
    this.current = next;
  }
}

async function writeState(
  audit: ContainerClient,
  record: AuditRecordBase,
  seq: number,
  extra: Record<string, string>,
): Promise<void> {
  const body = JSON.stringify(record, null, 2);
  await audit.getBlockBlobClient(stateBlobName(record.id, seq)).upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    metadata: { ...extra, kind: record.kind, status: record.status, seq: String(seq) },
    // NOTE: create-only: a state once written is never replaced, by this run or any other.
    conditions: { ifNoneMatch: '*' },
  });
}

/** The latest state of a record (seq 0: the record is still the one an earlier version wrote to the control container). */
export async function readAuditRecord<T extends AuditRecordBase>(
  stores: AuditStores,
  id: string,
): Promise<{ record: T; seq: number; metadata: Record<string, string> }> {
  let latest: { name: string; seq: number } | null = null;
  for await (const item of stores.audit.listBlobsFlat({ prefix: auditRecordPrefix(id) })) {
    const seq = seqOf(item.name);
    if (seq !== null && (latest === null || seq > latest.seq)) latest = { name: item.name, seq };
  }
  if (latest) return { ...(await readJson<T>(stores.audit, latest.name)), seq: latest.seq };
  try {
    return { ...(await readJson<T>(stores.control, legacyAuditBlobName(id))), seq: 0 };
  } catch (error) {
    if (statusCode(error) === 404) throw new NotFoundError(`no audit record ${id}`, 'AuditRecordNotFound');
    throw error;
  }
}

async function readJson<T>(
  container: ContainerClient,
  name: string,
): Promise<{ record: T; metadata: Record<string, string> }> {
  const response = await container.getBlobClient(name).download();
  const text = await streamToText(response.readableStreamBody, 64 * 1024 * 1024);
  return { record: JSON.parse(text) as T, metadata: response.metadata ?? {} };
}

function seqOf(name: string): number | null {
  const match = /\/(\d{6})\.json$/.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * Records of `kind` whose latest state is `in-progress` or `incomplete` and whose metadata matches `match` (a value, or
 * any of several), newest first.
 */
export async function openAuditRecords(
  stores: AuditStores,
  kind: AuditKind,
  match: Record<string, string | readonly string[]> = {},
): Promise<{ id: string; status: AuditStatus; startedAt: Date | undefined }[]> {
  const latest = new Map<string, { seq: number; metadata: Record<string, string>; createdOn: Date | undefined }>();
  const consider = (id: string, seq: number, metadata: Record<string, string>, createdOn: Date | undefined) => {
    if (!isAuditId(id)) return;
    const known = latest.get(id);
    if (!known || seq > known.seq) latest.set(id, { seq, metadata, createdOn: known?.createdOn ?? createdOn });
  };
  for await (const item of stores.control.listBlobsFlat({ prefix: 'audit/', includeMetadata: true })) {
    consider(
      item.name.slice(item.name.lastIndexOf('/') + 1).replace(/\.json$/, ''),
      0,
      item.metadata ?? {},
      item.properties.createdOn,
    );
  }
  for await (const item of stores.audit.listBlobsFlat({ includeMetadata: true })) {
    const seq = seqOf(item.name);
    const parts = item.name.split('/');
    if (seq !== null && parts.length === 5) consider(parts[3]!, seq, item.metadata ?? {}, item.properties.createdOn);
  }
  const found: { id: string; status: AuditStatus; startedAt: Date | undefined }[] = [];
  for (const [id, { metadata, createdOn }] of latest) {
    if (metadata.kind !== kind) continue;
    if (metadata.status !== 'in-progress' && metadata.status !== 'incomplete') continue;
    const matches = ([k, v]: [string, string | readonly string[]]) =>
      typeof v === 'string' ? metadata[k] === v : v.includes(metadata[k] ?? '');
    if (!Object.entries(match).every(matches)) continue;
    found.push({ id, status: metadata.status, startedAt: createdOn });
  }
  return found.sort((a, b) => b.id.localeCompare(a.id));
}
