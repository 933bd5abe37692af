import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../cli/main';
import { archiveHarness, BLOCK, listBlobs, type ArchiveHarness } from '../helpers/archiveHarness';
import { CapturedLog } from '../helpers/logs';

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

describe('call-recording-archiver CLI', () => {
  it('archives from a saved event file, and a second run downloads nothing', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    const file = path.join(cwd, 'event.json');
    writeFileSync(file, JSON.stringify([h.emulator.recordingFileStatusEvent(files)]));
    const first = await cli('archive', 'event.json', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out).results).toEqual([expect.objectContaining({ outcome: 'complete' })]);
    h.emulator.clearRequests();
    const second = await cli('archive', file);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^COMPLETE/);
    expect(h.emulator.requests).toEqual([]);
  });

  it('verifies archived blobs and exits 1 naming a blob whose bytes changed', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), new CapturedLog());
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

  it('reports failed and pending recordings with status, and exits 1 when something needs attention', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    h.emulator.expire(files.chunks[0]!.documentId);
    await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), new CapturedLog());
    const result = await cli('status', '--json');
    expect(result.code).toBe(1);
    const row = JSON.parse(result.out).recordings.find((r: any) => r.callId === files.callId);
    expect(row).toMatchObject({ status: 'failed', problems: [expect.stringMatching(/chunk 0 expired/)] });
  });

  it('re-drives dead-lettered events from the Event Grid dead-letter layout, safely twice', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const service = BlobServiceClient.fromConnectionString(h.env.ARCHIVE_STORAGE_CONNECTION_STRING!);
    const container = service.getContainerClient(`dl-${files.callId.slice(0, 8)}`);
    await container.create();
    const event = {
      ...h.emulator.recordingFileStatusEvent(files),
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: 30,
      lastHttpStatusCode: 500,
    };
    const body = JSON.stringify([event]);
    await container.getBlockBlobClient('ARCHIVE-RECORDING-FILES/2026/11/23/21/0b1c2d3e.json').upload(body, body.length);
    const first = await cli('redrive', '--container', container.containerName, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out).results).toEqual([
      expect.objectContaining({ outcome: 'complete', source: 'ARCHIVE-RECORDING-FILES/2026/11/23/21/0b1c2d3e.json' }),
    ]);
    const second = await cli('redrive', '--container', container.containerName);
    expect(second.code).toBe(0);
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
  });
});
