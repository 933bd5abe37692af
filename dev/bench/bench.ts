import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { ArchiveStore } from '../../shared/archive';
import { loadConfig } from '../../shared/config';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteHandle } from '../azurite';
import { startEmulator, type AcsEmulator, type RecordingFiles } from '../emulator';
import { repoRoot } from '../repoRoot';
import type { ArchivedChunk, BenchTask, CaseResult } from './case';
import { hostQueueConcurrency, runQueuePath } from './queuePath';
import { writeReport, type BenchReport, type CaseReport, type Kind, type RunResult } from './report';

/**
 * `npm run bench`: the archiver against the limits of this machine, measured in one run on loopback (Azurite + the ACS
 * emulator's deterministic synthetic chunks). A benchmark, not a test: it prints numbers and never fails on speed.
 *
 * Every case runs BENCH_RUNS times (default 3); each run starts a fresh Azurite (so no run inherits another's extents
 * or garbage collection) and measures, in a rotating order, each kind in a fresh child process:
 * - source: the emulator's download rate alone; sink: Azurite's ingest rate alone (same block size and concurrency);
 * - archiver: the product (in-process cases: ingest + copyChunk in one process; the queue case: the local Functions
 *   host as a child process, an Event Grid delivery, archiveChunk copying from the queue);
 * - plain: the SDK's uploadStream of the download body (streams, but no hashes, no resume, no verification);
 * - naive: Microsoft's sample approach, download to a temporary file and upload it.
 *
 * Settings: BENCH_QUICK=1 (small sizes), BENCH_RUNS=N, BENCH_CASES=id,id (e.g. 1g,queue), BENCH_KINDS=archiver,sink,
 * BENCH_ENV='{"ARCHIVE_BLOCK_SIZE_MIB":"16"}' (app settings for the archiver and its peers), BENCH_PROFILE=DIR (V8 CPU
 * profiles of every product process), BENCH_VERIFY=0 (skip reading every archived blob back), BENCH_TAG=name (result
 * files dev/bench/results/<name>.json|.svg|.md; default latest), BENCH_RESUME=0, BENCH_ACK=0, BENCH_COLD=0.
 */

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const quick = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OVERRIDES = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
const PROFILE = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const VERIFY = process.env.BENCH_VERIFY !== '0';
/** BENCH_VARIANTS='{"name":{"SETTING":"value"}}': extra archiver kinds `archiver@name` with those settings on top. */
const VARIANTS = JSON.parse(process.env.BENCH_VARIANTS ?? '{}') as Record<string, Record<string, string>>;
const ALL_KINDS: Kind[] = ['source', 'sink', 'archiver', 'plain', 'naive'];
const KINDS: Kind[] = [
  ...((process.env.BENCH_KINDS?.split(',') as Kind[] | undefined) ?? ALL_KINDS),
  ...Object.keys(VARIANTS).map((name): Kind => `archiver@${name}`),
];

interface CaseSpec {
  id: string;
  label: string;
  chunks: number[];
  path: 'in-process' | 'queue';
}

const sizeLabel = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);
const single = (size: number, id: string): CaseSpec => ({
  id,
  label: `1 x ${sizeLabel(size)}`,
  chunks: [size],
  path: 'in-process',
});
const queued = (count: number, size: number): CaseSpec => ({
  id: 'queue',
  label: `${count} x ${sizeLabel(size)} (queue)`,
  chunks: Array<number>(count).fill(size),
  path: 'queue',
});
const CASES: CaseSpec[] = (
  quick
    ? [single(16 * MiB, '16m'), single(64 * MiB, '64m'), queued(4, 16 * MiB)]
    : [single(512 * MiB, '512m'), single(GiB, '1g'), single(2 * GiB, '2g'), queued(8, 256 * MiB)]
).filter((c) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(c.id));
const DEV_CONNECTION_STRING = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/${AZURITE_ACCOUNT};QueueEndpoint=http://127.0.0.1:10001/${AZURITE_ACCOUNT};`;
const RESUME_SIZE = quick ? 64 * MiB : 512 * MiB;

async function runCase(task: BenchTask, profileName: string = task.kind): Promise<CaseResult> {
  const script = path.join(__dirname, 'case.js');
  const profile =
    PROFILE && !task.kind.startsWith('coldstart') ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}/${profileName}`] : [];
  const { stdout } = await execFileAsync(process.execPath, [...profile, script, JSON.stringify(task)], {
    maxBuffer: 16 * MiB,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as CaseResult;
}

/** A fresh Azurite (blob + queue) in its own folder, removed with it. */
async function freshAzurite(work: string, name: string): Promise<AzuriteHandle & { dispose(): Promise<void> }> {
  const location = path.join(work, name);
  const azurite = await startAzurite({ location });
  return {
    ...azurite,
    dispose: async () => {
      await azurite.stop();
      rmSync(location, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cra-bench-'));
  let emulator: AcsEmulator | undefined;
  try {
    emulator = await startEmulator();
    if (PROFILE) mkdirSync(PROFILE, { recursive: true });
    // The archive settings every kind runs with (the development account's form; nothing connects with it).
    const settings = loadConfig({ ...baseEnv(emulator, DEV_CONNECTION_STRING, 'settings'), ...OVERRIDES }).archive;
    console.log(
      `call-recording-archiver benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ` +
        `${quick ? 'QUICK' : 'full'} sizes, ${RUNS} runs per case, blocks ${settings.blockSizeBytes / MiB} MiB x ${settings.blocksInFlight} in flight` +
        `${Object.keys(OVERRIDES).length ? `, settings ${JSON.stringify(OVERRIDES)}` : ''}`,
    );
    console.log(
      'Source: the ACS emulator (loopback, HMAC-signed, synthetic bytes); sink: Azurite 3.35 (--location on disk).\n',
    );
    const cases: CaseReport[] = [];
    for (const spec of CASES) cases.push(await measureCase(work, emulator, spec));
    const resume =
      process.env.BENCH_RESUME === '0' ? undefined : await measureResume(work, emulator, settings.blockSizeBytes);
    const acknowledgement = process.env.BENCH_ACK === '0' ? undefined : await measureAcknowledgement(work, emulator);
    const coldStart = process.env.BENCH_COLD === '0' ? undefined : await measureColdStart();
    const report: BenchReport = {
      createdAt: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        loadAverage: os.loadavg(),
      },
      quick,
      runsPerCase: RUNS,
      settings: {
        blockSizeMiB: settings.blockSizeBytes / MiB,
        blocksInFlight: settings.blocksInFlight,
        overrides: OVERRIDES,
      },
      cases,
      resume,
      acknowledgement,
      coldStart,
    };
    writeReport(report, path.join(repoRoot(), 'dev', 'bench', 'results'), process.env.BENCH_TAG ?? 'latest');
  } finally {
    await emulator?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function baseEnv(emulator: AcsEmulator, connectionString: string, name: string): Record<string, string> {
  return {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: connectionString,
    AzureWebJobsStorage: connectionString,
    ARCHIVE_CONTAINER: `${name}-archive`,
    CONTROL_CONTAINER: `${name}-control`,
    ARCHIVE_QUEUE: `${name}-chunks`,
  };
}

async function measureCase(work: string, emulator: AcsEmulator, spec: CaseSpec): Promise<CaseReport> {
  process.stdout.write(`${spec.label}: preparing the source (SHA-256)... `);
  const files = await emulator.createRecordingFiles({ chunks: spec.chunks.map((size) => ({ size })), seed: spec.id });
  console.log('ready');
  const bytes = spec.chunks.reduce((a, b) => a + b, 0);
  // The queue case's baselines move as many chunks at once as the host runs archiveChunk (with BENCH_ENV's settings).
  const parallel = spec.path === 'queue' ? hostQueueConcurrency(OVERRIDES) : 1;
  const hash = await runCase({ kind: 'hash', size: bytes });
  const hashCpuPerGiB = hash.cpuSeconds / (bytes / GiB);
  console.log(`  SHA-256 + MD5 alone: ${hashCpuPerGiB.toFixed(2)} CPU s/GiB; ${parallel} chunk(s) at once`);
  const runs = Object.fromEntries([...ALL_KINDS, ...KINDS].map((k) => [k, []])) as unknown as CaseReport['runs'];
  for (let run = 0; run < RUNS; run++) {
    const azurite = await freshAzurite(work, `${spec.id}-${run}`);
    const order = KINDS.map((_, i) => KINDS[(i + run) % KINDS.length]!);
    process.stdout.write(`  run ${run + 1}/${RUNS}:`);
    try {
      for (const kind of order) {
        const result = await measureKind(kind, spec, files, azurite, emulator, run, parallel);
        (runs[kind] ??= []).push(result);
        process.stdout.write(
          ` ${kind} ${(result.bytes / 1e6 / result.seconds).toFixed(0)} MB/s${result.exact === false ? ' NOT EXACT' : ''};`,
        );
        emulator.clearRequests();
      }
    } finally {
      await azurite.dispose();
    }
    console.log('');
  }
  return {
    id: spec.id,
    label: spec.label,
    path: spec.path,
    bytes,
    chunks: spec.chunks.length,
    parallel,
    hashCpuPerGiB,
    runs,
  };
}

async function measureKind(
  kind: Kind,
  spec: CaseSpec,
  files: RecordingFiles,
  azurite: AzuriteHandle,
  emulator: AcsEmulator,
  run: number,
  parallel: number,
): Promise<RunResult> {
  const variant = kind.startsWith('archiver@') ? kind.slice('archiver@'.length) : undefined;
  const env = {
    ...baseEnv(emulator, azurite.connectionString, `${variant ? `variant-${variant}` : kind}-${run}`.toLowerCase()),
    ...OVERRIDES,
    ...(variant && VARIANTS[variant]),
  };
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    env.ARCHIVE_CONTAINER!,
  );
  const locations = files.chunks.map((c) => c.contentLocation);
  let result: RunResult;
  switch (variant ? 'archiver' : kind) {
    case 'source':
      result = await runCase({ kind: 'source', env, locations, parallel });
      break;
    case 'sink':
      await container.create();
      result = await runCase({ kind: 'sink', env, sizes: spec.chunks, parallel });
      break;
    case 'plain':
    case 'naive':
      await container.create();
      result = await runCase({ kind: kind as 'plain' | 'naive', env, locations, parallel });
      break;
    case 'archiver': {
      const event = emulator.recordingFileStatusEvent(files, { id: `bench-${spec.id}-${run}` });
      if (spec.path === 'queue') {
        const queueRun = await runQueuePath({
          env,
          event,
          bytes: spec.chunks.reduce((a, b) => a + b, 0),
          profileDir: PROFILE && `${PROFILE}/host${variant ? `@${variant}` : ''}`,
        });
        result = { ...queueRun };
      } else {
        result = await runCase({ kind: 'archiver', env, event }, kind);
      }
      result.exact = VERIFY ? await verifyArchive(container, files) : undefined;
      break;
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
  await container.deleteIfExists();
  return {
    bytes: result.bytes,
    seconds: result.seconds,
    cpuSeconds: result.cpuSeconds,
    peakRssMiB: result.peakRssMiB,
    ...(result.exact !== undefined && { exact: result.exact }),
    ...(result.endToEndSeconds !== undefined && {
      endToEndSeconds: result.endToEndSeconds,
      queueWaitSeconds: result.queueWaitSeconds,
      maxConcurrent: result.maxConcurrent,
    }),
  };
}

/** Every archived blob read back from Azurite: its SHA-256 is the source's, and the manifest says archived. */
async function verifyArchive(
  container: ReturnType<BlobServiceClient['getContainerClient']>,
  files: RecordingFiles,
): Promise<boolean> {
  const store = new ArchiveStore(container);
  const refs: { callId: string; recordingKey: string }[] = [];
  for await (const ref of store.manifestRefs(files.callId)) refs.push(ref);
  if (refs.length !== 1) return false;
  const manifest = (await store.readManifest(refs[0]!.callId, refs[0]!.recordingKey))?.manifest;
  if (manifest?.status !== 'complete') return false;
  for (const chunk of files.chunks) {
    const entry = manifest.chunks.find((c) => c.index === chunk.index);
    if (!entry || entry.status !== 'archived' || entry.sha256 !== chunk.sha256) return false;
    const hash = createHash('sha256');
    const body = (await container.getBlobClient(entry.blob).download()).readableStreamBody!;
    for await (const piece of body as AsyncIterable<Buffer>) hash.update(piece);
    if (hash.digest('hex') !== chunk.sha256) return false;
  }
  return true;
}

async function measureResume(work: string, emulator: AcsEmulator, blockSize: number): Promise<BenchReport['resume']> {
  process.stdout.write(`\nresume: ${sizeLabel(RESUME_SIZE)} with a reset at 50 % (+5 MB, inside a block)... `);
  const files = await emulator.createRecordingFiles({ chunks: [{ size: RESUME_SIZE }], seed: 'resume' });
  const doc = files.chunks[0]!.documentId;
  const azurite = await freshAzurite(work, 'resume');
  try {
    const clean = await runCase({
      kind: 'archiver',
      env: { ...baseEnv(emulator, azurite.connectionString, 'clean'), ...OVERRIDES },
      event: emulator.recordingFileStatusEvent(files, { id: 'resume-clean' }),
    });
    // Half-way plus an odd offset, so the reset lands inside a block (the worst case for re-downloaded bytes).
    emulator.setFault(doc, { kind: 'reset', afterBytes: RESUME_SIZE / 2 + 5_000_003 });
    emulator.clearRequests();
    const resumed = await runCase({
      kind: 'archiver',
      env: { ...baseEnv(emulator, azurite.connectionString, 'reset'), ...OVERRIDES, ARCHIVE_RETRY_BASE_MS: '0' },
      event: emulator.recordingFileStatusEvent(files, { id: 'resume-reset' }),
    });
    const gets = emulator.requests.filter(
      (r) => r.method === 'GET' && r.path.includes(doc) && !r.path.endsWith('acsmetadata'),
    );
    const downloaded = gets.reduce((n, r) => n + r.bytesSent, 0);
    const exact = (resumed.detail as ArchivedChunk[])[0]?.sha256 === files.chunks[0]!.sha256;
    console.log('done');
    return {
      bytes: RESUME_SIZE,
      blockSizeBytes: blockSize,
      requests: gets.length,
      ranges: gets.map((r) => r.range ?? 'none'),
      refetchedBytes: downloaded - RESUME_SIZE,
      cleanSeconds: clean.seconds,
      resetSeconds: resumed.seconds,
      exact,
    };
  } finally {
    await azurite.dispose();
  }
}

/** One big chunk (2 GiB; 64 MiB when quick) delivered to the local host: the answer comes before its bytes move. */
async function measureAcknowledgement(work: string, emulator: AcsEmulator): Promise<BenchReport['acknowledgement']> {
  const bytes = quick ? 64 * MiB : 2 * GiB;
  process.stdout.write(`acknowledgement: one ${sizeLabel(bytes)} chunk through the host... `);
  const files = await emulator.createRecordingFiles({ chunks: [{ size: bytes }], seed: 'ack' });
  const azurite = await freshAzurite(work, 'ack');
  try {
    const run = await runQueuePath({
      env: { ...baseEnv(emulator, azurite.connectionString, 'ack'), ...OVERRIDES },
      event: emulator.recordingFileStatusEvent(files, { id: 'ack' }),
      bytes,
    });
    console.log(`answered in ${Math.round(run.ackSeconds * 1000)} ms`);
    return { bytes, ackSeconds: run.ackSeconds, endToEndSeconds: run.endToEndSeconds };
  } finally {
    await azurite.dispose();
  }
}

async function measureColdStart(): Promise<BenchReport['coldStart']> {
  process.stdout.write('cold start... ');
  const app: CaseResult[] = [];
  const reference: CaseResult[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      app.push(await runCase({ kind: 'coldstart-app', appRoot: repoRoot() }));
      reference.push(await runCase({ kind: 'coldstart-reference' }));
    }
  } catch (error) {
    console.log('failed');
    return { error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
  console.log('done\n');
  return {
    app: app.map((r) => ({ seconds: r.seconds, peakRssMiB: r.peakRssMiB })),
    reference: reference.map((r) => ({ seconds: r.seconds, peakRssMiB: r.peakRssMiB })),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
