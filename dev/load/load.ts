import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { ArchiveStore, type Manifest } from '../../shared/archive';
import { startAzurite, type AzuriteHandle } from '../azurite';
import { startEmulator, type AcsEmulator, type Fault, type RecordingFiles } from '../emulator';
import { spawnLocalHost, type HostProcess } from '../host/spawnHost';
import { repoRoot } from '../repoRoot';

/**
 * `npm run load`: a bounded soak on loopback. Recordings of 1-5 chunks go through the local host (a child process,
 * the compiled app) the way Event Grid delivers them: concurrent deliveries, duplicates (some concurrent), injected
 * faults of every transient kind the emulator offers, and kills of the host process mid-copy with restart and
 * redelivery. archiveRecording only acknowledges (manifest + queue messages); archiveChunk copies from the Storage
 * queue. The run waits until every manifest is final, then verifies every archive byte for byte against the source.
 */

export interface LoadOptions {
  recordings: number;
  inFlight: number;
  duplicateRate: number;
  faultRate: number;
  kills: number;
  maxChunks: number;
  maxChunkBytes: number;
  /** How long to wait for the copies after the last delivery was accepted; default 5 minutes. */
  settleTimeoutMs?: number;
  /** Existing Azurite connection string; one is started when absent. */
  azuriteConnectionString?: string;
  log?: (line: string) => void;
}

export interface LoadReport {
  recordings: number;
  delivered: number;
  archived: number;
  duplicates: number;
  faults: number;
  restarts: number;
  lost: number;
  corrupted: number;
  duplicateBlobs: number;
  /** From sending a delivery to its answer (what Event Grid waits for). */
  ackLatencyMs: { p50: number; p99: number; max: number };
  /** From the first delivery of a recording to its manifest being complete. */
  archiveLatencyMs: { p50: number; p95: number; p99: number };
  problems: string[];
}

const FAULTS: Fault[] = [
  { kind: 'reset', afterBytes: 100_000 },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 500, times: 2 },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'html', status: 400 },
  { kind: 'empty' },
  { kind: 'redirect' },
  { kind: 'trickle', bytesPerSecond: 2 * 1024 * 1024 },
];

/** Event Grid-like retry delays (compressed) for a delivery that failed or got no answer. */
const RETRY_DELAYS_MS = [200, 500, 1000, 2000, 2000, 3000, 3000, 5000, 5000, 5000, 5000, 5000, 5000, 5000];

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(path.join(os.tmpdir(), 'cra-load-'));
  let azurite: AzuriteHandle | undefined;
  let emulator: AcsEmulator | undefined;
  let host: HostSupervisor | undefined;
  try {
    azurite = options.azuriteConnectionString
      ? undefined
      : await startAzurite({ location: path.join(work, 'azurite') });
    const connectionString = options.azuriteConnectionString ?? azurite!.connectionString;
    emulator = await startEmulator();
    const id = randomUUID().slice(0, 8);
    const containerName = `load-${id}`;
    const store = new ArchiveStore(
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName),
    );
    const env = {
      ACS_CONNECTION_STRING: emulator.connectionString,
      ARCHIVE_STORAGE_CONNECTION_STRING: connectionString,
      AzureWebJobsStorage: connectionString,
      ARCHIVE_CONTAINER: containerName,
      CONTROL_CONTAINER: `load-control-${id}`,
      ARCHIVE_QUEUE: `load-${id}`,
      ARCHIVE_BLOCK_SIZE_MIB: '1',
      ARCHIVE_RETRY_BASE_MS: '50',
      ARCHIVE_LOCK_SECONDS: '15',
      // NOTE: a killed host's messages come back when their processing visibility lapses (10 min in Azure); the
      // soak shortens that so that a kill costs seconds, not minutes.
      LOCAL_HOST_QUEUE_VISIBILITY_SECONDS: '20',
    };
    host = new HostSupervisor(repoRoot(), env, log);
    await host.start();
    return await drive(options, emulator, store, host, log);
  } finally {
    await host?.stop();
    await emulator?.stop();
    await azurite?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function drive(
  options: LoadOptions,
  emulator: AcsEmulator,
  store: ArchiveStore,
  host: HostSupervisor,
  log: (line: string) => void,
): Promise<LoadReport> {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const recordings: RecordingFiles[] = [];
  let faults = 0;
  for (let i = 0; i < options.recordings; i++) {
    const chunkCount = 1 + Math.floor(random() * options.maxChunks);
    const chunks = Array.from({ length: chunkCount }, (_, c) => ({
      size: 1 + Math.floor(random() * options.maxChunkBytes),
      endReason: c < chunkCount - 1 ? 'ChunkMaximumSizeExceeded' : 'SessionEnded',
    }));
    const files = await emulator.createRecordingFiles({ chunks, seed: `load-${i}` });
    if (random() < options.faultRate) {
      const chunk = files.chunks[Math.floor(random() * files.chunks.length)]!;
      emulator.setFault(chunk.documentId, FAULTS[faults++ % FAULTS.length]!);
    }
    recordings.push(files);
  }

  let delivered = 0;
  let duplicates = 0;
  const ackLatencies: number[] = [];
  const firstDelivery = new Map<string, number>();
  const problems: string[] = [];

  /** Delivers one event until the host answers 202, the way Event Grid retries. */
  const deliverUntilAccepted = async (event: object): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      delivered++;
      const sent = Date.now();
      const status = await host.deliver(event);
      if (status !== 0) ackLatencies.push(Date.now() - sent);
      if (status === 202) return;
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined)
        throw new Error(`event ${(event as { id: string }).id} was never accepted (last ${status})`);
      await new Promise((r) => setTimeout(r, delay));
    }
  };

  const killAt = new Set(
    Array.from({ length: options.kills }, (_, k) => Math.floor(((k + 1) * options.recordings) / (options.kills + 1))),
  );
  let next = 0;
  const worker = async () => {
    while (next < recordings.length) {
      const index = next++;
      const files = recordings[index]!;
      if (killAt.has(index)) void host.killAndRestart(300);
      const event = emulator.recordingFileStatusEvent(files, { id: `load-${index}` });
      firstDelivery.set(files.callId, Date.now());
      const copies = [deliverUntilAccepted(event)];
      if (random() < options.duplicateRate) {
        duplicates++;
        // Half of the duplicates arrive while the first is still running, half after it.
        copies.push(
          random() < 0.5
            ? deliverUntilAccepted(event)
            : copies[0]!.then(() =>
                deliverUntilAccepted(emulator.recordingFileStatusEvent(files, { id: `load-${index}-again` })),
              ),
        );
      }
      try {
        await Promise.all(copies);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  log(`delivered ${delivered} events for ${recordings.length} recordings; waiting for the copies...`);
  const archiveLatencies = await waitForFinal(store, recordings, firstDelivery, options.settleTimeoutMs ?? 300_000);
  log('verifying every archive...');

  let archived = 0;
  let lost = 0;
  let corrupted = 0;
  let duplicateBlobs = 0;
  const { container } = store;
  const names = new Map<string, string[]>();
  for await (const blob of container.listBlobsFlat()) {
    const callId = blob.name.split('/')[0]!;
    if (callId.startsWith('_')) continue;
    names.set(callId, [...(names.get(callId) ?? []), blob.name]);
  }
  for (const files of recordings) {
    const blobs = names.get(files.callId) ?? [];
    let manifest: Manifest | undefined; // one recording per call here
    for await (const { callId, recordingKey } of store.manifestRefs(files.callId)) {
      manifest = (await store.readManifest(callId, recordingKey))?.manifest;
      break;
    }
    if (!manifest) {
      lost += files.chunks.length;
      problems.push(`call ${files.callId}: no manifest`);
      continue;
    }
    if (manifest.status === 'complete') archived++;
    else problems.push(`call ${files.callId}: manifest ${manifest.status}`);
    if (blobs.length !== 1 + 2 * files.chunks.length)
      duplicateBlobs += Math.max(0, blobs.length - 1 - 2 * files.chunks.length);
    for (const chunk of files.chunks) {
      const entry = manifest.chunks.find((c) => c.index === chunk.index);
      if (!entry || entry.status !== 'archived' || !blobs.includes(entry.blob)) {
        lost++;
        problems.push(`call ${files.callId} chunk ${chunk.index}: not archived`);
        continue;
      }
      const hash = createHash('sha256');
      const download = await container.getBlobClient(entry.blob).download();
      for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) hash.update(piece);
      if (hash.digest('hex') !== chunk.sha256) {
        corrupted++;
        problems.push(`call ${files.callId} chunk ${chunk.index}: SHA-256 differs from the source`);
      }
    }
  }
  const pct = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  };
  return {
    recordings: recordings.length,
    delivered,
    archived,
    duplicates,
    faults,
    restarts: host.restarts,
    lost,
    corrupted,
    duplicateBlobs,
    ackLatencyMs: { p50: pct(ackLatencies, 50), p99: pct(ackLatencies, 99), max: Math.max(0, ...ackLatencies) },
    archiveLatencyMs: {
      p50: pct(archiveLatencies, 50),
      p95: pct(archiveLatencies, 95),
      p99: pct(archiveLatencies, 99),
    },
    problems,
  };
}

/** Polls the manifests until every recording is complete or failed (or time is up); the archive latency of each. */
async function waitForFinal(
  store: ArchiveStore,
  recordings: RecordingFiles[],
  firstDelivery: Map<string, number>,
  timeoutMs: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const open = new Set(recordings.map((r) => r.callId));
  const deadline = Date.now() + timeoutMs;
  while (open.size > 0 && Date.now() < deadline) {
    for await (const { callId, recordingKey } of store.manifestRefs()) {
      if (!open.has(callId)) continue;
      const status = (await store.readManifest(callId, recordingKey))?.manifest.status;
      if (status === undefined || status === 'pending') continue;
      open.delete(callId);
      latencies.push(Date.now() - (firstDelivery.get(callId) ?? Date.now()));
    }
    if (open.size > 0) await new Promise((r) => setTimeout(r, 250));
  }
  return latencies;
}

/**
 * The local host as a child process (spawnLocalHost) that can be killed (SIGKILL) and restarted on the same port.
 * LOAD_HOST_LOG=FILE keeps everything the hosts printed, for diagnosing a failed run.
 */
export class HostSupervisor {
  private ready: Promise<HostProcess> | undefined;
  private kills: Promise<void> = Promise.resolve();
  private stopping = false;
  restarts = 0;

  constructor(
    private readonly appRoot: string,
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  /** The host running now, or the one starting. */
  get host(): Promise<HostProcess> {
    if (!this.ready) throw new Error('the host was not started');
    return this.ready;
  }

  async start(port = 0): Promise<void> {
    const hostLog = process.env.LOAD_HOST_LOG;
    this.ready = spawnLocalHost({
      appRoot: this.appRoot,
      env: this.env,
      port,
      ...(hostLog && { onLine: (line: string) => appendFileSync(hostLog, `${line}\n`) }),
    });
    await this.ready;
  }

  async deliver(event: object): Promise<number> {
    const { url } = await this.host;
    try {
      const response = await fetch(`${url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
        method: 'POST',
        headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
        body: JSON.stringify([event]),
        signal: AbortSignal.timeout(30_000), // Event Grid waits 30 s for an answer
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0; // no answer: the host died, or took longer than Event Grid waits
    }
  }

  /** Kills (SIGKILL) the running host after `afterMs` and starts a new one; kills happen one at a time. */
  killAndRestart(afterMs: number): Promise<void> {
    this.kills = this.kills.then(() => this.killOnce(afterMs));
    return this.kills;
  }

  private async killOnce(afterMs: number): Promise<void> {
    const host = await this.host;
    await new Promise((r) => setTimeout(r, afterMs));
    if (this.stopping) return;
    await host.kill();
    this.restarts++;
    this.log(`killed the host (restart ${this.restarts})`);
    await this.start(Number(new URL(host.url).port));
  }

  /** Stops the host; a restart under way finishes first, so no host outlives this. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.kills.catch(() => undefined);
    const host = await this.ready?.catch(() => undefined);
    await host?.stop();
  }
}

export function formatReport(report: LoadReport): string {
  return [
    `recordings ${report.recordings}, delivered ${report.delivered} (with redeliveries), archived ${report.archived}`,
    `duplicates ${report.duplicates}, faults ${report.faults}, restarts ${report.restarts}`,
    `lost ${report.lost} (must be 0), corrupted ${report.corrupted} (must be 0), duplicate blobs ${report.duplicateBlobs} (must be 0)`,
    `acknowledgement latency p50 ${report.ackLatencyMs.p50} ms, p99 ${report.ackLatencyMs.p99} ms, max ${report.ackLatencyMs.max} ms`,
    `event-to-archived latency p50 ${report.archiveLatencyMs.p50} ms, p95 ${report.archiveLatencyMs.p95} ms, p99 ${report.archiveLatencyMs.p99} ms`,
    ...report.problems.slice(0, 20).map((p) => `problem: ${p}`),
  ].join('\n');
}

if (require.main === module) {
  const quick = process.env.LOAD_QUICK === '1';
  runLoad({
    recordings: Number(process.env.LOAD_RECORDINGS ?? (quick ? 30 : 200)),
    inFlight: 32,
    duplicateRate: 0.2,
    faultRate: 0.1,
    kills: 3,
    maxChunks: 5,
    maxChunkBytes: quick ? 512 * 1024 : 4 * 1024 * 1024,
    log: (line) => console.log(line),
  }).then(
    (report) => {
      console.log(formatReport(report));
      process.exit(report.lost === 0 && report.corrupted === 0 && report.duplicateBlobs === 0 ? 0 : 1);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
