import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  rssKb: number;
  /** Proportional set size: shared pages (libraries) split among the processes that map them. */
  pssKb: number;
  cmdline: string;
  cgroup: string;
}

/** Every live process's parent, resident memory, command line and cgroups (bounded: one pass over /proc). */
export async function processTable(): Promise<ProcessInfo[]> {
  const table: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [stat, status, cmdline, cgroup] = await Promise.all(
        ['stat', 'status', 'cmdline', 'cgroup'].map((file) => readFile(`/proc/${entry}/${file}`, 'utf8')),
      );
      const rollup = await readFile(`/proc/${entry}/smaps_rollup`, 'utf8').catch(() => '');
      const ppid = Number(stat!.slice(stat!.lastIndexOf(')') + 2).split(' ')[1]);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status!)?.[1] ?? 0);
      const pssKb = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      table.push({ pid: Number(entry), ppid, rssKb, pssKb, cmdline: cmdline!.replaceAll('\0', ' '), cgroup: cgroup! });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/** The processes at and below `roots`, by parent links. */
export function descendants(table: readonly ProcessInfo[], roots: readonly number[]): ProcessInfo[] {
  const found = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return table.filter((p) => found.has(p.pid));
}

export function totalRssMb(processes: readonly ProcessInfo[]): number {
  return Math.round(processes.reduce((sum, p) => sum + p.rssKb, 0) / 102.4) / 10;
}

/** Memory by program (the command's file name), RSS or PSS, in MB with one decimal, largest first. */
export function memoryByProgram(processes: readonly ProcessInfo[], measure: 'rssKb' | 'pssKb'): Record<string, number> {
  const kb = new Map<string, number>();
  for (const p of processes) {
    const program = (p.cmdline.split(' ')[0] ?? '').split('/').pop() || '?';
    kb.set(program, (kb.get(program) ?? 0) + p[measure]);
  }
  return Object.fromEntries([...kb].sort((a, b) => b[1] - a[1]).map(([name, total]) => [name, Math.round(total / 102.4) / 10]));
}

/**
 * The kernel's estimate of memory available for new work (MemAvailable), in MB, read after the page
 * cache is written back and dropped, so files read meanwhile do not blur it.
 */
export async function memAvailableMb(): Promise<number> {
  await new Promise<void>((resolve) => execFile('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], () => resolve()));
  const meminfo = await readFile('/proc/meminfo', 'utf8');
  return Number(/MemAvailable:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024;
}
