import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `node dist-dev/dev/bench/profileSummary.js DIR [DIR...]`: where the CPU of the V8 CPU profiles that BENCH_PROFILE wrote
 * went, by category (self time, so every sample counts once), by owner (whose code is on the stack: the product, the
 * local host, start-up) and by function. Each thread writes its own profile; all profiles under a folder are summed.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The first category whose test matches a sample's frame, or its nearest JS caller's. */
const CATEGORIES: [string, (frame: ProfileNode['callFrame']) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ['program (native, unattributed)', (f) => f.functionName === '(program)'],
  ['hashing (SHA-256 + MD5)', (f) => f.url.includes('internal/crypto/hash')],
  ['undici (download)', (f) => f.url.includes('node_modules/undici')],
  ['Storage SDK pipeline', (f) => /node_modules\/@(azure|typespec)\//.test(f.url)],
  ['Node streams', (f) => f.url.startsWith('node:internal/streams')],
  ['Node net/http/sockets', (f) => /^node:(net|_http|internal\/(stream_base_commons|net|http))/.test(f.url)],
  ['Node buffer', (f) => /^node:(buffer|internal\/buffer)/.test(f.url)],
  ['Node other', (f) => f.url.startsWith('node:')],
  ['archiver (shared/)', (f) => f.url.includes('/shared/')],
  ['other JS', (f) => f.url !== ''],
];

/**
 * Whose work a sample is, from its whole stack: start-up (module loading) first; then the product (functions/,
 * shared/) wherever it is on the stack; then the local host's own (dev/host/, its queue polling through
 * @azure/storage-queue, @azure/functions' invocation model), which Azure's Functions host and worker do instead;
 * the rest has no JS of either on the stack (socket callbacks, timers, GC).
 */
const OWNERS: [string, (url: string) => boolean][] = [
  ['start-up (module loading)', (u) => u.startsWith('node:internal/modules/')],
  ['the product (functions/, shared/)', (u) => /\/dist(-dev)?\/(shared|functions)\//.test(u)],
  [
    'the local host (dev/host/, queue polling, invocation model)',
    (u) => /\/dev\/host\/|@azure\/(storage-queue|functions)\//.test(u),
  ],
  ['the lean floor (dev/bench/lean)', (u) => u.includes('/dev/bench/lean')],
];

function ownerOf(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  if (node.callFrame.functionName === '(idle)') return 'idle';
  const urls: string[] = [];
  for (let n: ProfileNode | undefined = node; n; n = parents.get(n.id)) urls.push(n.callFrame.url);
  for (const [name, test] of OWNERS) if (urls.some(test)) return name;
  return 'no product or host JS on the stack (transport callbacks, timers, GC)';
}

function categoryOf(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  // NOTE: native builtins (Buffer copy, socket writes, hash updates in C++) have no url: charge them to their caller.
  for (let n: ProfileNode | undefined = node; n; n = parents.get(n.id)) {
    const f = n.callFrame;
    if (f.url === '' && !f.functionName.startsWith('(')) continue;
    for (const [name, test] of CATEGORIES) if (test(f)) return name;
  }
  return 'native, no JS caller';
}

function profilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return profilesUnder(full);
    return entry.endsWith('.cpuprofile') ? [full] : [];
  });
}

function summarize(dir: string): void {
  const byCategory = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const files = profilesUnder(dir);
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parents = new Map<number, ProfileNode>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n);
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const [id, us] of selfUs) {
      const node = nodes.get(id)!;
      const category = categoryOf(node, parents);
      byCategory.set(category, (byCategory.get(category) ?? 0) + us);
      const owner = ownerOf(node, parents);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
      const f = node.callFrame;
      const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${f.lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
      total += us;
    }
  }
  const busy = total - (byCategory.get('idle') ?? 0);
  console.log(
    `${dir}: ${files.length} profile(s), ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`,
  );
  for (const [name, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
    const share = name === 'idle' ? '' : ` ${((us / busy) * 100).toFixed(1).padStart(5)} % of busy`;
    console.log(`  ${name.padEnd(34)} ${(us / 1e6).toFixed(2).padStart(7)} s${share}`);
  }
  console.log('  by owner (whose code is on the stack):');
  for (const [name, us] of [...byOwner].sort((a, b) => b[1] - a[1])) {
    if (name === 'idle') continue;
    console.log(
      `    ${name.padEnd(66)} ${(us / 1e6).toFixed(2).padStart(7)} s ${((us / busy) * 100).toFixed(1).padStart(5)} %`,
    );
  }
  console.log('  top functions (self time):');
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`    ${(us / 1e6).toFixed(3).padStart(7)} s  ${name}`);
  }
}

for (const dir of process.argv.slice(2)) summarize(dir);
