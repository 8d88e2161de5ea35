import { execFile } from 'node:child_process';
import { readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * Directories dockerd and containerd create outside their --data-root/--exec-root (plugin discovery,
 * shim sockets) and files they may write under /etc. Deepest first, so parents empty out in order.
 */
const DAEMON_SIDE_PATHS = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd', '/etc/docker/key.json'];

/** What the benchmark could change on the machine, as comparable lines. */
export interface MachineState {
  lines: Set<string>;
  ipForward: string;
  existing: Set<string>;
}

async function lines(argv: string[]): Promise<string[]> {
  try {
    const { stdout } = await run(argv[0]!, argv.slice(1), { timeout: 15_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Top-level cgroups in every hierarchy (v1 controllers, or the v2 root). */
async function cgroupDirs(): Promise<string[]> {
  const found: string[] = [];
  const roots = (await exists(join(CGROUP_ROOT, 'cgroup.controllers')))
    ? [CGROUP_ROOT]
    : (await readdir(CGROUP_ROOT).catch(() => [] as string[])).map((name) => join(CGROUP_ROOT, name));
  for (const root of roots) {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) found.push(join(root, entry.name));
  }
  return found;
}

export async function captureMachineState(): Promise<MachineState> {
  const state = new Set<string>();
  for (const line of await lines(['ip', '-o', 'link', 'show'])) state.add(`link ${line.split(':')[1]?.trim().split('@')[0] ?? line}`);
  for (const line of await lines(['ip', 'netns', 'list'])) state.add(`netns ${line.split(' ')[0]}`);
  for (const line of await lines(['ip', '-4', 'route', 'show', 'table', 'all'])) state.add(`route ${line.trim()}`);
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter(Boolean)) {
    state.add(`mount ${line.split(' ')[4]}`);
  }
  for (const line of await lines(['iptables-save'])) {
    if (line.startsWith('#')) continue;
    state.add(`iptables ${line.replace(/\s*\[\d+:\d+\]$/, '')}`);
  }
  for (const dir of await cgroupDirs()) state.add(`cgroup ${dir}`);
  const existing = new Set<string>();
  for (const path of DAEMON_SIDE_PATHS) if (await exists(path)) existing.add(path);
  for (const path of existing) state.add(`path ${path}`);
  return { lines: state, ipForward: (await readFile(IP_FORWARD, 'utf8').catch(() => '')).trim(), existing };
}

/**
 * Puts back what the daemons leave behind on their way out: the run directories and key file they
 * created, the named top-level cgroups with theirs below (only when empty: rmdir refuses otherwise) and ip_forward.
 */
/** A cgroup and the ones below it (dockerd's BuildKit makes `buildkit/` under its parent), deepest first; rmdir leaves any that still hold a process. */
async function removeEmptyCgroups(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeEmptyCgroups(join(dir, entry.name));
  await rmdir(dir).catch(() => {});
}

export async function restoreMachineState(before: MachineState, cgroupNames: readonly string[]): Promise<void> {
  for (const path of DAEMON_SIDE_PATHS) {
    if (before.existing.has(path) || !(await exists(path))) continue;
    if (path.endsWith('.json')) await rm(path, { force: true }).catch(() => {});
    else await rmdir(path).catch(() => {});
  }
  for (const dir of await cgroupDirs()) {
    const name = dir.slice(dir.lastIndexOf('/') + 1);
    if (cgroupNames.includes(name) && !before.lines.has(`cgroup ${dir}`)) await removeEmptyCgroups(dir);
  }
  if (before.ipForward !== '') {
    const now = (await readFile(IP_FORWARD, 'utf8').catch(() => '')).trim();
    if (now !== before.ipForward) await writeFile(IP_FORWARD, `${before.ipForward}\n`).catch(() => {});
  }
}

/** Lines that differ from the earlier state: `+` appeared, `-` went away. */
export function machineChanges(before: MachineState, after: MachineState): string[] {
  const changes: string[] = [];
  for (const line of after.lines) if (!before.lines.has(line)) changes.push(`+ ${line}`);
  for (const line of before.lines) if (!after.lines.has(line)) changes.push(`- ${line}`);
  if (before.ipForward !== after.ipForward) changes.push(`ip_forward ${before.ipForward} -> ${after.ipForward}`);
  return changes;
}

/** Puts back what a benchmark left (see restoreMachineState), then says whatever still differs. */
export async function leaveMachineAsFound(before: MachineState, cgroupNames: readonly string[], log: (line: string) => void): Promise<void> {
  await restoreMachineState(before, cgroupNames);
  const changes = machineChanges(before, await captureMachineState());
  if (changes.length > 0) log(`the machine differs from before the benchmark:\n  ${changes.join('\n  ')}`);
}
