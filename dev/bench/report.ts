import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderChart, type ChartCase, type Spread } from './svgChart';

/** The benchmark's results: summaries, the printed table, the JSON and the SVG chart. */

/** The baselines, the archiver, and `archiver@<variant>` (BENCH_VARIANTS). */
export type BaseKind = 'source' | 'sink' | 'archiver' | 'plain' | 'naive';
export type Kind = BaseKind | `archiver@${string}`;

export interface RunResult {
  bytes: number;
  seconds: number;
  /** User + system CPU of the process (tree) that did the work. */
  cpuSeconds: number;
  peakRssMiB: number;
  /** The archive read back from Azurite has the source's SHA-256 (archiver runs; absent when not verified). */
  exact?: boolean;
  /** Queue path only: delivery to completion, delivery to the first archiveChunk, most archiveChunk at once. */
  endToEndSeconds?: number;
  queueWaitSeconds?: number;
  maxConcurrent?: number;
}

export interface CaseReport {
  id: string;
  label: string;
  path: 'in-process' | 'queue';
  bytes: number;
  chunks: number;
  /** How many chunks the baselines moved at once (the queue case: as many as the host runs archiveChunk). */
  parallel: number;
  /** CPU seconds per GiB of SHA-256 + MD5 of the case's bytes alone, measured in a child process of this run. */
  hashCpuPerGiB: number;
  runs: Record<BaseKind, RunResult[]> & Partial<Record<`archiver@${string}`, RunResult[]>>;
}

export interface BenchReport {
  createdAt: string;
  machine: { cores: number; cpu: string; node: string; loadAverage: number[] };
  quick: boolean;
  runsPerCase: number;
  settings: { blockSizeMiB: number; blocksInFlight: number; overrides: Record<string, string> };
  cases: CaseReport[];
  resume?: {
    bytes: number;
    blockSizeBytes: number;
    requests: number;
    ranges: string[];
    refetchedBytes: number;
    cleanSeconds: number;
    resetSeconds: number;
    exact: boolean;
  };
  /** One large chunk delivered to the host: how soon Event Grid gets its answer, and when the archive is complete. */
  acknowledgement?: { bytes: number; ackSeconds: number; endToEndSeconds: number };
  coldStart?:
    | { app: { seconds: number; peakRssMiB: number }[]; reference: { seconds: number; peakRssMiB: number }[] }
    | { error: string };
}

export interface KindSummary {
  mbps: Spread;
  cpuPerGiB: Spread;
  peakRssMiB: Spread;
}

const GiB = 1024 ** 3;
const CPU_TARGET = 3.0;
const RSS_LIMIT = 200;

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0] ?? NaN, median, max: sorted[sorted.length - 1] ?? NaN };
}

export function summarize(runs: readonly RunResult[]): KindSummary | undefined {
  if (runs.length === 0) return undefined;
  return {
    mbps: spread(runs.map((r) => r.bytes / 1e6 / r.seconds)),
    cpuPerGiB: spread(runs.map((r) => r.cpuSeconds / (r.bytes / GiB))),
    peakRssMiB: spread(runs.map((r) => r.peakRssMiB)),
  };
}

export function limitOf(c: CaseReport): number {
  const source = summarize(c.runs.source ?? [])?.mbps.median ?? Infinity;
  const sink = summarize(c.runs.sink ?? [])?.mbps.median ?? Infinity;
  return Math.min(source, sink);
}

const f = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const triple = (s: Spread | undefined, digits = 1) =>
  s ? `${f(s.min, digits)} / **${f(s.median, digits)}** / ${f(s.max, digits)}` : '-';

export function reportLines(report: BenchReport): string[] {
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(
    `Machine: ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}; ${report.runsPerCase} runs per case; ` +
      `blocks ${report.settings.blockSizeMiB} MiB x ${report.settings.blocksInFlight} in flight; load average at the end ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}.`,
  );
  out();
  out(
    '| case | source MB/s | sink MB/s | archiver MB/s min / **median** / max | ratio to min(source, sink) | archiver CPU s/GiB min / **median** / max | archiver peak RSS MiB (max) | plain streaming MB/s, CPU s/GiB | naive MB/s, CPU s/GiB | byte-exact |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const c of report.cases) {
    const s = (k: Kind) => summarize(c.runs[k] ?? []);
    const archiver = s('archiver');
    const limit = limitOf(c);
    const exact = c.runs.archiver.every((r) => r.exact !== false)
      ? c.runs.archiver.some((r) => r.exact)
        ? 'yes'
        : 'not checked'
      : 'NO';
    out(
      `| ${c.label} | ${f(s('source')?.mbps.median)} | ${f(s('sink')?.mbps.median)} | ${triple(archiver?.mbps)} | ` +
        `${archiver ? `${f((archiver.mbps.median / limit) * 100, 0)} %` : '-'} | ${triple(archiver?.cpuPerGiB, 2)} | ${f(archiver?.peakRssMiB.max, 0)} | ` +
        `${f(s('plain')?.mbps.median)}, ${f(s('plain')?.cpuPerGiB.median, 2)} | ${f(s('naive')?.mbps.median)}, ${f(s('naive')?.cpuPerGiB.median, 2)} | ${exact} |`,
    );
  }
  const rows = report.cases.flatMap((c) =>
    (Object.keys(c.runs) as Kind[])
      .filter((k) => k === 'archiver' || k.startsWith('archiver@'))
      .map((k) => ({ c, k, s: summarize(c.runs[k] ?? []), exact: (c.runs[k] ?? []).every((r) => r.exact !== false) })),
  );
  if (rows.some((r) => r.k !== 'archiver' && r.s)) {
    out();
    out(
      '| case | archiver variant (BENCH_VARIANTS) | MB/s min / **median** / max | ratio to min(source, sink) | CPU s/GiB min / **median** / max | peak RSS MiB (max) | byte-exact |',
    );
    out('|---|---|---|---|---|---|---|');
    for (const { c, k, s, exact } of rows) {
      if (!s) continue;
      out(
        `| ${c.label} | ${k === 'archiver' ? '(as configured)' : k.slice('archiver@'.length)} | ${triple(s.mbps)} | ` +
          `${f((s.mbps.median / limitOf(c)) * 100, 0)} % | ${triple(s.cpuPerGiB, 2)} | ${f(s.peakRssMiB.max, 0)} | ${exact ? 'yes' : 'NO'} |`,
      );
    }
  }
  out();
  out(
    'CPU seconds per GiB of the baselines (their own processes; medians) and of SHA-256 + MD5 alone (measured once per case): ' +
      report.cases
        .map(
          (c) =>
            `${c.label}: source ${f(summarize(c.runs.source ?? [])?.cpuPerGiB.median, 2)}, sink ${f(summarize(c.runs.sink ?? [])?.cpuPerGiB.median, 2)}, ` +
            `hashes alone ${f(c.hashCpuPerGiB, 2)}`,
        )
        .join('; ') +
      '.',
  );
  for (const c of report.cases.filter((x) => x.path === 'queue' && x.runs.archiver.length > 0)) {
    const runs = c.runs.archiver;
    out(
      `${c.label}: MB/s counted from the first archiveChunk invocation to RecordingComplete; the queue listener's polling ` +
        `added ${runs.map((r) => f(r.queueWaitSeconds, 2)).join(' / ')} s before it (end to end ` +
        `${runs.map((r) => f(r.bytes / 1e6 / r.endToEndSeconds!, 1)).join(' / ')} MB/s); up to ${Math.max(...runs.map((r) => r.maxConcurrent ?? 0))} archiveChunk at once ` +
        `(the baselines moved ${c.parallel} chunks at once: host.json batchSize + newBatchThreshold).`,
    );
  }
  out();
  out('Targets:');
  for (const c of report.cases) {
    const archiver = summarize(c.runs.archiver ?? []);
    if (!archiver) continue;
    const ratio = archiver.mbps.median / limitOf(c);
    out(
      `- ${c.label}: median ${f(ratio * 100, 0)} % of min(source, sink) (>= 90 %: ${ratio >= 0.9 ? 'MET' : 'BELOW'}); ` +
        `${f(archiver.cpuPerGiB.median, 2)} CPU s/GiB (<= ${CPU_TARGET}: ${archiver.cpuPerGiB.median <= CPU_TARGET ? 'MET' : 'ABOVE'}); ` +
        `peak RSS ${f(archiver.peakRssMiB.max, 0)} MiB (< ${RSS_LIMIT}: ${archiver.peakRssMiB.max < RSS_LIMIT ? 'MET' : 'ABOVE'})`,
    );
  }
  const singles = report.cases.filter((c) => c.path === 'in-process' && c.runs.archiver.length > 0);
  if (singles.length > 1) {
    const small = summarize(singles[0]!.runs.archiver)!.peakRssMiB.median;
    const large = summarize(singles[singles.length - 1]!.runs.archiver)!.peakRssMiB.median;
    out(
      `- peak RSS flat in chunk size: ${singles[singles.length - 1]!.label} ${f(large, 0)} MiB vs ${singles[0]!.label} ${f(small, 0)} MiB ` +
        `(${f((large / small - 1) * 100, 0)} %; within 20 %: ${large <= small * 1.2 ? 'MET' : 'BELOW'})`,
    );
  }
  const r = report.resume;
  if (r) {
    out(
      `- a reset inside a block (50 % + 5 MB of ${r.bytes / 1024 ** 2} MiB): ${r.requests} requests, ranges ${JSON.stringify(r.ranges)}, ` +
        `bytes downloaded again ${r.refetchedBytes} (<= one block, ${r.blockSizeBytes}: ${r.refetchedBytes <= r.blockSizeBytes ? 'MET' : 'ABOVE'}); ` +
        `${f(r.cleanSeconds, 2)} s clean, ${f(r.resetSeconds, 2)} s with the reset; byte-exact ${r.exact ? 'yes' : 'NO'}`,
    );
  }
  const a = report.acknowledgement;
  if (a) {
    out(
      `- a delivery answered fast whatever the chunk size: one ${a.bytes >= 1024 ** 3 ? `${a.bytes / 1024 ** 3} GiB` : `${a.bytes / 1024 ** 2} MiB`} chunk through the host, answered in ` +
        `${f(a.ackSeconds * 1000, 0)} ms (< 2 s: ${a.ackSeconds < 2 ? 'MET' : 'ABOVE'}); archive complete ${f(a.endToEndSeconds, 1)} s after the delivery`,
    );
  }
  const all = report.cases.flatMap((c) => c.runs.archiver);
  out(
    `- every archived blob read back byte-exact: ${all.every((x) => x.exact !== false) && (r?.exact ?? true) ? 'MET' : 'BELOW'}`,
  );
  const cold = report.coldStart;
  if (cold && 'error' in cold) out(`\nCold start: not measured (${cold.error})`);
  else if (cold) {
    const ms = (xs: { seconds: number }[]) => f(spread(xs.map((x) => x.seconds * 1000)).median, 0);
    const rss = (xs: { peakRssMiB: number }[]) => f(spread(xs.map((x) => x.peakRssMiB)).median, 0);
    out(
      `\nCold start (median of ${cold.app.length} fresh processes): load the compiled function app ${ms(cold.app)} ms, peak RSS ${rss(cold.app)} MiB; ` +
        `reference require('@azure/communication-call-automation') ${ms(cold.reference)} ms, ${rss(cold.reference)} MiB.`,
    );
  }
  return lines;
}

export function chartOf(report: BenchReport): string {
  const hashes = spread(report.cases.map((c) => c.hashCpuPerGiB)).median;
  const cases: ChartCase[] = report.cases.map((c) => ({
    label: c.label.replace(' (queue)', ' queue'),
    limitMbps: limitOf(c),
    series: Object.fromEntries(
      (['archiver', 'plain', 'naive'] as const).map((k) => {
        const s = summarize(c.runs[k] ?? []);
        return [k, s && { mbps: s.mbps, cpuPerGiB: s.cpuPerGiB }];
      }),
    ),
  }));
  return renderChart(cases, {
    title: 'call-recording-archiver: copy rate and CPU per GiB',
    subtitle:
      `${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, loopback: ACS emulator -> Azurite 3.35; ` +
      `${report.runsPerCase} runs per case; ${report.settings.blockSizeMiB} MiB blocks, ${report.settings.blocksInFlight} in flight; ${report.createdAt.slice(0, 10)}`,
    series: [
      { key: 'archiver', name: 'archiver (SHA-256 + MD5, resumable, verified)', colour: '#1f6fb2' },
      { key: 'plain', name: 'plain streaming (SDK uploadStream, no hashes)', colour: '#8fbf5a' },
      { key: 'naive', name: 'naive (temp file, then upload)', colour: '#b9b9b9' },
    ],
    cpuLines: [
      { value: CPU_TARGET, label: `target ${CPU_TARGET.toFixed(1)}` },
      // NOTE: measured in this run (median of the cases), not a number carried over from elsewhere.
      ...(Number.isFinite(hashes) ? [{ value: hashes, label: `SHA-256 + MD5 alone ${hashes.toFixed(2)}` }] : []),
    ],
  });
}

/** Prints the table and writes <dir>/<tag>.json, .md and .svg. */
export function writeReport(report: BenchReport, dir: string, tag: string): void {
  const lines = reportLines(report);
  console.log(lines.join('\n'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${tag}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(dir, `${tag}.md`), `${lines.join('\n')}\n`);
  writeFileSync(path.join(dir, `${tag}.svg`), chartOf(report));
  console.log(`\nWrote ${path.join(dir, `${tag}.json`)}, .md and .svg`);
}
