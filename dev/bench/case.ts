import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { createAcsAuthenticator } from '../../shared/acs/auth';
import { SourceClient } from '../../shared/acs/download';
import { createArchiver } from '../../shared/archive/createArchiver';
import { loadConfig } from '../../shared/config';
import { silentLogger } from '../../shared/logger';
import { SyntheticContent } from '../emulator';

/**
 * One benchmark case in a fresh process, so that peak RSS and CPU belong to that case alone. Reads its task from
 * argv[2] (JSON) and prints one JSON line: { bytes, seconds, cpuSeconds, peakRssMiB }.
 */

export type BenchTask =
  | { kind: 'source'; env: Record<string, string>; locations: string[] }
  | { kind: 'sink'; env: Record<string, string>; sizes: number[]; blobPrefix: string }
  | { kind: 'archiver'; env: Record<string, string>; event: object }
  | { kind: 'naive'; env: Record<string, string>; locations: { content: string; blob: string }[] }
  | { kind: 'coldstart-app'; appRoot: string }
  | { kind: 'coldstart-reference' };

export interface CaseResult {
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  detail?: unknown;
}

async function run(task: BenchTask): Promise<{ bytes: number; detail?: unknown }> {
  switch (task.kind) {
    case 'source': {
      const config = loadConfig(task.env);
      const source = sourceFor(task.env);
      let bytes = 0;
      for (const location of task.locations) {
        const download = await source.open(location);
        for await (const piece of download.body as AsyncIterable<Buffer>) bytes += piece.length;
      }
      void config;
      return { bytes };
    }
    case 'sink': {
      const config = loadConfig(task.env);
      const container = containerFor(task.env);
      let bytes = 0;
      for (const [i, size] of task.sizes.entries()) {
        const content = new SyntheticContent(`sink-${i}`, size);
        const stream = Readable.from(content.range(0, size - 1), { objectMode: false });
        await container
          .getBlockBlobClient(`${task.blobPrefix}-${i}`)
          .uploadStream(stream, config.archive.blockSizeBytes, config.archive.blocksInFlight);
        bytes += size;
      }
      return { bytes };
    }
    case 'archiver': {
      const config = loadConfig(task.env);
      const outcome = await createArchiver(config).archiveEvent(task.event, silentLogger);
      if (outcome.outcome !== 'complete') throw new Error(`archive ended ${outcome.outcome}`);
      const bytes = outcome.manifest.chunks.reduce((n, c) => n + (c.size ?? 0), 0);
      return {
        bytes,
        detail: outcome.manifest.chunks.map((c) => ({ index: c.index, sha256: c.sha256, blob: c.blob })),
      };
    }
    case 'naive': {
      // What Microsoft's samples do: download the whole recording to a temporary file, then upload that file.
      const source = sourceFor(task.env);
      const container = containerFor(task.env);
      let bytes = 0;
      for (const { content, blob } of task.locations) {
        const file = path.join(os.tmpdir(), `cra-naive-${process.pid}-${bytes}`);
        const download = await source.open(content);
        await pipeline(download.body, createWriteStream(file));
        const size = statSync(file).size;
        await container.getBlockBlobClient(blob).uploadStream(createReadStream(file), 8 * 1024 * 1024, 4);
        rmSync(file);
        bytes += size;
      }
      return { bytes };
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
  const { bytes, detail } = await run(task);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const result: CaseResult = {
    bytes,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    detail,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
