/**
 * The benchmark's chart as a standalone SVG (no dependencies): per case, the median MB/s and CPU-seconds per GiB of
 * the archiver and its peers, with min-max whiskers; the machine's limit (min of source and sink) and reference CPU
 * lines (the hashes alone) dashed.
 */

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface ChartCase {
  label: string;
  /** A second line under the label (the product's ratios to its floor). */
  note?: string;
  /** min(source, sink) median MB/s, measured in the same run. */
  limitMbps: number;
  series: Record<string, { mbps: Spread; cpuPerGiB: Spread } | undefined>;
}

export interface ChartOptions {
  title: string;
  subtitle: string;
  /** Series names in drawing order, with their colours. */
  series: { key: string; name: string; colour: string }[];
  /** Horizontal reference lines of the CPU panel (value, label). */
  cpuLines: { value: number; label: string }[];
}

const WIDTH = 1110;
const PANEL_TOP = 116;
const PANEL_HEIGHT = 300;
const PANEL_WIDTH = 420;
const LEFT = [60, 540];

export function renderChart(cases: readonly ChartCase[], options: ChartOptions): string {
  const parts: string[] = [];
  const height = PANEL_TOP + PANEL_HEIGHT + 84;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(20, 26, options.title, { size: 16, weight: 'bold' }),
    text(20, 46, options.subtitle, { fill: '#555' }),
  );
  let legendX = 20;
  for (const s of options.series) {
    parts.push(`<rect x="${legendX}" y="60" width="12" height="12" fill="${s.colour}"/>`);
    parts.push(text(legendX + 17, 70, s.name));
    legendX += 30 + s.name.length * 6.5;
  }
  parts.push(`<line x1="20" y1="86" x2="44" y2="86" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`);
  parts.push(text(49, 90, 'min(source, sink) measured alone in the same run: the machine’s limit'));

  const mbpsMax = niceCeiling(
    Math.max(...cases.flatMap((c) => [c.limitMbps, ...Object.values(c.series).map((s) => s?.mbps.max ?? 0)])),
  );
  parts.push(
    ...panel(
      LEFT[0]!,
      'Throughput, MB/s (median; whiskers min-max)',
      mbpsMax,
      cases,
      options,
      (s) => s.mbps,
      (c, x0, x1, y) => [
        `<line x1="${x0}" y1="${y(c.limitMbps)}" x2="${x1}" y2="${y(c.limitMbps)}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      ],
    ),
  );
  const cpuMax = niceCeiling(
    Math.max(
      ...options.cpuLines.map((l) => l.value),
      ...cases.flatMap((c) => Object.values(c.series).map((s) => s?.cpuPerGiB.max ?? 0)),
    ),
  );
  parts.push(
    ...panel(
      LEFT[1]!,
      'CPU seconds per GiB (product process tree)',
      cpuMax,
      cases,
      options,
      (s) => s.cpuPerGiB,
      () => [],
    ),
  );
  const y = scale(cpuMax);
  options.cpuLines.forEach((line, i) => {
    const at = y(line.value);
    // NOTE: labels alternate above and below their lines, so that close values stay readable.
    parts.push(
      `<line x1="${LEFT[1]}" y1="${at}" x2="${LEFT[1]! + PANEL_WIDTH}" y2="${at}" stroke="#7f8c8d" stroke-dasharray="4 4"/>`,
      text(LEFT[1]! + PANEL_WIDTH + 4, at + (i % 2 === 0 ? -3 : 11), line.label, { fill: '#555', size: 10 }),
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(
  left: number,
  title: string,
  max: number,
  cases: readonly ChartCase[],
  options: ChartOptions,
  pick: (s: { mbps: Spread; cpuPerGiB: Spread }) => Spread,
  overlay: (c: ChartCase, x0: number, x1: number, y: (v: number) => number) => string[],
): string[] {
  const parts: string[] = [];
  const y = scale(max);
  parts.push(text(left, PANEL_TOP - 8, title, { weight: 'bold' }));
  for (let i = 0; i <= 5; i++) {
    const value = (max / 5) * i;
    parts.push(
      `<line x1="${left}" y1="${y(value)}" x2="${left + PANEL_WIDTH}" y2="${y(value)}" stroke="#e5e5e5"/>`,
      text(left - 6, y(value) + 4, formatTick(value), { anchor: 'end', fill: '#555', size: 11 }),
    );
  }
  parts.push(
    `<line x1="${left}" y1="${PANEL_TOP}" x2="${left}" y2="${PANEL_TOP + PANEL_HEIGHT}" stroke="#999"/>`,
    `<line x1="${left}" y1="${PANEL_TOP + PANEL_HEIGHT}" x2="${left + PANEL_WIDTH}" y2="${PANEL_TOP + PANEL_HEIGHT}" stroke="#999"/>`,
  );
  const groupWidth = PANEL_WIDTH / Math.max(1, cases.length);
  const barWidth = Math.min(28, (groupWidth - 16) / options.series.length);
  cases.forEach((c, i) => {
    const x0 = left + i * groupWidth + (groupWidth - barWidth * options.series.length) / 2;
    options.series.forEach((s, j) => {
      const values = c.series[s.key];
      if (!values) return;
      const spread = pick(values);
      const x = x0 + j * barWidth;
      const top = y(spread.median);
      parts.push(
        `<rect x="${x + 1}" y="${top}" width="${barWidth - 2}" height="${PANEL_TOP + PANEL_HEIGHT - top}" fill="${s.colour}"><title>${escape(`${c.label} ${s.name}: median ${spread.median.toFixed(2)} (min ${spread.min.toFixed(2)}, max ${spread.max.toFixed(2)})`)}</title></rect>`,
        `<line x1="${x + barWidth / 2}" y1="${y(spread.min)}" x2="${x + barWidth / 2}" y2="${y(spread.max)}" stroke="#222"/>`,
        `<line x1="${x + barWidth / 2 - 4}" y1="${y(spread.min)}" x2="${x + barWidth / 2 + 4}" y2="${y(spread.min)}" stroke="#222"/>`,
        `<line x1="${x + barWidth / 2 - 4}" y1="${y(spread.max)}" x2="${x + barWidth / 2 + 4}" y2="${y(spread.max)}" stroke="#222"/>`,
        text(x + barWidth / 2, top - 4, formatValue(spread.median), { anchor: 'middle', size: 10, fill: '#333' }),
      );
    });
    parts.push(...overlay(c, x0 - 4, x0 + barWidth * options.series.length + 4, y));
    parts.push(text(left + (i + 0.5) * groupWidth, PANEL_TOP + PANEL_HEIGHT + 18, c.label, { anchor: 'middle' }));
    if (c.note) {
      const at = PANEL_TOP + PANEL_HEIGHT + 32;
      parts.push(text(left + (i + 0.5) * groupWidth, at, c.note, { anchor: 'middle', size: 10, fill: '#555' }));
    }
  });
  return parts;
}

function scale(max: number): (value: number) => number {
  return (value) => round(PANEL_TOP + PANEL_HEIGHT - (Math.min(value, max) / max) * PANEL_HEIGHT);
}

function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value * 1.08) return step * magnitude;
  return 10 * magnitude;
}

function formatTick(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

function formatValue(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; anchor?: string; fill?: string } = {},
): string {
  const attributes = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    style.size ? `font-size="${style.size}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.fill ? `fill="${style.fill}"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escape(content)}</text>`;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
