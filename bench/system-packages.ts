import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A command the benchmark needs and the Debian package that provides it. */
export interface Needed {
  command: string;
  debianPackage: string;
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The command's path on PATH or in the usual system directories (root's sbin may be off a CI PATH). */
/** What every side-by-side bench with dockerd needs: the rival, the image tools, runc and iproute2. */
export const DOCKER_BENCH_COMMANDS: readonly Needed[] = [
  { command: 'dockerd', debianPackage: 'docker.io' },
  { command: 'skopeo', debianPackage: 'skopeo' },
  { command: 'umoci', debianPackage: 'umoci' },
  { command: 'busybox', debianPackage: 'busybox-static' },
  { command: 'runc', debianPackage: 'runc' },
  { command: 'ip', debianPackage: 'iproute2' },
];

export async function findCommand(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const path = join(dir, command);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Installs, with apt-get as root, the Debian packages of whatever commands are missing (a fresh CI
 * machine has none of them). Returns the packages it installed.
 */
export async function ensureCommands(needed: readonly Needed[], log: (line: string) => void): Promise<string[]> {
  const missing: string[] = [];
  for (const need of needed) {
    if (!(await findCommand(need.command)) && !missing.includes(need.debianPackage)) missing.push(need.debianPackage);
  }
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing packages ${missing.join(', ')}: run as root so they can be installed with apt-get`);
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options = { env, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 };
  await run('apt-get', ['update'], options);
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], options);
  for (const need of needed) {
    if (!(await findCommand(need.command))) throw new Error(`${need.command} is still missing after installing ${need.debianPackage}`);
  }
  return missing;
}
