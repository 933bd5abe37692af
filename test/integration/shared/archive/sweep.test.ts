import { createArchiveServices, type ArchiveServices } from '../../../../shared/archive/archiveServices';
import { settleRecording } from '../../../../shared/archive/settle';
import { sweep } from '../../../../shared/archive/sweep';
import { parseEventLine } from '../../../../shared/telemetry';
import { CapturedLog } from '../../../helpers/logs';
import { archiveHarness, BLOCK, listBlobs, readManifest, type ArchiveHarness } from '../../../helpers/archiveHarness';

/**
 * The sweeper against Azurite and the emulator: it reports, marks failed and re-enqueues from the manifests alone,
 * and never copies. Later moments are reached with a services object whose clock is ahead (same containers, queue).
 */

let h: ArchiveHarness;
beforeAll(async () => {
  h = await archiveHarness();
});
afterAll(async () => h.stop());

const MINUTE = 60_000;
function at(offsetMs: number, base = Date.now()): ArchiveServices {
  return createArchiveServices(h.config, { now: () => new Date(base + offsetMs) });
}
function events(log: CapturedLog, name: string) {
  return log.lines
    .map((l) => parseEventLine(l.text))
    .filter((e) => e?.name === name)
    .map((e) => e!.fields);
}
async function queued(): Promise<unknown[]> {
  const peeked = await h.services.queue.queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
}
async function keyOf(callId: string): Promise<string> {
  return (await listBlobs(h.container, `${callId}/`))[0]!.split('/')[1]!;
}

beforeEach(async () => {
  await h.drain(); // a clean queue for each case
  await h.services.queue.queue.clearMessages().catch(() => undefined);
});

describe('sweep', () => {
  it('re-enqueues a pending chunk nobody queued for 10 minutes, and only that one, without downloading anything', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    await h.services.queue.queue.clearMessages(); // the message was lost (a poison queue, a deleted queue)
    h.emulator.clearRequests();

    expect((await sweep(at(5 * MINUTE), new CapturedLog())).enqueued).toBe(0); // queued 5 minutes ago: leave it
    const log = new CapturedLog();
    const report = await sweep(at(11 * MINUTE), log);
    expect(report.enqueued).toBe(1);
    expect(await queued()).toEqual([{ callId: files.callId, recordingKey: await keyOf(files.callId), index: 0 }]);
    expect(h.emulator.requests).toEqual([]);
    expect(events(log, 'SweepCompleted')).toEqual([expect.objectContaining({ enqueued: 1, budgetExhausted: false })]);
    await h.drain();
    expect((await readManifest(h.container, files.callId, await keyOf(files.callId))).status).toBe('complete');
  });

  it('leaves a chunk alone while a copier holds its lease', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    await h.services.queue.queue.clearMessages();
    const { ChunkLease } = await import('../../../../shared/archive/chunkLease');
    const key = await keyOf(files.callId);
    const lease = await ChunkLease.tryAcquire(
      h.control,
      { callId: files.callId, recordingKey: key, index: 0 },
      15,
      new CapturedLog(),
    );
    try {
      expect((await sweep(at(11 * MINUTE), new CapturedLog())).enqueued).toBe(0);
    } finally {
      await lease!.release();
    }
    expect((await sweep(at(11 * MINUTE), new CapturedLog())).enqueued).toBe(1);
  });

  it('reports an archive near its deadline first, even when the budget leaves no time to re-enqueue', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    const key = await keyOf(files.callId);
    const { deadline } = await readManifest(h.container, files.callId, key);
    const log = new CapturedLog();
    const report = await sweep(at(-2 * 3_600_000, Date.parse(deadline)), log, { budgetMs: 0 });
    expect(report).toMatchObject({ budgetExhausted: true, enqueued: 0 });
    expect(events(log, 'ArchiveNearDeadline')).toContainEqual(
      expect.objectContaining({
        callId: files.callId,
        recordingKey: key,
        deadline,
        hoursLeft: 2,
        chunksLeft: '0 (pending)',
      }),
    );
  });

  it('marks an archive past its deadline and grace failed, clears its marker, and stops warning', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' }, { size: BLOCK }],
    });
    await h.ingest(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [1] }));
    await h.drain();
    const key = await keyOf(files.callId);
    const { deadline } = await readManifest(h.container, files.callId, key);
    const late = at(3_600_000 + MINUTE, Date.parse(deadline)); // the grace period is 1 h
    const log = new CapturedLog();
    expect((await sweep(late, log)).markedFailed).toBe(1);
    const manifest = await readManifest(h.container, files.callId, key);
    expect(manifest.status).toBe('failed');
    expect(manifest.chunks.map((c) => c.status)).toEqual(['archived']); // chunk 0 never came: the set stays incomplete
    expect(events(log, 'RecordingFailed')).toEqual([
      expect.objectContaining({ callId: files.callId, recordingKey: key, deadline }),
    ]);
    expect(await listBlobs(h.control, `pending/${files.callId}/`)).toEqual([]);
    const again = new CapturedLog();
    await sweep(late, again);
    expect(events(again, 'ArchiveNearDeadline').filter((e) => e.callId === files.callId)).toEqual([]);
  });

  it('moves markers the previous version kept in the archive container to the control container, once per process', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    const key = await keyOf(files.callId);
    await h.control.getBlockBlobClient(`pending/${files.callId}/${key}`).delete();
    await h.container.getBlockBlobClient(`_pending/${files.callId}/${key}`).upload('', 0);
    await jest.isolateModulesAsync(async () => {
      // The sweeper of a process that has not swept yet (the other cases here already did, in this one).
      const { sweep: firstSweep } = await import('../../../../shared/archive/sweep');
      await firstSweep(h.services, new CapturedLog());
      expect(await listBlobs(h.container, '_pending/')).toEqual([]);
      expect(await listBlobs(h.control, `pending/${files.callId}/`)).toEqual([`pending/${files.callId}/${key}`]);
      // Its later sweeps do not list the archive container again.
      const later = at(0);
      const listings = jest.spyOn(later.store.container, 'listBlobsFlat');
      await firstSweep(later, new CapturedLog());
      expect(listings).not.toHaveBeenCalled();
    });
  });

  it('clears an old marker whose manifest never came', async () => {
    await h.control.getBlockBlobClient('pending/ab12cd34-0000-4000-8000-000000000000/undated-e3b0c442').upload('', 0);
    await sweep(at(5 * MINUTE), new CapturedLog());
    expect(await listBlobs(h.control, 'pending/ab12cd34-')).toHaveLength(1);
    await sweep(at(11 * MINUTE), new CapturedLog());
    expect(await listBlobs(h.control, 'pending/ab12cd34-')).toEqual([]);
  });
});

describe('the pending marker race', () => {
  it('never deletes a marker that a newer event wrote after the manifest the finisher decided on', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ size: 1000, endReason: 'SessionEnded' }, { size: 1000 }],
    });
    // Chunk 0 alone looks like a whole recording (it says SessionEnded) and completes...
    await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [0] }));
    const key = await keyOf(files.callId);
    const complete = (await h.services.store.readManifest(files.callId, key))!;
    expect(complete.manifest.status).toBe('complete');
    // ...then a late event adds chunk 1 (marker, manifest pending, marker) while a finisher still holds the old view.
    await h.ingest(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [1], id: 'late' }));
    await settleRecording(h.services, complete, 'pending', new CapturedLog());
    expect(await listBlobs(h.control, `pending/${files.callId}/`)).toEqual([`pending/${files.callId}/${key}`]);
  });
});
