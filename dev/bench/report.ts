import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderChart, type ChartCase, type Spread } from './svgChart';

/** The benchmark's results: summaries, the printed table, the JSON and the SVG chart. */

/**
 * The baselines, the floor (lean), the product as Azure runs it (archiver: through the local Functions host), the
 * product in one process (inprocess), and `archiver@<variant>` (BENCH_VARIANTS).
 */
export type BaseKind = 'source' | 'sink' | 'lean' | 'archiver' | 'inprocess' | 'plain' | 'naive';
export type Kind = BaseKind | `archiver@${string}`;

export interface RunResult {
  /** Which run of the case (0-based): results of one run were measured next to each other. */
  run?: number;
  /** The lean floor runs twice per run, just before and just after the product. */
  when?: 'before' | 'after';
  bytes: number;
  seconds: number;
  /** User + system CPU of the process (tree) that did the work. */
  cpuSeconds: number;
  peakRssMiB: number;
  /** The archive read back from Azurite has the source's SHA-256 (archiver runs; absent when not verified). */
  exact?: boolean;
  /** Served path only: delivery to completion, delivery to the first archiveChunk, most archiveChunk at once. */
  endToEndSeconds?: number;
  queueWaitSeconds?: number;
  maxConcurrent?: number;
  /** Served path only: the slowest delivery's answer; each archiveChunk's duration; each chunk's delivery-to-done. */
  ackSeconds?: number;
  chunkSeconds?: number[];
  chunkLatencySeconds?: number[];
  /** CPU seconds of the others on the machine meanwhile: Azurite (its processes) and the emulator (the bench's). */
  peerCpu?: { azurite: number; source: number };
  /** Wall seconds of the whole measurement (what peerCpu is counted over). */
  wallSeconds?: number;
}

export interface CaseReport {
  id: string;
  label: string;
  /** served: one recording through the host; queue: its chunks in parallel; many: many recordings at once. */
  path: 'served' | 'queue' | 'many';
  bytes: number;
  chunks: number;
  recordings: number;
  /** How many chunks the baselines moved at once (the queue cases: as many as the host runs archiveChunk). */
  parallel: number;
  /** CPU seconds per GiB of SHA-256 + MD5 of the case's bytes alone, measured in a child process of this run. */
  hashCpuPerGiB: number;
  runs: Partial<Record<Kind, RunResult[]>>;
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
/** The targets against the same-run floor (issue: "at the floor, measured right"). */
export const TARGETS = { cpuRatio: 1.1, mbpsRatio: 0.95, rssMiB: 200, ackSeconds: 2 };

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0] ?? NaN, median, max: sorted[sorted.length - 1] ?? NaN };
}

/** The value below which `share` of the values lie (nearest rank). */
export function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? NaN;
}

const mbpsOf = (r: Pick<RunResult, 'bytes' | 'seconds'>) => r.bytes / 1e6 / r.seconds;
const cpuOf = (r: Pick<RunResult, 'bytes' | 'cpuSeconds'>) => r.cpuSeconds / (r.bytes / GiB);

export function summarize(runs: readonly RunResult[] | undefined): KindSummary | undefined {
  if (!runs || runs.length === 0) return undefined;
  return {
    mbps: spread(runs.map(mbpsOf)),
    cpuPerGiB: spread(runs.map(cpuOf)),
    peakRssMiB: spread(runs.map((r) => r.peakRssMiB)),
  };
}

/**
 * The lean floor of each run: its two measurements (before and after the product) taken together, bytes over
 * seconds and CPU over bytes, so that a drift of the machine during the run is split evenly around the product.
 */
export function floorRuns(c: CaseReport): RunResult[] {
  const byRun = new Map<number, RunResult[]>();
  for (const r of c.runs.lean ?? []) byRun.set(r.run ?? 0, [...(byRun.get(r.run ?? 0) ?? []), r]);
  return [...byRun].map(([run, rs]) => ({
    run,
    bytes: rs.reduce((n, r) => n + r.bytes, 0),
    seconds: rs.reduce((n, r) => n + r.seconds, 0),
    cpuSeconds: rs.reduce((n, r) => n + r.cpuSeconds, 0),
    peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
  }));
}

export interface FloorRatios {
  /** Product MB/s over the same run's lean MB/s, per run; and the product's CPU per GiB over the lean's. */
  mbps: Spread;
  cpu: Spread;
  runs: number;
}

/** The product's (or a variant's) ratios to the lean floor of the same run, then their spread over the runs. */
export function floorRatios(c: CaseReport, kind: Kind = 'archiver'): FloorRatios | undefined {
  const floors = new Map(floorRuns(c).map((f) => [f.run ?? 0, f]));
  const pairs = (c.runs[kind] ?? []).flatMap((r) => {
    const floor = floors.get(r.run ?? 0);
    return floor ? [{ mbps: mbpsOf(r) / mbpsOf(floor), cpu: cpuOf(r) / cpuOf(floor) }] : [];
  });
  if (pairs.length === 0) return undefined;
  return { mbps: spread(pairs.map((p) => p.mbps)), cpu: spread(pairs.map((p) => p.cpu)), runs: pairs.length };
}

export function limitOf(c: CaseReport): number {
  const source = summarize(c.runs.source)?.mbps.median ?? Infinity;
  const sink = summarize(c.runs.sink)?.mbps.median ?? Infinity;
  return Math.min(source, sink);
}

/** CPU the whole machine spent (product + Azurite + emulator) over the product run's wall time: cores kept busy. */
export function coresBusy(runs: readonly RunResult[] | undefined): Spread | undefined {
  const measured = (runs ?? []).filter((r) => r.peerCpu && r.wallSeconds);
  if (measured.length === 0) return undefined;
  return spread(measured.map((r) => (r.cpuSeconds + r.peerCpu!.azurite + r.peerCpu!.source) / r.wallSeconds!));
}

const f = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const triple = (s: Spread | undefined, digits = 1) =>
  s ? `${f(s.min, digits)} / **${f(s.median, digits)}** / ${f(s.max, digits)}` : '-';
const ratio = (s: Spread | undefined) => (s ? `**${f(s.median, 2)}** (${f(s.min, 2)}-${f(s.max, 2)})` : '-');

function exactness(runs: readonly RunResult[] | undefined): string {
  if (!runs || runs.length === 0) return '-';
  if (runs.some((r) => r.exact === false)) return 'NO';
  return runs.some((r) => r.exact) ? 'yes' : 'not checked';
}

export function reportLines(report: BenchReport): string[] {
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(
    `Machine: ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}; ${report.runsPerCase} runs per case, a fresh Azurite for every measurement; ` +
      `blocks ${report.settings.blockSizeMiB} MiB x ${report.settings.blocksInFlight} in flight; load average at the end ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}.`,
  );
  out();
  out(
    'The product as Azure runs it (Event Grid delivery -> local Functions host -> queue -> archiveChunk; CPU of the host process tree) against the lean floor (dev/bench/lean.ts) measured just before and just after it in the same run; ratios are per run, then their median (min-max):',
  );
  out();
  out(
    '| case | product MB/s | lean MB/s | **MB/s ratio** | product CPU s/GiB | lean CPU s/GiB | **CPU ratio** | product peak RSS MiB (max) | delivery answered, ms (max) | product / min(source, sink) | byte-exact (product, lean) |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of report.cases) {
    const product = summarize(c.runs.archiver);
    const lean = summarize(floorRuns(c));
    const ratios = floorRatios(c);
    const ack = Math.max(...(c.runs.archiver ?? []).map((r) => r.ackSeconds ?? NaN));
    out(
      `| ${c.label} | ${f(product?.mbps.median)} | ${f(lean?.mbps.median)} | ${ratio(ratios?.mbps)} | ` +
        `${f(product?.cpuPerGiB.median, 2)} | ${f(lean?.cpuPerGiB.median, 2)} | ${ratio(ratios?.cpu)} | ${f(product?.peakRssMiB.max, 0)} | ` +
        `${f(ack * 1000, 0)} | ${product ? `${f(product.mbps.median / limitOf(c), 2)}` : '-'} | ${exactness(c.runs.archiver)}, ${exactness(c.runs.lean)} |`,
    );
  }
  const variants = report.cases.flatMap((c) =>
    (Object.keys(c.runs) as Kind[]).filter((k) => k.startsWith('archiver@')).map((k) => ({ c, k })),
  );
  if (variants.length > 0) {
    out();
    out(
      '| case | variant (BENCH_VARIANTS) | MB/s min / **median** / max | MB/s ratio to lean | CPU s/GiB min / **median** / max | CPU ratio to lean | peak RSS MiB (max) | byte-exact |',
    );
    out('|---|---|---|---|---|---|---|---|');
    for (const { c, k } of variants) {
      const s = summarize(c.runs[k]);
      const r = floorRatios(c, k);
      out(
        `| ${c.label} | ${k.slice('archiver@'.length)} | ${triple(s?.mbps)} | ${ratio(r?.mbps)} | ${triple(s?.cpuPerGiB, 2)} | ` +
          `${ratio(r?.cpu)} | ${f(s?.peakRssMiB.max, 0)} | ${exactness(c.runs[k])} |`,
      );
    }
  }
  out();
  out('The same cases against the machine and the usual alternatives (medians; MB/s, CPU s/GiB of their own process):');
  out();
  out(
    '| case | source | sink | product served MB/s min / **median** / max | product served CPU s/GiB min / **median** / max | product in one process | plain streaming (SDK uploadStream, no hashes) | naive (temp file, then upload) | SHA-256 + MD5 alone, CPU s/GiB |',
  );
  out('|---|---|---|---|---|---|---|---|---|');
  for (const c of report.cases) {
    const s = (k: Kind) => summarize(c.runs[k]);
    const pair = (k: Kind) => (s(k) ? `${f(s(k)!.mbps.median)}, ${f(s(k)!.cpuPerGiB.median, 2)}` : '-');
    out(
      `| ${c.label} | ${pair('source')} | ${pair('sink')} | ${triple(s('archiver')?.mbps)} | ${triple(s('archiver')?.cpuPerGiB, 2)} | ` +
        `${pair('inprocess')} | ${pair('plain')} | ${pair('naive')} | ${f(c.hashCpuPerGiB, 2)} |`,
    );
  }
  for (const c of report.cases.filter((x) => x.path !== 'served' && (x.runs.archiver ?? []).length > 0)) {
    const runs = c.runs.archiver!;
    const chunkSeconds = runs.flatMap((r) => r.chunkSeconds ?? []);
    const latency = runs.flatMap((r) => r.chunkLatencySeconds ?? []);
    const busy = coresBusy(runs);
    out();
    out(
      `${c.label}: MB/s counted from the first archiveChunk invocation to the last RecordingComplete (end to end from the ` +
        `first delivery: ${runs.map((r) => f(r.bytes / 1e6 / r.endToEndSeconds!, 1)).join(' / ')} MB/s); up to ` +
        `${Math.max(...runs.map((r) => r.maxConcurrent ?? 0))} archiveChunk at once (the baselines moved ${c.parallel} chunks at once); ` +
        `per chunk (${chunkSeconds.length} over ${runs.length} runs): copy p50 ${f(percentile(chunkSeconds, 0.5), 2)} s, p99 ${f(percentile(chunkSeconds, 0.99), 2)} s; ` +
        `delivery to archived p50 ${f(percentile(latency, 0.5), 2)} s, p99 ${f(percentile(latency, 0.99), 2)} s` +
        (busy
          ? `; cores kept busy (product + Azurite + emulator CPU over wall time) ${f(busy.median, 2)} of ${report.machine.cores}`
          : '') +
        '.',
    );
  }
  out();
  out('Targets (medians of the same-run ratios):');
  for (const c of report.cases) {
    const r = floorRatios(c);
    const product = summarize(c.runs.archiver);
    if (!r || !product) continue;
    out(
      `- ${c.label}: CPU ${f(r.cpu.median, 2)} x lean (<= ${TARGETS.cpuRatio}: ${r.cpu.median <= TARGETS.cpuRatio ? 'MET' : 'ABOVE'}); ` +
        `throughput ${f(r.mbps.median, 2)} x lean (>= ${TARGETS.mbpsRatio}: ${r.mbps.median >= TARGETS.mbpsRatio ? 'MET' : 'BELOW'}); ` +
        `peak RSS ${f(product.peakRssMiB.max, 0)} MiB (< ${TARGETS.rssMiB}: ${product.peakRssMiB.max < TARGETS.rssMiB ? 'MET' : 'ABOVE'}); ` +
        `delivery answered in ${f(Math.max(...(c.runs.archiver ?? []).map((x) => x.ackSeconds ?? NaN)), 2)} s (<= ${TARGETS.ackSeconds}: ` +
        `${(c.runs.archiver ?? []).every((x) => (x.ackSeconds ?? Infinity) <= TARGETS.ackSeconds) ? 'MET' : 'ABOVE'})`,
    );
  }
  const singles = report.cases.filter((c) => c.path === 'served' && summarize(c.runs.archiver));
  if (singles.length > 1) {
    const small = summarize(singles[0]!.runs.archiver)!.peakRssMiB.max;
    const large = summarize(singles[singles.length - 1]!.runs.archiver)!.peakRssMiB.max;
    out(
      `- serving process peak RSS flat in chunk size: ${singles[singles.length - 1]!.label} ${f(large, 0)} MiB vs ${singles[0]!.label} ${f(small, 0)} MiB ` +
        `(${f((large / small - 1) * 100, 0)} %; within 10 %: ${large <= small * 1.1 ? 'MET' : 'ABOVE'})`,
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
  const all = report.cases.flatMap((c) => [...(c.runs.archiver ?? []), ...(c.runs.lean ?? [])]);
  out(
    `- every archived blob read back byte-exact, every lean copy's digests its own: ${all.every((x) => x.exact !== false) && (r?.exact ?? true) ? 'MET' : 'BELOW'}`,
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
  const cases: ChartCase[] = report.cases.map((c) => {
    const r = floorRatios(c);
    return {
      label: c.label.replace(/ \((queue|recordings)\)$/, ''),
      note: r ? `x${f(r.mbps.median, 2)} MB/s, x${f(r.cpu.median, 2)} CPU` : undefined,
      limitMbps: limitOf(c),
      series: Object.fromEntries(
        (['archiver', 'lean', 'plain', 'naive'] as const).map((k) => {
          const s = summarize(k === 'lean' ? floorRuns(c) : c.runs[k]);
          return [k, s && { mbps: s.mbps, cpuPerGiB: s.cpuPerGiB }];
        }),
      ),
    };
  });
  return renderChart(cases, {
    title: 'call-recording-archiver: the served copy against its lean floor, same runs',
    subtitle:
      `${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, loopback: ACS emulator -> Azurite 3.35; ` +
      `${report.runsPerCase} runs per case; ${report.settings.blockSizeMiB} MiB blocks, ${report.settings.blocksInFlight} in flight; ${report.createdAt.slice(0, 10)}; ` +
      'under each case: median product/lean ratios',
    series: [
      { key: 'archiver', name: 'product, served (host, queue)', colour: '#1f6fb2' },
      { key: 'lean', name: 'lean floor (same runs)', colour: '#e08e0b' },
      { key: 'plain', name: 'plain streaming (no hashes)', colour: '#8fbf5a' },
      { key: 'naive', name: 'naive (temp file)', colour: '#b9b9b9' },
    ],
    // NOTE: measured in this run (median of the cases), not a number carried over from elsewhere.
    cpuLines: Number.isFinite(hashes) ? [{ value: hashes, label: `SHA-256 + MD5 alone ${hashes.toFixed(2)}` }] : [],
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
