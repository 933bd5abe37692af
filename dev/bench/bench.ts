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
import { treeCpuSeconds } from './procStat';
import { runOrder } from './order';
import { hostQueueConcurrency, runQueuePath } from './queuePath';
import { writeReport, type BenchReport, type CaseReport, type Kind, type RunResult } from './report';

/**
 * `npm run bench`: the product as Azure runs it, against the least a verified copy can do on this machine, measured
 * in the same runs on loopback (Azurite + the ACS emulator's deterministic synthetic chunks). A benchmark, not a test:
 * it prints numbers and never fails on speed.
 *
 * Every case runs BENCH_RUNS times (default 3). Every measurement gets a fresh Azurite (Azurite slows down as it
 * fills: its CPU per GiB grows about 3x over 5 GiB, so whoever came second on a shared one would look slower) and a
 * fresh child process. In each run:
 * - archiver: the product served: the local Functions host (`npm run serve`'s serve.js, the compiled app), one Event
 *   Grid delivery per recording, archiveChunk copying from the queue; CPU and RSS of the host's process tree;
 * - lean: the floor (lean.ts), just before and just after the product: the ratios to it are the run's figures;
 * - source: the emulator's download rate alone; sink: Azurite's ingest rate alone. min(source, sink) is the machine;
 * - inprocess: the product's code in one process without the host (its difference to archiver is the host's share);
 * - plain: the SDK's uploadStream of the download body (streams, no hashes); naive: a temporary file, then upload.
 * The baselines and the lean-product-lean group rotate in order from run to run.
 *
 * Settings: BENCH_QUICK=1 (small sizes), BENCH_RUNS=N, BENCH_CASES=id,id (512m,1g,2g,queue,many),
 * BENCH_KINDS=lean,archiver,..., BENCH_ENV='{"ARCHIVE_BLOCK_SIZE_MIB":"16"}' (app settings for the product and its
 * peers), BENCH_VARIANTS='{"name":{"SETTING":"value"}}' (more product kinds, `archiver@name`, measured between the same
 * two leans), BENCH_PROFILE=DIR (V8 CPU profiles of every product and lean process, DIR/<case>/<kind>), BENCH_VERIFY=0
 * (skip reading the archive back), BENCH_TAG=name (dev/bench/results/<name>.json|.svg|.md; default latest),
 * BENCH_RESUME=0, BENCH_COLD=0.
 */

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const quick = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OVERRIDES = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
const PROFILE = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const VERIFY = process.env.BENCH_VERIFY !== '0';
const VARIANTS = JSON.parse(process.env.BENCH_VARIANTS ?? '{}') as Record<string, Record<string, string>>;
const BASELINES: Kind[] = ['source', 'sink', 'inprocess', 'plain', 'naive'];
const ALL_KINDS: Kind[] = ['lean', 'archiver', ...BASELINES];
const KINDS = new Set<Kind>([
  ...((process.env.BENCH_KINDS?.split(',') as Kind[] | undefined) ?? ALL_KINDS),
  ...Object.keys(VARIANTS).map((name): Kind => `archiver@${name}`),
]);

interface CaseSpec {
  id: string;
  label: string;
  /** Chunk sizes, per recording. */
  recordings: number[][];
  path: CaseReport['path'];
}

const sizeLabel = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);
const single = (size: number, id: string): CaseSpec => ({
  id,
  label: `1 x ${sizeLabel(size)}`,
  recordings: [[size]],
  path: 'served',
});
const queued = (count: number, size: number): CaseSpec => ({
  id: 'queue',
  label: `${count} x ${sizeLabel(size)} (queue)`,
  recordings: [Array<number>(count).fill(size)],
  path: 'queue',
});
const many = (recordings: number, chunks: number, size: number): CaseSpec => ({
  id: 'many',
  label: `${recordings} x ${chunks} x ${sizeLabel(size)} (recordings)`,
  recordings: Array.from({ length: recordings }, () => Array<number>(chunks).fill(size)),
  path: 'many',
});
const CASES: CaseSpec[] = (
  quick
    ? [single(16 * MiB, '16m'), single(64 * MiB, '64m'), queued(4, 16 * MiB), many(4, 2, 4 * MiB)]
    : [single(512 * MiB, '512m'), single(GiB, '1g'), single(2 * GiB, '2g'), queued(8, 256 * MiB), many(24, 2, 32 * MiB)]
).filter((c) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(c.id));
const DEV_CONNECTION_STRING = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/${AZURITE_ACCOUNT};QueueEndpoint=http://127.0.0.1:10001/${AZURITE_ACCOUNT};`;
const RESUME_SIZE = quick ? 64 * MiB : 512 * MiB;

async function runCase(task: BenchTask, profileDir?: string): Promise<CaseResult> {
  const script = path.join(__dirname, 'case.js');
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
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
      'Source: the ACS emulator (loopback, HMAC-signed, synthetic bytes); sink: Azurite 3.35 (--location on disk), fresh for every measurement.\n',
    );
    const cases: CaseReport[] = [];
    for (const spec of CASES) cases.push(await measureCase(work, emulator, spec));
    const resume =
      process.env.BENCH_RESUME === '0' ? undefined : await measureResume(work, emulator, settings.blockSizeBytes);
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
  const recordings: RecordingFiles[] = [];
  for (const [i, chunks] of spec.recordings.entries()) {
    recordings.push(
      await emulator.createRecordingFiles({ chunks: chunks.map((size) => ({ size })), seed: `${spec.id}-${i}` }),
    );
  }
  console.log('ready');
  const bytes = spec.recordings.flat().reduce((a, b) => a + b, 0);
  // The queue cases' baselines move as many chunks at once as the host runs archiveChunk (with BENCH_ENV's settings).
  const parallel = spec.path === 'served' ? 1 : hostQueueConcurrency(OVERRIDES);
  const hash = await runCase({ kind: 'hash', size: Math.min(bytes, 2 * GiB) });
  const hashCpuPerGiB = hash.cpuSeconds / (Math.min(bytes, 2 * GiB) / GiB);
  console.log(`  SHA-256 + MD5 alone: ${hashCpuPerGiB.toFixed(2)} CPU s/GiB; ${parallel} chunk(s) at once`);
  const runs: CaseReport['runs'] = {};
  for (let run = 0; run < RUNS; run++) {
    process.stdout.write(`  run ${run + 1}/${RUNS}:`);
    for (const { kind, when } of runOrder(KINDS, BASELINES, run)) {
      if (kind === 'inprocess' && spec.path === 'many') continue; // one process for many recordings says nothing new
      const azurite = await freshAzurite(work, `${spec.id}-${run}-${kind}-${when ?? ''}`.replace(/[^a-z0-9-]/gi, '_'));
      try {
        const result = await measureKind(kind, spec, recordings, azurite, emulator, run);
        (runs[kind] ??= []).push({ ...result, run, ...(when && { when }) });
        process.stdout.write(
          ` ${kind}${when ? `(${when})` : ''} ${(result.bytes / 1e6 / result.seconds).toFixed(0)} MB/s ${(result.cpuSeconds / (result.bytes / GiB)).toFixed(2)} s/GiB${result.exact === false ? ' NOT EXACT' : ''};`,
        );
      } finally {
        emulator.clearRequests();
        await azurite.dispose();
      }
    }
    console.log('');
  }
  return {
    id: spec.id,
    label: spec.label,
    path: spec.path,
    bytes,
    chunks: spec.recordings.flat().length,
    recordings: spec.recordings.length,
    parallel,
    hashCpuPerGiB,
    runs,
  };
}

async function measureKind(
  kind: Kind,
  spec: CaseSpec,
  recordings: RecordingFiles[],
  azurite: AzuriteHandle,
  emulator: AcsEmulator,
  run: number,
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
  const chunks = recordings.flatMap((r) => r.chunks);
  const locations = chunks.map((c) => c.contentLocation);
  const parallel = spec.path === 'served' ? 1 : hostQueueConcurrency(env);
  const events = recordings.map((files, i) =>
    emulator.recordingFileStatusEvent(files, { id: `${spec.id}-${run}-${i}` }),
  );
  const profileDir = PROFILE && `${PROFILE}/${spec.id}/${kind}`;
  const peers = peerCpu(azurite);
  const started = process.hrtime.bigint();
  let result: RunResult;
  switch (variant ? 'archiver' : kind) {
    case 'source':
      result = await runCase({ kind: 'source', env, locations, parallel });
      break;
    case 'sink':
      await container.create();
      result = await runCase({ kind: 'sink', env, sizes: chunks.map((c) => c.size), parallel });
      break;
    case 'lean':
      await container.create();
      result = await runCase(
        { kind: 'lean', env, locations, sha256s: chunks.map((c) => c.sha256), parallel },
        profileDir,
      );
      // A lean copy that finishes has checked its own digests (lean.ts throws otherwise).
      result.exact = true;
      break;
    case 'plain':
    case 'naive':
      await container.create();
      result = await runCase({ kind: kind as 'plain' | 'naive', env, locations, parallel });
      break;
    case 'inprocess':
      result = await runCase({ kind: 'archiver', env, events }, profileDir);
      result.exact = VERIFY ? await verifyArchive(container, recordings) : undefined;
      break;
    case 'archiver':
      result = await runQueuePath({ env, events, bytes: chunks.reduce((n, c) => n + c.size, 0), profileDir });
      result.exact = VERIFY ? await verifyArchive(container, recordings) : undefined;
      break;
    default:
      throw new Error(`unknown kind ${kind}`);
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { detail: _detail, ...measured } = result as RunResult & { detail?: unknown };
  return { ...measured, peerCpu: peers.used(), wallSeconds };
}

/** CPU seconds of Azurite's processes and of this process (the emulator serves from here) from now on. */
function peerCpu(azurite: AzuriteHandle): { used(): { azurite: number; source: number } } {
  const azuriteCpu = () => azurite.processes.reduce((n, p) => n + (p.pid ? treeCpuSeconds(p.pid) : 0), 0);
  const azuriteBefore = azuriteCpu();
  const before = process.cpuUsage();
  return {
    used: () => {
      const own = process.cpuUsage(before);
      return { azurite: azuriteCpu() - azuriteBefore, source: (own.user + own.system) / 1e6 };
    },
  };
}

/** Every archived blob read back from Azurite: its SHA-256 is the source's, and every manifest says archived. */
async function verifyArchive(
  container: ReturnType<BlobServiceClient['getContainerClient']>,
  recordings: RecordingFiles[],
): Promise<boolean> {
  const store = new ArchiveStore(container);
  for (const files of recordings) {
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
      events: [emulator.recordingFileStatusEvent(files, { id: 'resume-clean' })],
    });
    // Half-way plus an odd offset, so the reset lands inside a block (the worst case for re-downloaded bytes).
    emulator.setFault(doc, { kind: 'reset', afterBytes: RESUME_SIZE / 2 + 5_000_003 });
    emulator.clearRequests();
    const resumed = await runCase({
      kind: 'archiver',
      env: { ...baseEnv(emulator, azurite.connectionString, 'reset'), ...OVERRIDES, ARCHIVE_RETRY_BASE_MS: '0' },
      events: [emulator.recordingFileStatusEvent(files, { id: 'resume-reset' })],
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
