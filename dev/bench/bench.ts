import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../azurite';
import { repoRoot } from '../repoRoot';
import { startEmulator, type AcsEmulator } from '../emulator';
import type { BenchTask, CaseResult } from './case';

/**
 * `npm run bench`: the archiver against the limits of this machine, measured in one run on loopback (Azurite + the ACS
 * emulator's deterministic synthetic chunks). A benchmark, not a test: it prints numbers and never fails on speed.
 * Every case runs in a fresh child process (its CPU and peak RSS are its own). BENCH_QUICK=1 runs small sizes only.
 */

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const quick = process.env.BENCH_QUICK === '1';

const SINGLE_SIZES = quick ? [16 * MiB, 64 * MiB] : [64 * MiB, 512 * MiB, 2 * GiB];
const RECORDING = quick ? { chunks: 4, size: 16 * MiB } : { chunks: 8, size: 256 * MiB };
const RESUME_SIZE = quick ? 64 * MiB : 512 * MiB;

async function runCase(task: BenchTask): Promise<CaseResult> {
  const script = path.join(__dirname, 'case.js');
  // BENCH_PROFILE=DIR writes a V8 CPU profile of every case there (open in Chrome DevTools, or summarise by function).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const { stdout } = await execFileAsync(process.execPath, [...profile, script, JSON.stringify(task)], {
    maxBuffer: 16 * MiB,
  });
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as CaseResult;
}

const mbps = (r: CaseResult) => r.bytes / 1e6 / r.seconds;
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const sizeLabel = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);

interface Row {
  label: string;
  bytes: number;
  source: number;
  sink: number;
  archiver: CaseResult;
  naive: CaseResult;
  exact: boolean;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cra-bench-'));
  const azurite = await startAzurite({ location: path.join(work, 'azurite') });
  const emulator = await startEmulator();
  try {
    await measure(azurite.connectionString, emulator);
  } finally {
    await emulator.stop();
    await azurite.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function measure(azuriteConnectionString: string, emulator: AcsEmulator): Promise<void> {
  const service = BlobServiceClient.fromConnectionString(azuriteConnectionString);
  let containerCounter = 0;
  const freshEnv = async () => {
    const name = `bench-${++containerCounter}`;
    await service.getContainerClient(name).createIfNotExists();
    return {
      ACS_CONNECTION_STRING: emulator.connectionString,
      ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString,
      ARCHIVE_CONTAINER: name,
    };
  };
  const dropContainer = (env: Record<string, string>) =>
    service.getContainerClient(env.ARCHIVE_CONTAINER!).deleteIfExists();

  console.log(
    `call-recording-archiver benchmark — ${os.cpus().length} cores, Node ${process.version}, ${quick ? 'QUICK' : 'full'} sizes`,
  );
  console.log(
    'Source: ACS emulator (loopback, HMAC-signed, synthetic bytes); sink: Azurite 3.35 (--location on disk).\n',
  );

  const rows: Row[] = [];
  const cases = [
    ...SINGLE_SIZES.map((size) => ({ label: `1 x ${sizeLabel(size)}`, chunks: [size] })),
    {
      label: `${RECORDING.chunks} x ${sizeLabel(RECORDING.size)}`,
      chunks: Array(RECORDING.chunks).fill(RECORDING.size) as number[],
    },
  ];
  for (const c of cases) {
    process.stdout.write(`${c.label}: preparing (SHA-256 of the source)... `);
    const files = await emulator.createRecordingFiles({ chunks: c.chunks.map((size) => ({ size })), seed: c.label });
    const total = c.chunks.reduce((a, b) => a + b, 0);
    process.stdout.write('source... ');
    const sourceEnv = await freshEnv();
    const source = await runCase({
      kind: 'source',
      env: sourceEnv,
      locations: files.chunks.map((x) => x.contentLocation),
    });
    process.stdout.write('sink... ');
    const sinkEnv = await freshEnv();
    const sink = await runCase({ kind: 'sink', env: sinkEnv, sizes: c.chunks, blobPrefix: 'sink' });
    await dropContainer(sinkEnv);
    process.stdout.write('archiver... ');
    const archiveEnv = await freshEnv();
    const archiver = await runCase({
      kind: 'archiver',
      env: archiveEnv,
      event: emulator.recordingFileStatusEvent(files),
    });
    const archived = archiver.detail as { index: number; sha256: string }[];
    const exact = files.chunks.every((chunk) => archived.find((a) => a.index === chunk.index)?.sha256 === chunk.sha256);
    await dropContainer(archiveEnv);
    process.stdout.write('naive... ');
    const naiveEnv = await freshEnv();
    const naive = await runCase({
      kind: 'naive',
      env: naiveEnv,
      locations: files.chunks.map((x) => ({ content: x.contentLocation, blob: `naive-${x.index}` })),
    });
    await dropContainer(naiveEnv);
    await dropContainer(sourceEnv);
    emulator.clearRequests();
    console.log('done');
    rows.push({ label: c.label, bytes: total, source: mbps(source), sink: mbps(sink), archiver, naive, exact });
  }

  // Resume cost: a connection reset at 50 % of a chunk.
  process.stdout.write(`\nresume: ${sizeLabel(RESUME_SIZE)} with a reset at 50 % (+5 MB)... `);
  const resumeFiles = await emulator.createRecordingFiles({ chunks: [{ size: RESUME_SIZE }], seed: 'resume' });
  const cleanEnv = await freshEnv();
  emulator.clearRequests();
  const clean = await runCase({
    kind: 'archiver',
    env: cleanEnv,
    event: emulator.recordingFileStatusEvent(resumeFiles),
  });
  await dropContainer(cleanEnv);
  const resetEnv = await freshEnv();
  const doc = resumeFiles.chunks[0]!.documentId;
  // Half-way plus an odd offset, so the reset lands inside a block (the worst case for re-downloaded bytes).
  emulator.setFault(doc, { kind: 'reset', afterBytes: RESUME_SIZE / 2 + 5_000_003 });
  emulator.clearRequests();
  const resumed = await runCase({
    kind: 'archiver',
    env: { ...resetEnv, ARCHIVE_RETRY_BASE_MS: '0' },
    event: emulator.recordingFileStatusEvent(resumeFiles, { id: 'resume-event' }),
  });
  const contentRequests = emulator.requests.filter(
    (r) => r.method === 'GET' && r.path.includes(doc) && !r.path.endsWith('acsmetadata'),
  );
  const downloaded = contentRequests.reduce((n, r) => n + r.bytesSent, 0);
  const resumeExact = (resumed.detail as { sha256: string }[])[0]?.sha256 === resumeFiles.chunks[0]!.sha256;
  await dropContainer(resetEnv);
  console.log('done');

  // Cold start: load the compiled function app as a fresh worker does, against loading the official ACS client.
  process.stdout.write('cold start... ');
  const appRoot = repoRoot();
  const coldRuns = 5;
  const cold: CaseResult[] = [];
  const reference: CaseResult[] = [];
  let coldError = '';
  try {
    for (let i = 0; i < coldRuns; i++) {
      cold.push(await runCase({ kind: 'coldstart-app', appRoot }));
      reference.push(await runCase({ kind: 'coldstart-reference' }));
    }
  } catch (error) {
    coldError = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
  console.log('done\n');

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const lines: string[] = [];
  const out = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  out(
    '| case | source MB/s | sink MB/s | archiver MB/s | ratio to min(source, sink) | CPU s/GiB | peak RSS MiB | byte-exact | naive MB/s | naive peak RSS MiB |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const limit = Math.min(r.source, r.sink);
    out(
      `| ${r.label} | ${fmt(r.source)} | ${fmt(r.sink)} | ${fmt(mbps(r.archiver))} | ${fmt((mbps(r.archiver) / limit) * 100, 0)} % | ` +
        `${fmt(r.archiver.cpuSeconds / (r.bytes / GiB), 2)} | ${fmt(r.archiver.peakRssMiB, 0)} | ${r.exact ? 'yes' : 'NO'} | ` +
        `${fmt(mbps(r.naive))} | ${fmt(r.naive.peakRssMiB, 0)} |`,
    );
  }
  out();
  out('```');
  out('MB/s by case (each # = 10 MB/s)                      peak RSS MiB (each # = 10 MiB)');
  const bar = (value: number, unit: number) => '#'.repeat(Math.max(1, Math.round(value / unit)));
  for (const r of rows) {
    const line = (name: string, mbs: number, rss?: number) =>
      out(
        `${`${r.label} ${name}`.padEnd(22)} ${bar(mbs, 10).padEnd(30)} ${fmt(mbs).padStart(6)}   ${rss === undefined ? '' : `${bar(rss, 10).padEnd(22)} ${fmt(rss, 0)}`}`,
      );
    line('source', r.source);
    line('sink', r.sink);
    line('archiver', mbps(r.archiver), r.archiver.peakRssMiB);
    line('naive', mbps(r.naive), r.naive.peakRssMiB);
  }
  out('```');
  const single = rows.slice(0, SINGLE_SIZES.length);
  const smallRss = single[0]!.archiver.peakRssMiB;
  const largeRss = single[single.length - 1]!.archiver.peakRssMiB;
  out();
  out('Targets:');
  for (const r of rows) {
    const ratio = mbps(r.archiver) / Math.min(r.source, r.sink);
    out(
      `- ${r.label}: archiver >= 90 % of min(source, sink): ${fmt(ratio * 100, 0)} % ${ratio >= 0.9 ? 'MET' : 'BELOW'}`,
    );
  }
  out(
    `- peak RSS flat in chunk size: ${sizeLabel(SINGLE_SIZES[SINGLE_SIZES.length - 1]!)} ${fmt(largeRss, 0)} MiB vs ` +
      `${sizeLabel(SINGLE_SIZES[0]!)} ${fmt(smallRss, 0)} MiB (${fmt((largeRss / smallRss - 1) * 100, 0)} %; target within 20 % and under 200 MiB): ` +
      `${largeRss <= smallRss * 1.2 && largeRss < 200 ? 'MET' : 'BELOW'}`,
  );
  const refetched = downloaded - RESUME_SIZE;
  out(
    `- resume after a reset at 50 % (+5 MB, inside a block) of ${sizeLabel(RESUME_SIZE)}: ${contentRequests.length} requests, ranges ${JSON.stringify(contentRequests.map((r) => r.range ?? 'none'))}, ` +
      `bytes downloaded again ${refetched} (target <= one block, ${8 * MiB}): ${refetched <= 8 * MiB ? 'MET' : 'BELOW'}; ` +
      `time lost ${fmt(resumed.seconds - clean.seconds, 2)} s (${fmt(clean.seconds, 2)} s clean, ${fmt(resumed.seconds, 2)} s with the reset); byte-exact ${resumeExact ? 'yes' : 'NO'}`,
  );
  out(`- every archived blob byte-exact: ${rows.every((r) => r.exact) && resumeExact ? 'MET' : 'BELOW'}`);
  out();
  if (coldError) out(`Cold start: not measured (${coldError})`);
  else
    out(
      `Cold start (median of ${coldRuns} fresh processes): load the compiled function app ${fmt(median(cold.map((c) => c.seconds)) * 1000, 0)} ms, ` +
        `peak RSS ${fmt(median(cold.map((c) => c.peakRssMiB)), 0)} MiB; reference require('@azure/communication-call-automation') ` +
        `${fmt(median(reference.map((c) => c.seconds)) * 1000, 0)} ms, ${fmt(median(reference.map((c) => c.peakRssMiB)), 0)} MiB.`,
    );
  if (process.env.BENCH_OUTPUT) writeFileSync(process.env.BENCH_OUTPUT, `${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
