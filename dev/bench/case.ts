import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import { createAcsAuthenticator, SourceClient } from '../../shared/acs';
import { copyChunk, ingestEvent, createArchiveServices, type ArchiveServices } from '../../shared/archive';
import { loadConfig } from '../../shared/config';
import { silentLogger } from '../../shared/logger';
import { SyntheticContent } from '../emulator';
import { inParallel } from '../../shared/concurrency';
import { leanCopy } from './lean';

/**
 * One benchmark run in a fresh process, so that its CPU time and peak RSS are its own. Reads its task from argv[2]
 * (JSON) and prints one JSON line (CaseResult). CPU is `process.cpuUsage()` of the work only (module loading
 * excluded), all threads of the process.
 */

export type BenchTask =
  | { kind: 'source'; env: Record<string, string>; locations: string[]; parallel: number }
  | { kind: 'sink'; env: Record<string, string>; sizes: number[]; parallel: number }
  | { kind: 'archiver'; env: Record<string, string>; events: object[] }
  | { kind: 'lean'; env: Record<string, string>; locations: string[]; sha256s: string[]; parallel: number }
  | { kind: 'plain'; env: Record<string, string>; locations: string[]; parallel: number }
  | { kind: 'naive'; env: Record<string, string>; locations: string[]; parallel: number }
  | { kind: 'hash'; size: number }
  | { kind: 'coldstart-app'; appRoot: string }
  | { kind: 'coldstart-reference' };

export interface CaseResult {
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  detail?: unknown;
}

/** What an archiver run reports per chunk (from its manifest). */
export interface ArchivedChunk {
  index: number;
  size: number;
  sha256: string;
  blob: string;
  status: string;
}

/** What one task did; `cpuSeconds` when only part of the work counts (else the whole run's CPU). */
async function run(task: BenchTask): Promise<{ bytes: number; detail?: unknown; cpuSeconds?: number }> {
  switch (task.kind) {
    case 'source': {
      // The source alone: signed GETs drained with undici (the archiver's own client), `parallel` at once.
      const source = sourceFor(task.env);
      let bytes = 0;
      await inParallel(task.locations, task.parallel, async (location) => {
        const download = await source.open(location);
        for await (const piece of download.body as AsyncIterable<Buffer>) bytes += piece.length;
      });
      return { bytes };
    }
    case 'sink': {
      // The sink alone: the SDK's uploadStream of in-process bytes, with the archiver's block size and concurrency.
      const config = loadConfig(task.env);
      const container = containerFor(task.env);
      let bytes = 0;
      await inParallel([...task.sizes.entries()], task.parallel, async ([i, size]) => {
        const content = new SyntheticContent(`sink-${i}`, size);
        const stream = Readable.from(content.range(0, size - 1), { objectMode: false });
        await container
          .getBlockBlobClient(`sink-${i}`)
          .uploadStream(stream, config.archive.blockSizeBytes, config.archive.blocksInFlight);
        bytes += size;
      });
      return { bytes };
    }
    case 'archiver':
      return archiveInProcess(task.env, task.events);
    case 'lean': {
      // The floor (lean.ts): the least a verified streaming copy does, `parallel` chunks at once.
      const config = loadConfig(task.env);
      const containerSasUrl = await containerFor(task.env).generateSasUrl({
        permissions: ContainerSASPermissions.parse('racwd'),
        expiresOn: new Date(Date.now() + 3_600_000),
      });
      let bytes = 0;
      await inParallel([...task.locations.entries()], task.parallel, async ([i, location]) => {
        // NOTE: not `bytes += await …`: that reads `bytes` before the await, and parallel lanes would overwrite it.
        const copied = await leanCopy({
          endpointHost: config.acs.endpoint.host,
          auth: createAcsAuthenticator(config.acs),
          location,
          containerSasUrl,
          blobName: `lean-${i}`,
          expectedSha256: task.sha256s[i]!,
          blockSizeBytes: config.archive.blockSizeBytes,
          blocksInFlight: config.archive.blocksInFlight,
        });
        bytes += copied;
      });
      return { bytes };
    }
    case 'plain': {
      // A plain streaming copy: the SDK's uploadStream of the download body; no hashes, no resume, no verification.
      const config = loadConfig(task.env);
      const source = sourceFor(task.env);
      const container = containerFor(task.env);
      let bytes = 0;
      await inParallel([...task.locations.entries()], task.parallel, async ([i, location]) => {
        const download = await source.open(location);
        await container
          .getBlockBlobClient(`plain-${i}`)
          .uploadStream(download.body, config.archive.blockSizeBytes, config.archive.blocksInFlight);
        bytes += download.totalSize ?? 0;
      });
      return { bytes };
    }
    case 'naive': {
      // What Microsoft's samples do: download the whole recording to a temporary file, then upload that file.
      const config = loadConfig(task.env);
      const source = sourceFor(task.env);
      const container = containerFor(task.env);
      let bytes = 0;
      await inParallel([...task.locations.entries()], task.parallel, async ([i, location]) => {
        const file = path.join(os.tmpdir(), `cra-naive-${process.pid}-${i}`);
        try {
          const download = await source.open(location);
          await pipeline(download.body, createWriteStream(file));
          const size = statSync(file).size;
          await container
            .getBlockBlobClient(`naive-${i}`)
            .uploadStream(createReadStream(file), config.archive.blockSizeBytes, config.archive.blocksInFlight);
          bytes += size;
        } finally {
          rmSync(file, { force: true });
        }
      });
      return { bytes };
    }
    case 'hash': {
      // SHA-256 + MD5 of `size` synthetic bytes, the archiver's two digests alone: the CPU of the update calls only,
      // not of making the bytes.
      const sha256 = createHash('sha256');
      const md5 = createHash('md5');
      let cpuSeconds = 0;
      for await (const piece of new SyntheticContent('hash', task.size).range(0, task.size - 1)) {
        const before = process.cpuUsage();
        sha256.update(piece);
        md5.update(piece);
        const used = process.cpuUsage(before);
        cpuSeconds += (used.user + used.system) / 1e6;
      }
      return { bytes: task.size, cpuSeconds };
    }
    case 'coldstart-app': {
      const { loadAppForColdStart } = await import('./coldStart');
      const names = loadAppForColdStart(task.appRoot);
      return { bytes: 0, detail: names };
    }
    case 'coldstart-reference': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@azure/communication-call-automation');
      return { bytes: 0 };
    }
  }
}

/**
 * The product in this process, as the Functions host runs it: archiveRecording's work (ingestEvent: manifest and
 * one queue message per chunk) for every event, then archiveChunk's work (copyChunk) for every message on the queue,
 * all at once.
 */
async function archiveInProcess(
  env: Record<string, string>,
  events: object[],
): Promise<{ bytes: number; detail: unknown }> {
  const services = createArchiveServices(loadConfig(env));
  const recordings = [];
  for (const event of events) {
    const ingested = await ingestEvent(services, event, silentLogger);
    if (ingested.outcome !== 'accepted') throw new Error(`the event was rejected: ${ingested.reason}`);
    recordings.push(ingested.manifest);
  }
  await drainQueue(services);
  const chunks: ArchivedChunk[] = [];
  for (const { callId, recordingKey } of recordings) {
    const manifest = await services.store.readManifest(callId, recordingKey);
    if (manifest?.manifest.status !== 'complete')
      throw new Error(`archive ended ${manifest?.manifest.status ?? 'missing'}`);
    chunks.push(
      ...manifest.manifest.chunks.map((c) => ({
        index: c.index,
        size: c.size ?? 0,
        sha256: c.sha256 ?? '',
        blob: c.blob,
        status: c.status,
      })),
    );
  }
  return { bytes: chunks.reduce((n, c) => n + c.size, 0), detail: chunks };
}

async function drainQueue(services: ArchiveServices): Promise<void> {
  const { queue } = services.queue;
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 600 });
    if (receivedMessageItems.length === 0) return;
    await Promise.all(
      receivedMessageItems.map(async (item) => {
        const message = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as unknown;
        await copyChunk(services, message, { dequeueCount: item.dequeueCount }, silentLogger);
        await queue.deleteMessage(item.messageId, item.popReceipt);
      }),
    );
  }
}

function sourceFor(env: Record<string, string>): SourceClient {
  const config = loadConfig(env);
  return new SourceClient({
    endpoint: config.acs.endpoint,
    auth: createAcsAuthenticator(config.acs),
    allowedHosts: config.downloadHosts,
  });
}

function containerFor(env: Record<string, string>) {
  const config = loadConfig(env);
  if (config.storage.kind !== 'connectionString') throw new Error('the benchmark runs against Azurite');
  return BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(
    config.archiveContainer,
  );
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as BenchTask;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { bytes, detail, cpuSeconds } = await run(task);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const result: CaseResult = {
    bytes,
    seconds,
    cpuSeconds: cpuSeconds ?? (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    detail,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // NOTE: exit now: keep-alive sockets of the SDKs would otherwise hold the process (and its profile) open.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
