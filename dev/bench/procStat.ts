import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time and peak RSS of a process tree from /proc (Linux): the product's process and every live descendant, plus
 * the CPU of descendants it already waited for (cutime/cstime). Used for the local host, which runs in its own process.
 */

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in seconds. */
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // NOTE: the command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const number = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: number(4), cpuSeconds: (number(14) + number(15) + number(16) + number(17)) / TICKS_PER_SECOND };
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** User + system CPU seconds of the tree rooted at `pid`. */
export function treeCpuSeconds(pid: number): number {
  return descendantsOf(pid).reduce((sum, p) => sum + (readStat(p)?.cpuSeconds ?? 0), 0);
}

/** Peak RSS (VmHWM) of the tree rooted at `pid`, in MiB: the sum of each live process's peak. */
export function treePeakRssMiB(pid: number): number {
  let kib = 0;
  for (const p of descendantsOf(pid)) {
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}
