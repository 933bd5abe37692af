import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { retry } from '../../../cli/commands/retry';
import { status } from '../../../cli/commands/status';
import type { CliIo } from '../../../cli/io';
import { runCli } from '../../../cli/main';
import { createArchiveServices, type ArchiveServices } from '../../../shared/archive/archiveServices';
import { archiveHarness, BLOCK, listBlobs, readManifest, type ArchiveHarness } from '../../helpers/archiveHarness';

/** The operator CLI against Azurite (blobs and queues) and the emulator; `drain` plays the function app's copier. */

let h: ArchiveHarness;
let cwd: string;
beforeAll(async () => {
  h = await archiveHarness();
  cwd = mkdtempSync(path.join(os.tmpdir(), 'cra-cli-'));
});
afterAll(async () => h.stop());

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: h.env, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function capture(): { io: CliIo; out: string[] } {
  const out: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => out.push(l), isTTY: false, env: h.env, cwd }, out };
}

async function keyOf(callId: string): Promise<string> {
  return (await listBlobs(h.container, `${callId}/`)).find((n) => n.endsWith('manifest.json'))!.split('/')[1]!;
}

describe('call-recording-archiver CLI', () => {
  it('archives a saved event through the queue, waits for the copier, and a second run queues nothing', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    writeFileSync(path.join(cwd, 'event.json'), JSON.stringify([h.emulator.recordingFileStatusEvent(files)]));
    let waiting = true;
    const copier = (async () => {
      while (waiting) {
        await h.drain();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const first = await cli('archive', 'event.json', '--wait', '--timeout', '60', '--json');
    waiting = false;
    await copier;
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out).results).toEqual([
      expect.objectContaining({ outcome: 'complete', detail: expect.stringMatching(/: 2 chunk copies queued$/) }),
    ]);
    h.emulator.clearRequests();
    const second = await cli('archive', 'event.json');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^COMPLETE .*: 0 chunk copies queued$/);
    expect(await h.drain()).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
  });

  it('verifies archived blobs and exits 1 naming a blob whose bytes changed', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    const good = await cli('verify', files.callId, '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({ recordings: 1, blobs: 2, mismatched: 0 });

    const chunkBlob = (await listBlobs(h.container, `${files.callId}/`)).find((n) => n.endsWith('.mp4'))!;
    const props = await h.container.getBlobClient(chunkBlob).getProperties();
    await h.container.getBlockBlobClient(chunkBlob).upload('tampered', 8, { metadata: props.metadata });
    const bad = await cli('verify', files.callId);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`MISMATCH ${chunkBlob}: .*sha256`));
  });

  it('reports failed recordings and poison chunks with status, and exits 1 when something needs attention', async () => {
    const expired = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    h.emulator.expire(expired.chunks[0]!.documentId);
    await h.archive(h.emulator.recordingFileStatusEvent(expired));
    const failing = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    h.emulator.setFault(failing.chunks[0]!.documentId, { kind: 'status', status: 503, times: 1000 });
    await h.archive(h.emulator.recordingFileStatusEvent(failing));

    const result = await cli('status', '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out);
    expect(report.queue).toMatchObject({ poison: 1, poisonChunks: [{ callId: failing.callId, index: 0 }] });
    expect(report.recordings.find((r: any) => r.callId === expired.callId)).toMatchObject({
      status: 'failed',
      problems: [expect.stringMatching(/^chunk 0 expired \(SourceExpired\): /)],
    });
    expect(report.recordings.find((r: any) => r.callId === failing.callId)).toMatchObject({
      status: 'pending',
      chunks: { poison: [0] },
    });
    const text = await cli('status');
    expect(text.out).toMatch(/1 poison message\(s\) \(run retry for their calls\)/);
    expect(text.out).toMatch(new RegExp(`PENDING  ${failing.callId}/.* \\(poison 0\\)`));

    // Once the cause is gone, retry takes the chunk out of the poison queue and queues it again.
    h.emulator.clearFaults(failing.chunks[0]!.documentId);
    const retried = await cli('retry', failing.callId);
    expect(retried.code).toBe(0);
    expect(retried.out).toMatch(new RegExp(`^RETRYING ${failing.callId}/.*: chunk\\(s\\) 0 enqueued$`));
    expect((await h.services.queue.poison.peekMessages()).peekedMessageItems).toEqual([]);
    await h.drain();
    expect((await readManifest(h.container, failing.callId, await keyOf(failing.callId))).status).toBe('complete');
  });

  it('retries a chunk refused by the allow-list once the allow-list is fixed', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const narrow = await archiveHarness({
      env: { ...h.env, ACS_CONNECTION_STRING: h.emulator.connectionString.replace('127.0.0.1', 'localhost') },
    });
    try {
      // With the endpoint named localhost, 127.0.0.1 is not an allowed download host: the copy is refused.
      await narrow.archive(h.emulator.recordingFileStatusEvent(files));
      const key = await keyOf(files.callId);
      expect((await readManifest(h.container, files.callId, key)).chunks[0]).toMatchObject({
        status: 'failed',
        failureCode: 'LocationRefused',
      });
      const retried = await cli('retry', files.callId, key, '--json');
      expect(JSON.parse(retried.out).results).toEqual([
        { recording: `${files.callId}/${key}`, retried: [0], skipped: null },
      ]);
      await h.drain();
      expect((await readManifest(h.container, files.callId, key)).status).toBe('complete');
    } finally {
      await narrow.stop();
    }
  });

  it('re-drives dead-lettered events from the Event Grid dead-letter layout, safely twice, with the topic check', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    const service = BlobServiceClient.fromConnectionString(h.env.ARCHIVE_STORAGE_CONNECTION_STRING!);
    const container = service.getContainerClient(`dl-${files.callId.slice(0, 8)}`);
    await container.create();
    const event = {
      ...h.emulator.recordingFileStatusEvent(files),
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: 11,
      lastHttpStatusCode: 500,
    };
    const planted = {
      ...h.emulator.recordingFileStatusEvent(files),
      id: 'planted\u001b[2J\r\nERROR forged',
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/evil/providers/Microsoft.Communication/communicationServices/other',
    };
    const body = JSON.stringify([event, planted]);
    await container.getBlockBlobClient('ARCHIVE-RECORDING-FILES/2026/11/23/21/0b1c2d3e.json').upload(body, body.length);
    const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    await container.getBlockBlobClient('ARCHIVE-RECORDING-FILES/2026/11/23/21/huge.json').upload(huge, huge.length);

    const env = { ...h.env, ACS_RESOURCE_ID: (event as any).topic };
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env, cwd });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const first = await run('redrive', '--container', container.containerName, '--json');
    expect(first.code).toBe(1); // the planted event was rejected
    expect(JSON.parse(first.out).results).toEqual([
      expect.objectContaining({ outcome: 'queued', source: 'ARCHIVE-RECORDING-FILES/2026/11/23/21/0b1c2d3e.json' }),
      expect.objectContaining({
        outcome: 'rejected',
        id: 'planted?[2J??ERROR forged',
        detail: expect.stringMatching(/ACS_RESOURCE_ID/),
      }),
    ]);
    expect(first.err).toMatch(/huge\.json is larger than 4194304 bytes; skipped/);
    // No escape code or carriage return reaches the terminal.
    expect([...`${first.out}${first.err}`].some((c) => c !== '\n' && c.charCodeAt(0) < 0x20)).toBe(false);
    await h.drain();
    expect((await readManifest(h.container, files.callId, await keyOf(files.callId))).status).toBe('complete');
    const second = await run('redrive', '--container', container.containerName);
    expect(second.out).toMatch(/^COMPLETE /m);
  });

  it('calls a pending recording past its deadline only once the grace period is over, as the sweeper does', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    const { deadline } = await readManifest(h.container, files.callId, await keyOf(files.callId));
    const rowAt = async (afterDeadlineMs: number) => {
      const at = createArchiveServices(h.config, { now: () => new Date(Date.parse(deadline) + afterDeadlineMs) });
      const { io, out } = capture();
      await status(at, io, { all: true, json: true });
      return JSON.parse(out.join('\n')).recordings.find((r: any) => r.callId === files.callId);
    };
    expect(h.config.deadlineGraceHours).toBe(1);
    expect(await rowAt(30 * 60_000)).toMatchObject({ status: 'pending', hoursLeft: -0.5, pastDeadline: false });
    expect(await rowAt(61 * 60_000)).toMatchObject({ status: 'pending', pastDeadline: true });
    await h.drain();
  });

  it('retry takes each poison message out right after its own chunk is queued again', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: 1000 });
    for (const c of files.chunks) h.emulator.setFault(c.documentId, { kind: 'status', status: 503, times: 1000 });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    for (const c of files.chunks) h.emulator.clearFaults(c.documentId);
    const services: ArchiveServices = createArchiveServices(h.config);
    const enqueue = jest.spyOn(services.queue, 'enqueue');
    const remove = jest.spyOn(services.queue.poison, 'deleteMessage');
    const { io, out } = capture();
    expect(await retry(services, io, { callId: files.callId, json: true })).toBe(0);
    expect(JSON.parse(out.join('\n')).results).toEqual([expect.objectContaining({ retried: [0, 1] })]);
    const calls = [
      ...enqueue.mock.invocationCallOrder.map((at) => [at, 'enqueue'] as const),
      ...remove.mock.invocationCallOrder.map((at) => [at, 'delete'] as const),
    ].sort((a, b) => a[0] - b[0]);
    expect(calls.map(([, call]) => call)).toEqual(['enqueue', 'delete', 'enqueue', 'delete']);
    expect((await h.services.queue.poison.peekMessages()).peekedMessageItems).toEqual([]);
    await h.drain();
    expect((await readManifest(h.container, files.callId, await keyOf(files.callId))).status).toBe('complete');
  });

  it('exits 2 with the setting named when settings are wrong, and with usage for a bad command', async () => {
    const out: string[] = [];
    const code = await runCli(['status'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      isTTY: false,
      env: { ...h.env, ARCHIVE_CONTAINER: 'Bad_Name' },
      cwd,
    });
    expect(code).toBe(2);
    expect(out.join('\n')).toMatch(/ARCHIVE_CONTAINER/);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('verify')).err).toMatch(/verify needs a call id or --all/);
    expect((await cli('retry')).err).toMatch(/retry needs a call id/);
  });
});
