import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../cli/main';
import type { PromptingIo } from '../../../cli/commands/commandContext';
import { indexParticipants } from '../../../shared/archive/participantIndex';
import { BlobServiceClient } from '@azure/storage-blob';
import { archiveHarness, azuriteConnectionString, listBlobs, type ArchiveHarness } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { CapturedLog } from '../../helpers/logs';
import { archiveAndIndex } from '../../helpers/participantArchive';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * GET /api/participants/{participantId}/recordings through the local host (the compiled app, as Azure loads it),
 * and the whole participant story of issue 12 against the ACS emulator and Azurite: three calls with overlapping
 * participants archived, one participant exported byte for byte, another erased, the index rebuilt from manifests,
 * the API's pages.
 */

const root = REPO_ROOT;
const KEY = 'participants-function-key-for-tests';
const RESOURCE = '8540c0de-899f-5cce-acb5-3ec493af3800'; // the resource id of Microsoft's raw id example
const person = () => `8:acs:${RESOURCE}_${randomUUID()}`;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let h: ArchiveHarness;
let host: HostProcess;
let cwd: string;
beforeAll(async () => {
  h = await archiveHarness();
  // The deployment creates the audit container (immutable in Azure); the CLI never does.
  await BlobServiceClient.fromConnectionString(azuriteConnectionString())
    .getContainerClient(h.config.auditContainer)
    .createIfNotExists();
  cwd = mkdtempSync(path.join(os.tmpdir(), 'cra-participants-api-'));
  host = await startHostProcess(root, {
    ...h.env,
    // The host's own queue: its archiveChunk must not take the harness's messages.
    ARCHIVE_QUEUE: `host-${randomUUID().slice(0, 8)}`,
    LOCAL_HOST_KEYS: JSON.stringify({ functions: { participants: KEY } }),
  });
});
afterAll(async () => {
  await host?.stop();
  await h?.stop();
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: PromptingIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: h.env, cwd };
  const code = await runCli(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function get(participantId: string, query: Record<string, string> = {}, key: string | null = KEY) {
  const params = new URLSearchParams(query);
  const url = `${host.url}/api/participants/${encodeURIComponent(participantId)}/recordings?${params.toString()}`;
  return fetch(url, { headers: key ? { 'x-functions-key': key } : {} });
}

async function allPages(participantId: string, pageSize: number): Promise<{ pages: any[]; recordings: any[] }> {
  const pages: any[] = [];
  let token: string | null = null;
  do {
    const response = await get(participantId, {
      pageSize: String(pageSize),
      ...(token && { continuationToken: token }),
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as any;
    pages.push(page);
    token = page.continuationToken;
  } while (token && pages.length < 20);
  return { pages, recordings: pages.flatMap((p) => p.recordings) };
}

describe('participants: the issue 12 story', () => {
  it('archives three calls, exports one participant, erases another, rebuilds the index, and pages through the API', async () => {
    const alice = person();
    const bob = person();
    const carol = person();
    const call1 = await archiveAndIndex(
      h,
      await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: 40_000, participants: [alice, bob] }),
    );
    const files2 = await h.emulator.createRecordingFiles({
      chunks: 1,
      chunkSize: 30_000,
      participants: [alice, carol],
    });
    const call2 = await archiveAndIndex(h, files2);
    const call3 = await archiveAndIndex(
      h,
      await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 20_000, participants: [carol] }),
    );
    const folder = (m: { callId: string; recordingKey: string }) => `${m.callId}/${m.recordingKey}`;

    // Export alice: calls 1 and 2, byte for byte, every hash checked.
    const out = path.join(cwd, 'alice');
    const exported = await cli('participant', 'export', alice, '--out', out, '--json');
    expect(exported.code).toBe(0);
    const report = JSON.parse(exported.out);
    expect(report.recordings.map(folder).sort()).toEqual([folder(call1), folder(call2)].sort());
    expect(report.mismatches).toBe(0);
    expect(report.files).toBe(8); // two manifests, three chunks, three metadata files
    for (const file of report.recordings.flatMap((r: any) => r.files)) {
      expect(sha256(readFileSync(path.join(out, ...file.path.split('/'))))).toBe(file.sha256);
      expect(file.check).toBe(file.path.endsWith('manifest.json') ? 'no-reference' : 'ok');
    }
    expect(sha256(readFileSync(path.join(out, ...`${folder(call2)}/chunk-0000.mp4`.split('/'))))).toBe(
      files2.chunks[0]!.sha256,
    );
    expect(readFileSync(path.join(out, ...`${folder(call2)}/chunk-0000.metadata.json`.split('/')))).toEqual(
      files2.chunks[0]!.metadata,
    );

    // Erase carol: call 3 (hers alone) goes; call 2 is shared with alice: "shared, not erased".
    const erased = await cli(
      'participant',
      'erase',
      carol,
      '--reason',
      'GDPR art. 17, ticket 77',
      '--operator',
      'dpo',
      '--yes',
      '--json',
    );
    expect(erased.code).toBe(1);
    const record = JSON.parse(erased.out);
    expect(record).toMatchObject({ status: 'completed', operator: 'dpo', reason: 'GDPR art. 17, ticket 77' });
    expect(record.participantSha256).toBe(sha256(carol));
    expect(JSON.stringify(record)).not.toContain(carol);
    const outcome = Object.fromEntries(record.recordings.map((r: any) => [folder(r), [r.decision, r.outcome]]));
    expect(outcome).toEqual({
      [folder(call2)]: ['shared-not-erased', 'not-erased'],
      [folder(call3)]: ['erase', 'erased'],
    });
    expect(await listBlobs(h.container, folder(call3))).toEqual([]);
    expect(await listBlobs(h.container, folder(call2))).toHaveLength(3);

    // Rebuild the index from the manifests alone.
    for (const name of await listBlobs(h.control, 'participants/')) await h.control.deleteBlob(name);
    const rebuilt = await cli('index', 'rebuild', '--json');
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.out)).toMatchObject({ recordings: 2, markersWritten: 4, failed: [] });

    // The API: alice in two recordings, one per page; carol in one; the manifest's fields in each.
    const { pages, recordings } = await allPages(alice, 1);
    expect(pages[0].recordings).toHaveLength(1);
    expect(pages[0].continuationToken).toEqual(expect.any(String));
    expect(recordings.map(folder).sort()).toEqual([folder(call1), folder(call2)].sort());
    const one = recordings.find((r) => r.callId === call1.callId);
    expect(one).toMatchObject({
      schemaVersion: 1,
      recordingKey: call1.recordingKey,
      status: 'complete',
      // Who else was in the call is no business of a caller asking about alice: a count, never the ids.
      participantCount: 2,
      chunks: [
        { index: 0, status: 'archived', sha256: call1.chunks[0]!.sha256 },
        { index: 1, status: 'archived', sha256: call1.chunks[1]!.sha256 },
      ],
    });
    expect(one.chunks[0]).not.toHaveProperty('contentLocation');
    expect(one).not.toHaveProperty('participants');
    expect((await allPages(carol, 20)).recordings.map(folder)).toEqual([folder(call2)]);
    // Participant ids are personal data: the app never logs them.
    expect(host.lines.join('\n')).not.toMatch(new RegExp(`${RESOURCE}_`));
  });
});

describe('GET /api/participants/{participantId}/recordings', () => {
  it('answers an unknown participant with an empty list, never an error', async () => {
    const response = await get(person());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ recordings: [], continuationToken: null });
  });

  it('answers 400 naming the parameter for a malformed id, page size or token', async () => {
    for (const id of ['8:acs:line\nbreak', 'x'.repeat(1025), ' 8:acs:padded']) {
      const response = await get(id);
      expect(response.status).toBe(400);
      const body = (await response.json()) as any;
      expect(body).toEqual({
        error: {
          code: 'InvalidParticipantId',
          message: expect.stringMatching(/^participantId is not a participant id: it /),
        },
      });
      expect(JSON.stringify(body)).not.toContain('padded');
    }
    const size = await get(person(), { pageSize: '0' });
    expect(size.status).toBe(400);
    expect(await size.json()).toEqual({
      error: { code: 'BadInput', message: 'pageSize must be a whole number from 1 to 100' },
    });
    const token = await get(person(), { continuationToken: 'not a token' });
    expect(token.status).toBe(400);
    expect(((await token.json()) as any).error.message).toMatch(/continuationToken/);
  });

  it('decodes the percent-encoded id exactly once', async () => {
    // A phone number's raw id (Microsoft's "Understand identifier types": `4:+1…`) has ':' and '+';
    // an id with a literal '%41' in it must not be read as 'A'.
    const phone = `4:+1${String(Date.now()).slice(-10)}`;
    const literal = `8:acs:${RESOURCE}_%41-${randomUUID()}`;
    const ref = { callId: `call-${randomUUID()}`, recordingKey: '20260512T101500Z-1a2b3c4d' };
    await indexParticipants(h.control, ref, [phone, literal], new CapturedLog());
    // The marker has no manifest behind it (as after an erasure elsewhere): found, and skipped, not an error.
    expect(await (await get(phone)).json()).toEqual({ recordings: [], continuationToken: null });
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000, participants: [phone, literal] });
    const manifest = await archiveAndIndex(h, files);
    const byPhone = (await (await get(phone)).json()) as any;
    expect(byPhone.recordings.map((r: any) => r.callId)).toEqual([manifest.callId]);
    const byLiteral = (await (await get(literal)).json()) as any;
    expect(byLiteral.recordings.map((r: any) => r.callId)).toEqual([manifest.callId]);
    const decodedTwice = literal.replace('%41', 'A');
    expect(await (await get(decodedTwice)).json()).toEqual({ recordings: [], continuationToken: null });
  });

  it("takes the id in the query too, the form for any id; refuses a raw '+'; an encoded '/' in a path is 404", async () => {
    const phone = `4:+1${String(Date.now()).slice(-10)}`;
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000, participants: [phone] });
    const manifest = await archiveAndIndex(h, files);
    const byQuery = (query: string) =>
      fetch(`${host.url}/api/participants/recordings?${query}`, { headers: { 'x-functions-key': KEY } });
    const found = await byQuery(`participantId=${encodeURIComponent(phone)}&pageSize=5`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as any).recordings.map((r: any) => r.callId)).toEqual([manifest.callId]);
    const raw = await byQuery(`participantId=${phone}`);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({
      error: { code: 'BadInput', message: expect.stringMatching(/^participantId holds a '\+'/) },
    });
    expect(JSON.stringify(await (await byQuery('')).json())).toContain('participantId is required');
    const both = await fetch(
      `${host.url}/api/participants/${encodeURIComponent(phone)}/recordings?participantId=${encodeURIComponent(phone)}`,
      { headers: { 'x-functions-key': KEY } },
    );
    expect(both.status).toBe(400);
    const slashed = `8:acs:${RESOURCE}_a/b`;
    expect((await byQuery(`participantId=${encodeURIComponent(slashed)}`)).status).toBe(200);
    expect((await get(slashed)).status).toBe(404);
  });

  it('needs the function key, and only answers GET', async () => {
    expect((await get(person(), {}, null)).status).toBe(401);
    const post = await fetch(`${host.url}/api/participants/${encodeURIComponent(person())}/recordings`, {
      method: 'POST',
      headers: { 'x-functions-key': KEY },
    });
    expect(post.status).toBe(405);
  });
});
