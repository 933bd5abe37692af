import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CaseResult } from '../../../../dev/bench/case';
import { hostQueueConcurrency } from '../../../../dev/bench/queuePath';
import { chartOf, reportLines, type BenchReport, type CaseReport } from '../../../../dev/bench/report';
import { REPO_ROOT } from '../../../helpers/paths';

/**
 * The benchmark's honesty, without running it: the queue case's baselines move as many chunks at once as the host
 * runs archiveChunk, the hashing floor it draws is measured, and a failed start leaves nothing behind.
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
    const runs = { source: [], sink: [], archiver: [], plain: [], naive: [] };
    const cases: CaseReport[] = [
      { id: 'a', label: '1 x 16 MiB', path: 'in-process', bytes: 1, chunks: 1, parallel: 1, hashCpuPerGiB: 1.21, runs },
      {
        id: 'b',
        label: '4 x 16 MiB (queue)',
        path: 'queue',
        bytes: 1,
        chunks: 4,
        parallel: 6,
        hashCpuPerGiB: 1.37,
        runs,
      },
    ];
    const report: BenchReport = {
      createdAt: '2026-01-01T00:00:00.000Z',
      machine: { cores: 2, cpu: 'test', node: 'v20', loadAverage: [0, 0, 0] },
      quick: true,
      runsPerCase: 1,
      settings: { blockSizeMiB: 8, blocksInFlight: 4, overrides: {} },
      cases,
    };
    const svg = chartOf(report);
    expect(svg).toContain('SHA-256 + MD5 alone 1.29');
    expect(svg).not.toMatch(/alone ~?2\.3\b/);
    const text = reportLines(report).join('\n');
    expect(text).toContain('1 x 16 MiB: source -, sink -, hashes alone 1.21');
    expect(text).toContain('4 x 16 MiB (queue): source -, sink -, hashes alone 1.37');
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
