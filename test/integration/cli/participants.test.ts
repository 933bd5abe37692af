import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import yauzl from 'yauzl';
import { runCli } from '../../../cli/main';
import type { RecordingFiles } from '../../../dev/emulator';
import { objectIdFromToken, operatorObjectIdFor, type PromptingIo } from '../../../cli/commands/commandContext';
import { legacyAuditBlobName } from '../../../shared/participants/auditLog';
import { planErasure, replanErasure, startErasure } from '../../../shared/participants/planErasure';
import { runErasure } from '../../../shared/participants/runErasure';
import { indexParticipants } from '../../../shared/archive/participantIndex';
import {
  archiveHarness,
  azuriteConnectionString,
  blobBytes,
  listBlobs,
  readManifest,
  type ArchiveHarness,
} from '../../helpers/archiveHarness';
import { CapturedLog } from '../../helpers/logs';
import { archiveAndIndex } from '../../helpers/participantArchive';

/**
 * The participant, hold and index commands against the ACS emulator and Azurite: runCli with captured io, as
 * test/cli/cli.test.ts does. Participant ids have the form of Microsoft's documented raw ids ("Understand identifier
 * types", REST: `8:acs:<resource id>_<user id>`), with a fresh user id per test so tests never see each other's data.
 */

const RESOURCE = '8540c0de-899f-5cce-acb5-3ec493af3800';
const person = () => `8:acs:${RESOURCE}_${randomUUID()}`;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let h: ArchiveHarness;
let cwd: string;
let audit: ContainerClient;
const AUDIT_CONTAINER = `audit-${randomUUID().slice(0, 8)}`;
beforeAll(async () => {
  h = await archiveHarness({ env: { AUDIT_CONTAINER } });
  cwd = mkdtempSync(path.join(os.tmpdir(), 'cra-participants-'));
  audit = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(AUDIT_CONTAINER);
  // The deployment creates the containers (the audit one immutable, in Azure); the participant commands never do.
  await Promise.all([h.container.createIfNotExists(), h.control.createIfNotExists(), audit.createIfNotExists()]);
});
afterAll(async () => h?.stop());

async function cli(
  args: string[],
  options: { answer?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string; asked: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const io: PromptingIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    isTTY: false,
    env: { ...h.env, ...options.env },
    cwd,
    ...(options.answer !== undefined && {
      ask: async (question: string) => {
        asked.push(question);
        return options.answer!;
      },
    }),
  };
  const code = await runCli(args, io);
  return { code, out: out.join('\n'), err: err.join('\n'), asked };
}

/** No character a terminal would act on (escape sequences, carriage returns), newlines apart. */
function printable(text: string): boolean {
  return [...text].every((c) => c === '\n' || c.charCodeAt(0) >= 0x20);
}

async function recording(participants: string[], spec: { chunks?: number; chunkSize?: number } = {}) {
  const files = await h.emulator.createRecordingFiles({
    chunks: spec.chunks ?? 1,
    chunkSize: spec.chunkSize ?? 3000,
    participants,
  });
  const manifest = await archiveAndIndex(h, files);
  return { files, manifest, folder: `${files.callId}/${manifest.recordingKey}` };
}

/** Every state of an audit record, oldest first: `{yyyy}/{mm}/{dd}/{id}/{seq}.json` in the audit container. */
async function auditStates(id: string): Promise<string[]> {
  const [, y, m, d] = /^(\d{4})(\d{2})(\d{2})/.exec(id)!;
  return (await listBlobs(audit, `${y}/${m}/${d}/${id}/`)).sort();
}

/** The latest state of an audit record. */
async function auditRecord(id: string): Promise<any> {
  const states = await auditStates(id);
  return JSON.parse((await blobBytes(audit, states[states.length - 1]!)).toString('utf8'));
}

/** Names of the audit record states about a participant (their blob metadata carries its SHA-256). */
async function auditRecordsOf(participantId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of audit.listBlobsFlat({ includeMetadata: true })) {
    if (item.metadata?.participant === sha256(participantId)) names.push(item.name);
  }
  return names;
}

/** Every entry of a zip: name -> bytes. */
function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const pieces: Buffer[] = [];
          stream.on('data', (p: Buffer) => pieces.push(p));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(pieces));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function expectExportOf(files: RecordingFiles, folder: string, read: (relative: string) => Buffer): void {
  files.chunks.forEach((chunk, i) => {
    const stem = `chunk-${String(i).padStart(4, '0')}`;
    // The emulator's own hashes and bytes of what it served: byte-exact means these.
    expect(sha256(read(`${folder}/${stem}.mp4`))).toBe(chunk.sha256);
    expect(read(`${folder}/${stem}.metadata.json`).equals(chunk.metadata)).toBe(true);
  });
}

describe('participant export', () => {
  it('exports every recording of the participant into a folder, byte for byte, hashes checked, with a README', async () => {
    const alice = person();
    const bob = person();
    const solo = await recording([alice], { chunks: 2 });
    const shared = await recording([bob, alice]);
    const other = await recording([bob]);
    const out = path.join(cwd, `export-${randomUUID().slice(0, 8)}`);

    const result = await cli(['participant', 'export', alice, '--out', out, '--json']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(report).toMatchObject({ dryRun: false, files: 8, mismatches: 0, participantSha256: sha256(alice) });
    expect(report.recordings.map((r: any) => `${r.callId}/${r.recordingKey}`).sort()).toEqual(
      [solo.folder, shared.folder].sort(),
    );
    const read = (relative: string) => readFileSync(path.join(out, ...relative.split('/')));
    expectExportOf(solo.files, solo.folder, read);
    expectExportOf(shared.files, shared.folder, read);
    expect(
      read(`${solo.folder}/manifest.json`).equals(await blobBytes(h.container, `${solo.folder}/manifest.json`)),
    ).toBe(true);
    expect(existsSync(path.join(out, other.files.callId))).toBe(false);
    const readme = read('README.txt').toString('utf8');
    expect(readme).toContain('Recordings found: 2');
    expect(readme).toContain(`Participant:      SHA-256 ${sha256(alice)}`);
    expect(readme).toContain(
      `chunk-0001.mp4  3000 bytes  sha256 ${solo.files.chunks[1]!.sha256}  matches the manifest`,
    );
    expect(readme).toContain(
      `chunk-0000.metadata.json  ${solo.files.chunks[0]!.metadata.length} bytes  sha256 ${solo.files.chunks[0]!.metadataSha256}  matches the blob's sha256 metadata`,
    );
    expect(readme).not.toContain(alice);
  });

  it('exports into a zip, streamed, that unzips to the same bytes', async () => {
    const alice = person();
    const one = await recording([alice], { chunks: 2, chunkSize: 70_000 });
    const zip = path.join(cwd, `export-${randomUUID().slice(0, 8)}.zip`);
    const result = await cli(['participant', 'export', alice, '--zip', zip]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/1 recording\(s\), 5 file\(s\), \d+ bytes into .*\.zip; 0 mismatch\(es\)\./);
    expect(existsSync(`${zip}.partial`)).toBe(false);
    const entries = await unzip(zip);
    expect([...entries.keys()]).toEqual([
      `${one.folder}/manifest.json`,
      `${one.folder}/chunk-0000.mp4`,
      `${one.folder}/chunk-0000.metadata.json`,
      `${one.folder}/chunk-0001.mp4`,
      `${one.folder}/chunk-0001.metadata.json`,
      'README.txt',
    ]);
    expectExportOf(one.files, one.folder, (name) => entries.get(name)!);
    expect(entries.get('README.txt')!.toString('utf8')).toContain('Hash mismatches:  0');
  });

  it('reports a file whose bytes differ from the manifest, and exits 1', async () => {
    const alice = person();
    const one = await recording([alice]);
    const blob = `${one.folder}/chunk-0000.mp4`;
    const props = await h.container.getBlobClient(blob).getProperties();
    await h.container.getBlockBlobClient(blob).upload('tampered', 8, { metadata: props.metadata });
    const out = path.join(cwd, `export-${randomUUID().slice(0, 8)}`);
    const result = await cli(['participant', 'export', alice, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      `${blob}  8 bytes  MISMATCH SHA-256 ${sha256('tampered')}, the manifest says ${one.files.chunks[0]!.sha256}`,
    );
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toContain('MISMATCH');
  });

  it('reports each file the manifest says is archived but the archive lacks, and exits 1', async () => {
    const alice = person();
    const one = await recording([alice], { chunks: 2 });
    await h.container.deleteBlob(`${one.folder}/chunk-0001.mp4`);
    await h.container.deleteBlob(`${one.folder}/chunk-0000.metadata.json`);
    const out = path.join(cwd, `export-${randomUUID().slice(0, 8)}`);
    const result = await cli(['participant', 'export', alice, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`${one.folder}/chunk-0000.metadata.json  MISSING (the manifest says it is archived)`);
    expect(result.out).toContain(`${one.folder}/chunk-0001.mp4  MISSING (the manifest says it is archived)`);
    expect(result.out).toMatch(
      /1 recording\(s\), 3 file\(s\), \d+ bytes into .*; 0 mismatch\(es\), 2 MISSING file\(s\)\./,
    );
    const readme = readFileSync(path.join(out, 'README.txt'), 'utf8');
    expect(readme).toContain("Missing files:    2 (the archive's manifest says archived; not in the archive)");
    expect(readme).toContain('  MISSING: chunk-0001.mp4 (the manifest says it is archived)');
    const dry = await cli(['participant', 'export', alice, '--dry-run', '--json']);
    expect(dry.code).toBe(1);
    expect(JSON.parse(dry.out)).toMatchObject({
      missing: 2,
      recordings: [{ missing: [`${one.folder}/chunk-0000.metadata.json`, `${one.folder}/chunk-0001.mp4`] }],
    });
  });

  it('lists only with --dry-run; an unknown participant is an empty result; a malformed id exits 2 naming it', async () => {
    const alice = person();
    const one = await recording([alice]);
    const dry = await cli(['participant', 'export', alice, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`${one.folder}/chunk-0000.mp4  3000 bytes`);
    expect(dry.out).toContain('(dry run: nothing written)');

    const unknown = await cli(['participant', 'export', person(), '--dry-run', '--json']);
    expect(unknown.code).toBe(0);
    expect(JSON.parse(unknown.out)).toMatchObject({ recordings: [], files: 0 });

    const malformed = await cli(['participant', 'export', `${alice}\u0007`, '--dry-run']);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(
      /participantId is not a participant id: it contains control or formatting characters/,
    );

    const nowhere = await cli(['participant', 'export', alice]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.err).toMatch(/exactly one of --out DIR or --zip FILE/);

    const taken = path.join(cwd, 'taken');
    await cli(['participant', 'export', alice, '--out', taken]);
    const again = await cli(['participant', 'export', alice, '--out', taken]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/is not empty/);
  });
});

describe('participant erase', () => {
  it('refuses without a terminal and without --yes, and when not confirmed; erases nothing', async () => {
    const alice = person();
    const one = await recording([alice]);
    const args = ['participant', 'erase', alice, '--reason', 'GDPR art. 17 request 1', '--operator', 'alice.ops'];
    const noTty = await cli(args);
    expect(noTty.code).toBe(2);
    expect(noTty.err).toMatch(/needs confirmation: run it on a terminal, or pass --yes/);
    const declined = await cli(args, { answer: 'no' });
    expect(declined.code).toBe(1);
    expect(declined.asked).toEqual([
      "This deletes 1 recording(s), 3 blob version(s), for good. Type 'erase' to confirm: ",
    ]);
    expect(await listBlobs(h.container, one.folder)).toHaveLength(3);
    expect(await auditRecordsOf(alice)).toEqual([]);
  });

  it('erases what only the participant is in, keeps shared recordings, and completes its audit record', async () => {
    const alice = person();
    const bob = person();
    const solo = await recording([alice], { chunks: 2 });
    const shared = await recording([alice, bob]);

    const result = await cli(
      ['participant', 'erase', alice, '--reason', 'GDPR art. 17 request 2', '--operator', 'alice.ops', '--json'],
      { answer: 'erase' },
    );
    expect(result.code).toBe(1); // the shared recording is left
    const record = JSON.parse(result.out);
    expect(record).toMatchObject({
      kind: 'erase',
      status: 'completed',
      participantSha256: sha256(alice),
      operator: 'alice.ops',
      reason: 'GDPR art. 17 request 2',
      allParticipants: false,
      runs: [{ operator: 'alice.ops', startedAt: expect.any(String), endedAt: expect.any(String) }],
    });
    expect(record.auditContainer).toBe(AUDIT_CONTAINER);
    expect(record.auditPrefix).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{8}T\d{6}Z-erase-[0-9a-f]{8}\/$/);
    // Who ran it, as the token says: no token with a connection string (Azurite).
    expect(record.operatorObjectId).toBeNull();
    const byFolder = Object.fromEntries(record.recordings.map((r: any) => [`${r.callId}/${r.recordingKey}`, r]));
    expect(byFolder[solo.folder]).toMatchObject({
      decision: 'erase',
      outcome: 'erased',
      indexMarkersDeleted: 1,
      blobs: [
        { name: `${solo.folder}/chunk-0000.metadata.json`, versions: 1, outcome: 'deleted' },
        { name: `${solo.folder}/chunk-0000.mp4`, versions: 1, outcome: 'deleted' },
        { name: `${solo.folder}/chunk-0001.metadata.json`, versions: 1, outcome: 'deleted' },
        { name: `${solo.folder}/chunk-0001.mp4`, versions: 1, outcome: 'deleted' },
        { name: `${solo.folder}/manifest.json`, versions: 1, outcome: 'deleted' },
      ],
    });
    expect(byFolder[shared.folder]).toMatchObject({
      decision: 'shared-not-erased',
      outcome: 'not-erased',
      otherParticipants: 1,
      detail: 'shared with 1 other participant(s); erased only with --all-participants',
    });
    expect(await listBlobs(h.container, solo.folder)).toEqual([]);
    expect(await listBlobs(h.container, shared.folder)).toHaveLength(3);
    // The index keeps the participant where their data still is, and nowhere else.
    expect(await listBlobs(h.control, `participants/${sha256(alice)}/`)).toEqual([
      `participants/${sha256(alice)}/${shared.folder}`,
    ]);
    expect(await listBlobs(h.control, `erased/${solo.folder}`)).toEqual([`erased/${solo.folder}`]);
    // The stored record is the one printed, and it never holds the id in clear.
    const stored = await auditRecord(record.id);
    expect(stored.recordings).toEqual(record.recordings);
    expect(JSON.stringify(stored)).not.toContain(alice);
  });

  it('keeps a recording whose participant list is not known to be complete, unless --all-participants', async () => {
    const alice = person();
    const bob = person();
    // A second participant whose id cannot be read (a control character): the copier indexes alice alone, and the
    // manifest lists only her.
    const unreadable = await recording([alice, `8:acs:${RESOURCE}_\u0007${randomUUID()}`]);
    expect(unreadable.manifest.participants).toEqual([alice]);
    // Bob's chunk's media was never archived, so the manifest lists alice alone; his metadata file is there.
    const partly = await recording([alice, bob]);
    const manifest = JSON.stringify({ ...partly.manifest, participants: [alice] }, null, 2);
    await h.container
      .getBlockBlobClient(`${partly.folder}/manifest.json`)
      .upload(manifest, Buffer.byteLength(manifest));

    const args = ['participant', 'erase', alice, '--reason', 'request 6', '--operator', 'ops', '--yes', '--json'];
    const kept = await cli(args);
    expect(kept.code).toBe(1);
    const byFolder = Object.fromEntries(
      JSON.parse(kept.out).recordings.map((r: any) => [`${r.callId}/${r.recordingKey}`, r]),
    );
    expect(byFolder[unreadable.folder]).toMatchObject({
      decision: 'shared-not-erased',
      outcome: 'not-erased',
      otherParticipants: 0,
      detail:
        'maybe shared: its participant list is not known to be complete (chunk-0000.metadata.json: participants[1]: ' +
        'the participant id contains control or formatting characters; not indexed); erased only with --all-participants',
    });
    expect(byFolder[partly.folder]).toMatchObject({
      decision: 'shared-not-erased',
      outcome: 'not-erased',
      otherParticipants: 1,
    });
    expect(await listBlobs(h.container, unreadable.folder)).toHaveLength(3);
    expect(await listBlobs(h.container, partly.folder)).toHaveLength(3);

    const all = await cli([...args, '--all-participants']);
    expect(all.code).toBe(0);
    expect(await listBlobs(h.container, unreadable.folder)).toEqual([]);
    expect(await listBlobs(h.container, partly.folder)).toEqual([]);
    // Bob's marker went with the recording, although the manifest never listed him.
    expect(await listBlobs(h.control, `participants/${sha256(bob)}/`)).toEqual([]);
  });

  it('erases a shared recording whole with --all-participants, and everyone’s index markers with it', async () => {
    const alice = person();
    const bob = person();
    const shared = await recording([alice, bob]);
    const result = await cli([
      'participant',
      'erase',
      alice,
      '--reason',
      'GDPR art. 17 request 3',
      '--operator',
      'ops',
      '--yes',
      '--all-participants',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/: completed\. 1 recording\(s\) erased, 0 left\./);
    expect(await listBlobs(h.container, shared.folder)).toEqual([]);
    expect(await listBlobs(h.control, `participants/${sha256(bob)}/`)).toEqual([]);
  });

  it('refuses a held recording, and defers one still being archived until a resume finds it complete', async () => {
    const alice = person();
    const held = await recording([alice]);
    // A hold made in Azure (Azurite cannot hold): the hold record that `hold set` writes.
    const holdRecord = JSON.stringify({
      callId: held.files.callId,
      recordingKey: held.manifest.recordingKey,
      tags: { 'CASE-123': { setAt: '2026-05-12T10:00:00.000Z', operator: 'legal', auditId: 'x' } },
    });
    await h.control.getBlockBlobClient(`holds/${held.folder}.json`).upload(holdRecord, Buffer.byteLength(holdRecord));
    // Ingested but not copied yet: pending; its first chunk's metadata indexed, as the copier does per chunk.
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 3000, participants: [alice] });
    const ingested = await h.ingest(h.emulator.recordingFileStatusEvent(files));
    if (ingested.outcome !== 'accepted') throw new Error('rejected');
    const pendingRef = { callId: files.callId, recordingKey: ingested.manifest.recordingKey };
    await indexParticipants(h.control, pendingRef, [alice], new CapturedLog());

    const first = await cli([
      'participant',
      'erase',
      alice,
      '--reason',
      'request 4',
      '--operator',
      'ops',
      '--yes',
      '--json',
    ]);
    expect(first.code).toBe(1);
    const record = JSON.parse(first.out);
    expect(record.status).toBe('incomplete');
    expect(record.recordings.map((r: any) => [r.decision, r.outcome]).sort()).toEqual([
      ['held-not-erased', 'not-erased'],
      ['pending-deferred', 'not-erased'],
    ]);
    expect(record.recordings.find((r: any) => r.decision === 'held-not-erased').detail).toBe(
      'legal hold CASE-123: clear the hold first (hold clear)',
    );

    await h.drain();
    expect((await readManifest(h.container, pendingRef.callId, pendingRef.recordingKey)).status).toBe('complete');
    const resumed = await cli(['participant', 'erase', '--resume', record.id, '--operator', 'ops2', '--yes', '--json']);
    expect(resumed.code).toBe(1); // still held
    const after = JSON.parse(resumed.out);
    expect(after.runs.map((r: any) => r.operator)).toEqual(['ops', 'ops2']);
    const pendingNow = after.recordings.find((r: any) => r.callId === pendingRef.callId);
    expect(pendingNow).toMatchObject({ decision: 'erase', outcome: 'erased' });
    expect(await listBlobs(h.container, `${pendingRef.callId}/`)).toEqual([]);
    expect(await listBlobs(h.container, held.folder)).toHaveLength(3);
  });

  it('resumes an interrupted erasure from its open audit record when run again', async () => {
    const alice = person();
    const one = await recording([alice], { chunks: 3 });
    const stores = { archive: h.container, control: h.control, audit };
    const plan = await planErasure(stores, sha256(alice), { allParticipants: false });
    const writer = await startErasure(stores, {
      hash: sha256(alice),
      operator: 'ops',
      reason: 'request 5',
      allParticipants: false,
      plan,
    });
    const crash = new AbortController();
    await expect(
      runErasure(stores, writer, plan, { operator: 'ops', signal: crash.signal, onBlobDeleted: () => crash.abort() }),
    ).rejects.toThrow(/erasure interrupted; audit record .* stays open: resume it with participant erase --resume/);
    expect((await auditRecord(writer.record.id)).status).toBe('in-progress');
    const left = await listBlobs(h.container, one.folder);
    expect(left.length).toBeGreaterThan(0);
    expect(left).toContain(`${one.folder}/manifest.json`);
    expect(await listBlobs(h.control, `participants/${sha256(alice)}/`)).toHaveLength(1);

    const again = await cli(['participant', 'erase', alice, '--reason', 'ignored', '--operator', 'ops2', '--yes']);
    expect(again.err).toContain(`An erasure of this participant is still open (${writer.record.id}); resuming it`);
    expect(again.code).toBe(0);
    expect(await listBlobs(h.container, one.folder)).toEqual([]);
    const record = await auditRecord(writer.record.id);
    expect(record).toMatchObject({ status: 'completed', reason: 'request 5', completedAt: expect.any(String) });
    expect(record.runs).toHaveLength(2);
    // Every blob is accounted for, those the interrupted run deleted included.
    expect(record.recordings[0].blobs).toHaveLength(7);
    expect(new Set(record.recordings[0].blobs.map((b: any) => b.outcome))).toEqual(new Set(['deleted']));
    expect(record.recordings[0].blobs.map((b: any) => b.detail)).toContain(
      'deleted by an earlier run, before it was interrupted',
    );
    // A completed erasure is not resumed again.
    const replanned = await replanErasure(stores, writer.record.id);
    expect(replanned.plan).toEqual(record.recordings);
    expect(replanned.plan.map((r) => [`${r.callId}/${r.recordingKey}`, r.outcome])).toEqual([[one.folder, 'erased']]);
    // Asked to, it says so on stderr: with --json, stdout holds the record alone.
    const done = await cli(['participant', 'erase', '--resume', writer.record.id, '--operator', 'ops3', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ id: writer.record.id, status: 'completed' });
    expect(done.err).toContain(`Erasure ${writer.record.id} is already complete; nothing to resume.`);
  });

  it('writes the erased/ marker before the first delete: a redelivered event never brings an interrupted one back', async () => {
    const alice = person();
    const one = await recording([alice], { chunks: 2 });
    const stores = { archive: h.container, control: h.control, audit };
    const plan = await planErasure(stores, sha256(alice), { allParticipants: false });
    const writer = await startErasure(stores, {
      hash: sha256(alice),
      operator: 'ops',
      reason: 'request 7',
      allParticipants: false,
      plan,
    });
    const crash = new AbortController();
    await expect(
      runErasure(stores, writer, plan, { operator: 'ops', signal: crash.signal, onBlobDeleted: () => crash.abort() }),
    ).rejects.toThrow(/erasure interrupted/);
    expect(await listBlobs(h.control, `erased/${one.folder}`)).toEqual([`erased/${one.folder}`]);
    const redelivered = await h.ingest(h.emulator.recordingFileStatusEvent(one.files));
    expect(redelivered).toMatchObject({ outcome: 'rejected', failureCode: 'Erased' });
    expect(await h.drain()).toEqual([]);
    expect((await listBlobs(h.container, one.folder)).length).toBeLessThan(5);

    // A recording already gone from the archive is marked too: its late event is ignored as well.
    const gone = await recording([alice]);
    for (const name of await listBlobs(h.container, gone.folder)) await h.container.deleteBlob(name);
    const resumed = await cli(['participant', 'erase', alice, '--reason', 'r', '--operator', 'ops', '--yes', '--json']);
    expect(resumed.code).toBe(0);
    expect(
      JSON.parse(resumed.out).recordings.map((r: any) => [`${r.callId}/${r.recordingKey}`, r.decision, r.outcome]),
    ).toEqual(
      [
        [one.folder, 'erase', 'erased'],
        [gone.folder, 'already-gone', 'erased'],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    expect(await listBlobs(h.control, `erased/${gone.folder}`)).toEqual([`erased/${gone.folder}`]);
    expect(await h.ingest(h.emulator.recordingFileStatusEvent(gone.files))).toMatchObject({
      outcome: 'rejected',
      failureCode: 'Erased',
    });
    expect(await listBlobs(h.container, gone.folder)).toEqual([]);
  });

  it('refuses to read a container that does not exist, naming the setting, and creates none', async () => {
    const alice = person();
    const one = await recording([alice]);
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    const exported = await cli(['participant', 'export', alice, '--dry-run'], { env: { CONTROL_CONTAINER: missing } });
    expect(exported.code).toBe(2);
    expect(exported.err).toMatch(
      new RegExp(`^participant export failed: CONTROL_CONTAINER: container "${missing}" does not exist`),
    );
    expect(exported.out).toBe('');
    const erased = await cli(['participant', 'erase', alice, '--reason', 'r', '--operator', 'o', '--yes'], {
      env: { ARCHIVE_CONTAINER: missing },
    });
    expect(erased.code).toBe(2);
    expect(erased.err).toMatch(/ARCHIVE_CONTAINER: container "missing-[0-9a-f]{8}" does not exist/);
    const rebuilt = await cli(['index', 'rebuild'], { env: { ARCHIVE_CONTAINER: missing } });
    expect(rebuilt.code).toBe(2);
    expect(
      await BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(missing).exists(),
    ).toBe(false);
    // Nothing was erased or written: the recording, its marker, no audit record.
    expect(await listBlobs(h.container, one.folder)).toHaveLength(3);
    expect(await listBlobs(h.control, `participants/${sha256(alice)}/`)).toHaveLength(1);
    expect(await auditRecordsOf(alice)).toEqual([]);
  });

  it('exits 2 for bad input: malformed id, missing reason or operator, an id and --resume together', async () => {
    const alice = person();
    expect((await cli(['participant', 'erase', ' ', '--reason', 'r', '--operator', 'o', '--yes'])).code).toBe(2);
    const noReason = await cli(['participant', 'erase', alice, '--operator', 'o', '--yes']);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/needs --reason/);
    expect((await cli(['participant', 'erase', alice, '--reason', 'r', '--yes'])).err).toMatch(/needs --operator/);
    expect(
      (await cli(['participant', 'erase', alice, '--resume', '20260101T000000Z-erase-00000000', '--operator', 'o']))
        .code,
    ).toBe(2);
    const unknownAudit = await cli([
      'participant',
      'erase',
      '--resume',
      '20260101T000000Z-erase-0000000f',
      '--operator',
      'o',
    ]);
    expect(unknownAudit.code).toBe(1);
    expect(unknownAudit.err).toMatch(/no audit record 20260101T000000Z-erase-0000000f/);
    // An unknown participant: nothing erased, so not a success: exit 1, said plainly, recorded as nothing-found.
    const nobody = person();
    const unknown = await cli(['participant', 'erase', nobody, '--reason', 'r', '--operator', 'o', '--json']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no recording found for this exact id, so nothing was erased/);
    const record = JSON.parse(unknown.out);
    expect(record).toMatchObject({ status: 'nothing-found', recordings: [], completedAt: null });
    expect((await auditRecord(record.id)).status).toBe('nothing-found');
    // The intent, the run, the outcome: each a state of its own.
    expect(await auditRecordsOf(nobody)).toHaveLength(3);
  });
});

describe('fail closed: canonical ids, an audit trail nobody rewrites (issue 21)', () => {
  // Microsoft's raw id examples ("Understand identifier types") with a fresh user, in the case ACS writes (lower) and
  // in the case people paste (upper: Entra and the portal show GUIDs either way).
  const lowerAndUpper = () => {
    const lower = person();
    return { lower, upper: lower.toUpperCase() };
  };

  it('erases a recording whatever the case of the GUIDs typed: the index, the lookup and the audit agree', async () => {
    const { lower, upper } = lowerAndUpper();
    const one = await recording([lower]);
    const result = await cli([
      'participant',
      'erase',
      upper,
      '--reason',
      'art. 17',
      '--operator',
      'o',
      '--yes',
      '--json',
    ]);
    expect(result.err).not.toMatch(/no recording found/);
    expect(result.code).toBe(0);
    const record = JSON.parse(result.out);
    expect(record).toMatchObject({ status: 'completed', participantSha256: sha256(lower) });
    expect(record.recordings.map((r: any) => [`${r.callId}/${r.recordingKey}`, r.outcome])).toEqual([
      [one.folder, 'erased'],
    ]);
    expect(await listBlobs(h.container, one.folder)).toEqual([]);
    expect(JSON.stringify(record)).not.toContain(lower);
    expect(JSON.stringify(record)).not.toContain(upper);

    // The other way round: the metadata in capitals, the id typed in lower case (and pasted with spaces).
    const other = lowerAndUpper();
    const two = await recording([other.upper]);
    const exported = await cli(['participant', 'export', `  ${other.lower} `, '--dry-run', '--json']);
    expect(JSON.parse(exported.out).recordings.map((r: any) => `${r.callId}/${r.recordingKey}`)).toEqual([two.folder]);
    const erased = await cli(['participant', 'erase', other.lower, '--reason', 'r', '--operator', 'o', '--yes']);
    expect(erased.code).toBe(0);
    expect(await listBlobs(h.container, two.folder)).toEqual([]);
  });

  it('phone numbers are one id however written: E.164 with separators finds the archived number', async () => {
    const digits = `1425${String(Date.now()).slice(-7)}`;
    const one = await recording([`4:+${digits}`]);
    const typed = `4:+${digits.slice(0, 1)} ${digits.slice(1, 4)}-${digits.slice(4, 7)}-${digits.slice(7)}`;
    const dry = await cli(['participant', 'export', typed, '--dry-run', '--json']);
    expect(JSON.parse(dry.out).recordings.map((r: any) => `${r.callId}/${r.recordingKey}`)).toEqual([one.folder]);
  });

  it('index rebuild moves markers an earlier version wrote under the id as written to the canonical hash', async () => {
    const { lower, upper } = lowerAndUpper();
    // An archive indexed before ids were canonical: its metadata in capitals, its marker under sha256(as written).
    const one = await recording([upper]);
    const canonical = `participants/${sha256(lower)}/${one.folder}`;
    const legacy = `participants/${sha256(upper)}/${one.folder}`;
    await h.control.deleteBlob(canonical);
    await h.control.getBlockBlobClient(legacy).upload('', 0);
    // Until the rebuild, a lookup with the id typed exactly as it was written still finds it (the legacy hash); in
    // any other form it does not: that is what the rebuild is for.
    const exact = await cli(['participant', 'export', upper, '--dry-run', '--json']);
    expect(JSON.parse(exact.out).recordings).toHaveLength(1);
    const otherForm = await cli(['participant', 'export', lower, '--dry-run', '--json']);
    expect(JSON.parse(otherForm.out).recordings).toHaveLength(0);

    const rebuilt = await cli(['index', 'rebuild', '--json']);
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.out).legacyMarkersRemoved).toBeGreaterThanOrEqual(1);
    expect(await listBlobs(h.control, `participants/${sha256(lower)}/`)).toEqual([canonical]);
    expect(await listBlobs(h.control, `participants/${sha256(upper)}/`)).toEqual([]);
    const after = await cli(['participant', 'export', lower, '--dry-run', '--json']);
    expect(JSON.parse(after.out).recordings).toHaveLength(1);
    // And an erasure removes everyone's markers, whichever hash they were under.
    const erased = await cli(['participant', 'erase', upper, '--reason', 'r', '--operator', 'o', '--yes']);
    expect(erased.code).toBe(0);
    expect(await listBlobs(h.control, `participants/${sha256(lower)}/`)).toEqual([]);
  });

  it('writes audit records only to the audit container, create-only, each state a new blob; never to the control container', async () => {
    const alice = person();
    await recording([alice]);
    const controlAuditBefore = await listBlobs(h.control, 'audit/');
    const result = await cli(['participant', 'erase', alice, '--reason', 'r', '--operator', 'o', '--yes', '--json']);
    expect(result.code).toBe(0);
    const { id } = JSON.parse(result.out);
    expect(await listBlobs(h.control, 'audit/')).toEqual(controlAuditBefore);
    const states = await auditStates(id);
    // The intent, the start of the run, each recording, the end: never fewer than three, numbered in order.
    expect(states.length).toBeGreaterThanOrEqual(3);
    expect(states.map((n) => n.slice(n.lastIndexOf('/') + 1))).toEqual(
      states.map((_n, i) => `${String(i + 1).padStart(6, '0')}.json`),
    );
    const first = JSON.parse((await blobBytes(audit, states[0]!)).toString('utf8'));
    expect(first).toMatchObject({ id, status: 'in-progress', operator: 'o', operatorObjectId: null });
    // An audit container that does not exist is refused, naming its setting; nothing is erased or created.
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    const bob = person();
    const kept = await recording([bob]);
    const refused = await cli(['participant', 'erase', bob, '--reason', 'r', '--operator', 'o', '--yes'], {
      env: { AUDIT_CONTAINER: missing },
    });
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(new RegExp(`AUDIT_CONTAINER: container "${missing}" does not exist`));
    expect(await listBlobs(h.container, kept.folder)).toHaveLength(3);
    expect(
      await BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(missing).exists(),
    ).toBe(false);
    // The audit container may never be the control or the archive container.
    const same = await cli(['participant', 'erase', bob, '--reason', 'r', '--operator', 'o', '--yes'], {
      env: { AUDIT_CONTAINER: h.config.controlContainer },
    });
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/AUDIT_CONTAINER.*also CONTROL_CONTAINER/);
  });

  it('resumes an erasure an earlier version began in the control container, leaving that record as it was', async () => {
    const alice = person();
    const one = await recording([alice]);
    const stores = { archive: h.container, control: h.control, audit };
    const plan = await planErasure(stores, sha256(alice), { allParticipants: false });
    // What an earlier version wrote: one blob in the control container, `audit/…/{id}.json`, in progress.
    const id = `20250101T000000Z-erase-${randomUUID().slice(0, 8)}`;
    const old = {
      schemaVersion: 1,
      id,
      kind: 'erase',
      status: 'in-progress',
      startedAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      completedAt: null,
      participantSha256: sha256(alice),
      operator: 'before-upgrade',
      reason: 'request 9',
      allParticipants: false,
      runs: [],
      recordings: plan,
    };
    const body = JSON.stringify(old);
    await h.control.getBlockBlobClient(legacyAuditBlobName(id)).upload(body, Buffer.byteLength(body), {
      metadata: { kind: 'erase', status: 'in-progress', participant: sha256(alice) },
    });
    const etag = (await h.control.getBlobClient(legacyAuditBlobName(id)).getProperties()).etag;
    // Running erase again for the participant finds it open and resumes it.
    const again = await cli([
      'participant',
      'erase',
      alice,
      '--reason',
      'new',
      '--operator',
      'after',
      '--yes',
      '--json',
    ]);
    expect(again.err).toContain(`An erasure of this participant is still open (${id}); resuming it`);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ id, status: 'completed', reason: 'request 9' });
    expect(await listBlobs(h.container, one.folder)).toEqual([]);
    expect((await h.control.getBlobClient(legacyAuditBlobName(id)).getProperties()).etag).toBe(etag);
    expect((await auditRecord(id)).runs.map((r: any) => r.operator)).toEqual(['after']);
  });

  it("reads the operator's Entra object id from the oid claim of the storage token; none with a connection string", async () => {
    const jwt = (claims: object) =>
      ['{"alg":"RS256"}', JSON.stringify(claims), 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.');
    expect(objectIdFromToken(jwt({ oid: '72F988BF-86F1-41AF-91AB-2D7CD011DB47', upn: 'a@b' }))).toBe(
      '72f988bf-86f1-41af-91ab-2d7cd011db47',
    );
    expect(objectIdFromToken(jwt({ sub: 'x' }))).toBeNull();
    expect(objectIdFromToken(jwt({ oid: 'not-a-guid' }))).toBeNull();
    expect(objectIdFromToken('garbage')).toBeNull();
    expect(await operatorObjectIdFor(h.config)).toBeNull();
  });
});

describe('hold and index rebuild', () => {
  it('says hold is unsupported on Azurite, exits 2, and writes nothing', async () => {
    const one = await recording([person()]);
    const result = await cli(['hold', 'set', one.files.callId, '--tag', 'CASE-123']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/does not have version-level immutability.*nothing was changed/);
    expect(await listBlobs(h.control, `holds/${one.files.callId}/`)).toEqual([]);
    expect((await listBlobs(audit, '')).filter((n) => n.includes('-hold-'))).toEqual([]);
    expect((await cli(['hold', 'set', one.files.callId, '--tag', 'bad tag!'])).code).toBe(2);
    expect((await cli(['hold', 'lift', one.files.callId, '--tag', 'CASE-1'])).code).toBe(2);
  });

  it('rebuilds the index from manifests, and from metadata files where a manifest lists nobody', async () => {
    const alice = person();
    const bob = person();
    const a = await recording([alice, bob]);
    const b = await recording([bob]);
    // An archive from before the manifest kept participants: rewrite b's manifest without them.
    const manifest = { ...b.manifest, participants: [] };
    const body = JSON.stringify(manifest, null, 2);
    await h.container.getBlockBlobClient(`${b.folder}/manifest.json`).upload(body, Buffer.byteLength(body));
    // This test's markers only: other tests' recordings keep theirs.
    for (const id of [alice, bob]) {
      for (const name of await listBlobs(h.control, `participants/${sha256(id)}/`)) await h.control.deleteBlob(name);
    }

    const result = await cli(['index', 'rebuild', '--json']);
    const report = JSON.parse(result.out);
    expect(report.failed).toEqual([]);
    expect(report.withoutParticipants).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.fromMetadata).toBeGreaterThanOrEqual(1);
    expect(await listBlobs(h.control, `participants/${sha256(alice)}/`)).toEqual([
      `participants/${sha256(alice)}/${a.folder}`,
    ]);
    expect(await listBlobs(h.control, `participants/${sha256(bob)}/`)).toEqual(
      [`participants/${sha256(bob)}/${a.folder}`, `participants/${sha256(bob)}/${b.folder}`].sort(),
    );
    const again = await cli(['index', 'rebuild']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/ 0 marker\(s\) written, \d+ already there/);
  });

  it('shows every verb with an example in the help', async () => {
    const help = await cli(['--help']);
    for (const verb of ['participant export', 'participant erase', 'hold set|clear', 'index rebuild']) {
      expect(help.out).toContain(verb);
    }
    expect(help.out.match(/ e\.g\. /g)?.length).toBeGreaterThanOrEqual(4);
    const before = readdirSync(cwd).sort();
    const own = await cli(['participant', '--help']);
    expect(own.code).toBe(0);
    expect(own.out).toContain('participant export <participantId>');
    // Help writes nothing.
    expect(readdirSync(cwd).sort()).toEqual(before);
  });
});

describe('one entry path for every command', () => {
  it('takes options anywhere, refuses those a command does not take, and prints failures one way', async () => {
    const alice = person();
    const one = await recording([alice]);
    const first = await cli(['--json', 'participant', 'export', alice, '--dry-run']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out).recordings.map((r: any) => `${r.callId}/${r.recordingKey}`)).toEqual([one.folder]);

    const resume = await cli([
      'participant',
      'erase',
      '--resume',
      '20260101T000000Z-erase-0000000f',
      '--all-participants',
      '--operator',
      'o',
    ]);
    expect(resume.code).toBe(2);
    expect(resume.err).toMatch(/--reason and --all-participants do not apply/);
    for (const args of [
      ['status', '--yes'],
      ['participant', 'export', alice, '--dry-run', '--tag', 'CASE-1'],
      ['index', 'rebuild', '--all'],
      ['hold', 'set', one.files.callId, '--tag', 'CASE-1', '--yes'],
    ]) {
      const refused = await cli(args);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(
        /^--(yes|tag|all) does not apply to (status|participant export|index rebuild|hold set)\n/,
      );
    }
    expect(await listBlobs(h.container, one.folder)).toHaveLength(3);

    // A failure's text goes through the same filter for every command: no escape sequence reaches the terminal.
    const hostile = await cli(['participant', 'erase', '--resume', '\u001b[2J\rforged', '--operator', 'o']);
    expect(hostile.code).toBe(2);
    expect(hostile.err).toMatch(/^participant erase failed: '\?\[2J\?forged' is not an audit record id/);
    expect(printable(hostile.err)).toBe(true);
  });
});
