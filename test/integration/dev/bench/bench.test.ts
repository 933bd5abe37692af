import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import type { CaseResult } from '../../../../dev/bench/case';
import { runOrder } from '../../../../dev/bench/order';
import { hostQueueConcurrency } from '../../../../dev/bench/queuePath';
import {
  chartOf,
  floorRatios,
  reportLines,
  type BenchReport,
  type CaseReport,
  type Kind,
  type RunResult,
} from '../../../../dev/bench/report';
import { startEmulator } from '../../../../dev/emulator';
import { azuriteConnectionString } from '../../../helpers/archiveHarness';
import { REPO_ROOT } from '../../../helpers/paths';

/**
 * The benchmark's honesty, without running it: the queue case's baselines move as many chunks at once as the host
 * runs archiveChunk, the hashing floor it draws is measured, the product is measured between two leans and its ratios
 * are taken to them, the lean copy checks its own digests, and a failed start leaves nothing behind.
 */

const root = REPO_ROOT;
const dist = path.join(root, 'dist-dev', 'dev', 'bench');
const run = promisify(execFile);

describe('the queue case', () => {
  it('runs its baselines as many chunks at once as the host runs archiveChunk: batchSize + newBatchThreshold', () => {
    const hostJson = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as {
      extensions: { queues: { batchSize: number; newBatchThreshold: number } };
    };
    const { queues } = hostJson.extensions;
    expect(hostQueueConcurrency({})).toBe(queues.batchSize + queues.newBatchThreshold);
    // BENCH_ENV reaches the host as app settings, host.json overrides included.
    const override = { AzureFunctionsJobHost__extensions__queues__batchSize: '8' };
    expect(hostQueueConcurrency(override)).toBe(8 + queues.newBatchThreshold);
  });
});

describe('the hashing floor', () => {
  it('is measured: SHA-256 + MD5 of the bytes in a child process, the CPU of the hashing only', async () => {
    const size = 32 * 1024 * 1024;
    const { stdout } = await run(process.execPath, [
      path.join(dist, 'case.js'),
      JSON.stringify({ kind: 'hash', size }),
    ]);
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as CaseResult;
    expect(result.bytes).toBe(size);
    expect(result.cpuSeconds).toBeGreaterThan(0);
    expect(result.cpuSeconds).toBeLessThanOrEqual(result.seconds * os.availableParallelism() + 0.05);
  });

  it('is reported and drawn as measured in the run, not as a fixed number', () => {
    const runs = {};
    const cases: CaseReport[] = [
      { ...caseOf('a', '1 x 16 MiB', runs), hashCpuPerGiB: 1.21 },
      { ...caseOf('b', '4 x 16 MiB (queue)', runs), path: 'queue', chunks: 4, parallel: 6, hashCpuPerGiB: 1.37 },
    ];
    const svg = chartOf(reportOf(cases));
    expect(svg).toContain('SHA-256 + MD5 alone 1.29');
    expect(svg).not.toMatch(/alone ~?2\.3\b/);
    const text = reportLines(reportOf(cases)).join('\n');
    expect(text).toMatch(/\| 1 x 16 MiB \|[^\n]*\| 1\.21 \|/);
    expect(text).toMatch(/\| 4 x 16 MiB \(queue\) \|[^\n]*\| 1\.37 \|/);
  });
});

function caseOf(id: string, label: string, runs: CaseReport['runs']): CaseReport {
  return { id, label, path: 'served', bytes: 1, chunks: 1, recordings: 1, parallel: 1, hashCpuPerGiB: 1, runs };
}

function reportOf(cases: CaseReport[]): BenchReport {
  return {
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { cores: 2, cpu: 'test', node: 'v20', loadAverage: [0, 0, 0] },
    quick: true,
    runsPerCase: 1,
    settings: { blockSizeMiB: 8, blocksInFlight: 4, overrides: {} },
    cases,
  };
}

const GiB = 1024 ** 3;
/** One measurement of `gib` GiB that took `seconds` and `cpu` CPU seconds. */
const measured = (run: number, gib: number, seconds: number, cpu: number, when?: 'before' | 'after'): RunResult => ({
  run,
  ...(when && { when }),
  bytes: gib * GiB,
  seconds,
  cpuSeconds: cpu,
  peakRssMiB: 150,
});

describe('the floor', () => {
  it('puts the product between two leans in every run, and rotates the groups from run to run', () => {
    const kinds = new Set<Kind>(['lean', 'archiver', 'archiver@sdk', 'source', 'sink']);
    const orders = [0, 1, 2].map((run) => runOrder(kinds, ['source', 'sink', 'inprocess'], run));
    for (const order of orders) {
      const names = order.map((o) => `${o.kind}${o.when ? `(${o.when})` : ''}`);
      const at = names.indexOf('lean(before)');
      expect(names.slice(at, at + 4)).toEqual(['lean(before)', 'archiver', 'archiver@sdk', 'lean(after)']);
      expect([...names].sort()).toEqual(['archiver', 'archiver@sdk', 'lean(after)', 'lean(before)', 'sink', 'source']);
    }
    expect(new Set(orders.map((order) => order[0]!.kind)).size).toBe(3);
  });

  it('takes each ratio to the leans of the same run (both together), then the median over the runs', () => {
    const c = caseOf('x', '1 x 1 GiB', {
      // run 0: leans of 1 GiB in 5 s and 7 s (2 GiB in 12 s: 178.96 MB/s), 4 and 6 CPU s (5 s/GiB)
      lean: [measured(0, 1, 5, 4, 'before'), measured(0, 1, 7, 6, 'after'), measured(1, 1, 10, 5, 'before')],
      // run 1: one lean only (10 s, 5 CPU s); a product with no lean in its run (run 2) has no ratio
      archiver: [measured(0, 1, 6.6, 5.5), measured(1, 1, 12.5, 6), measured(2, 1, 1, 1)],
    });
    const ratios = floorRatios(c)!;
    expect(ratios.runs).toBe(2);
    // run 0: (GiB / 6.6 s) / (2 GiB / 12 s) = 12 / 13.2; run 1: 10 / 12.5
    expect(ratios.mbps.min).toBeCloseTo(10 / 12.5, 6);
    expect(ratios.mbps.max).toBeCloseTo(12 / 13.2, 6);
    // run 0: 5.5 / 5; run 1: 6 / 5
    expect(ratios.cpu.min).toBeCloseTo(1.1, 6);
    expect(ratios.cpu.max).toBeCloseTo(1.2, 6);
    expect(ratios.cpu.median).toBeCloseTo(1.15, 6);
    const text = reportLines(reportOf([c])).join('\n');
    expect(text).toContain('| 1 x 1 GiB |');
    expect(text).toMatch(/CPU 1\.15 x lean \(<= 1\.1: ABOVE\)/);
  });

  it('is a copy that checks its own digests: a wrong expected SHA-256 fails it', async () => {
    const emulator = await startEmulator();
    const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
      `lean-${randomUUID().slice(0, 8)}`,
    );
    try {
      await container.create();
      const size = 3 * 1024 * 1024 + 17;
      const files = await emulator.createRecordingFiles({ chunks: [{ size }] });
      const chunk = files.chunks[0]!;
      const env = {
        ACS_CONNECTION_STRING: emulator.connectionString,
        ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
        ARCHIVE_CONTAINER: container.containerName,
        ARCHIVE_BLOCK_SIZE_MIB: '1',
      };
      const task = (sha256: string) =>
        JSON.stringify({ kind: 'lean', env, locations: [chunk.contentLocation], sha256s: [sha256], parallel: 1 });
      const { stdout } = await run(process.execPath, [path.join(dist, 'case.js'), task(chunk.sha256)]);
      expect((JSON.parse(stdout.trim().split('\n').pop()!) as CaseResult).bytes).toBe(size);
      const props = await container.getBlockBlobClient('lean-0').getProperties();
      expect(props.contentLength).toBe(size);
      await expect(run(process.execPath, [path.join(dist, 'case.js'), task('0'.repeat(64))])).rejects.toMatchObject({
        stderr: expect.stringContaining('the SHA-256 differs from the source'),
      });
    } finally {
      await container.deleteIfExists();
      await emulator.stop();
    }
  });
});

describe('a failed start', () => {
  it('removes the temporary folder when the emulator does not start', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cra-bench-test-'));
    try {
      const preload = path.join(tmp, 'failing-emulator.js');
      const emulatorModule = path.join(root, 'dist-dev', 'dev', 'emulator', 'index.js');
      writeFileSync(
        preload,
        `require(${JSON.stringify(emulatorModule)}).startEmulator = async () => { throw new Error('no emulator'); };\n`,
      );
      const work = path.join(tmp, 'tmpdir');
      mkdirSync(work); // an empty TMPDIR for the benchmark
      const bench = run(process.execPath, ['-r', preload, path.join(dist, 'bench.js')], {
        env: { ...process.env, TMPDIR: work, BENCH_QUICK: '1', BENCH_TAG: 'never-written' },
      });
      await expect(bench).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no emulator') });
      expect(readdirSync(work)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
