import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { indexRecordingForListing } from '../../shared/archive';
import { listRecordings, parseListQuery } from '../../shared/console';
import { inParallel } from '../../shared/concurrency';
import { startAzurite } from '../azurite';

/**
 * `node dist-dev/dev/bench/consoleList.js [count]`: the console's recordings list over an archive of `count`
 * (default 10,000) recordings. Seeds that many manifests (and their list entries, as ingest writes them) into a fresh
 * Azurite, then times the first page, a later page (through continuation tokens), a day-range page and a status
 * filter. A measurement, never a test: it prints the times.
 */

const COUNT = Number(process.argv[2] ?? 10_000);
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function main(): Promise<void> {
  const location = mkdtempSync(path.join(tmpdir(), 'console-bench-'));
  const azurite = await startAzurite({ location, blobPort: 0, queuePort: 0 });
  try {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const archive = service.getContainerClient('recordings');
    const control = service.getContainerClient('recording-control');
    await Promise.all([archive.create(), control.create()]);
    const seeded = Date.now();
    const start = Date.UTC(2026, 0, 1);
    await inParallel(
      Array.from({ length: COUNT }, (_, i) => i),
      64,
      async (i) => {
        const startTime = new Date(start + i * 17 * 60_000).toISOString();
        const stamp = startTime.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
        const manifest = {
          schemaVersion: 1,
          callId: `call-${String(i).padStart(6, '0')}`,
          recordingKey: `${stamp}-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0').slice(0, 8)}`,
          serverCallId: `server-${i}`,
          recordingId: null,
          recordingStartTime: startTime,
          recordingDurationMs: 60_000,
          sessionEndReason: null,
          contentType: 'Audio',
          channelType: 'Mixed',
          formatType: 'Wav',
          format: 'wav',
          storageType: null,
          status: i % 50 === 0 ? 'failed' : 'complete',
          deadline: startTime,
          eventIds: [`event-${i}`],
          participants: [`8:acs:${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`],
          channels: null,
          formatSource: 'event',
          chunks: [
            {
              index: 0,
              documentId: `doc-${i}`,
              endReason: 'SessionEnded',
              contentLocation: 'https://example.invalid/c',
              metadataLocation: 'https://example.invalid/m',
              deleteLocation: null,
              status: 'archived',
              blob: 'chunk-0000.wav',
              metadataBlob: 'chunk-0000.metadata.json',
              size: 1_000_000,
              sha256: null,
              md5: null,
              attempts: 1,
              lastError: null,
              archivedAt: startTime,
            },
          ],
          createdAt: startTime,
          updatedAt: startTime,
        };
        const body = JSON.stringify(manifest);
        await archive
          .getBlockBlobClient(`${manifest.callId}/${manifest.recordingKey}/manifest.json`)
          .upload(body, body.length);
        await indexRecordingForListing(control, manifest);
      },
    );
    console.log(`seeded ${COUNT} recordings in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    const stores = { archive, control };
    const now = new Date(start + COUNT * 17 * 60_000);
    const time = async (what: string, params: Record<string, string>) => {
      const began = process.hrtime.bigint();
      const page = await listRecordings(
        stores,
        parseListQuery((n) => params[n], now),
        log,
      );
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      console.log(`${what.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  ${page.recordings.length} rows`);
      return page;
    };
    let page = await time('first page (20, newest first)', { pageSize: '20' });
    for (let n = 2; n <= 50 && page.continuationToken; n++) {
      const token = page.continuationToken;
      page =
        n === 50
          ? await time('page 50 (continuation token)', { pageSize: '20', continuationToken: token })
          : await listRecordings(
              stores,
              parseListQuery((k) => ({ pageSize: '20', continuationToken: token })[k], now),
              log,
            );
    }
    const day = new Date(start + (COUNT / 2) * 17 * 60_000).toISOString().slice(0, 10);
    await time(`one day (${day})`, { from: day, to: day, pageSize: '20' });
    await time('status=failed (sparse: 1 in 50)', { status: 'failed', pageSize: '20' });
  } finally {
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
