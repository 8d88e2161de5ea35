import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { access, chmod, constants, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../electron/engine/engine-config.js';
import { DISTRO_PACKAGES, DISTRO_VERSION, DISTRO_VERSION_FILE } from '../../electron/host/wsl/distro-version.js';
import { AARDVARK_DNS } from '../../electron/network/name-service.js';

// The recipe. Every constant here goes into the recipe hash, so changing one rebuilds the tarball.
const SUITE = 'bookworm';
const VARIANT = 'minbase';
// WSL2 on x64 Windows; built natively, so the build machine must be amd64 too.
const ARCH = 'amd64';

/** What the engine runs on the distro's Linux side; the build fails when one is missing. */
const ENGINE_COMMANDS: readonly string[] = [
  'sh', 'tar', 'ip', 'mount', 'umount', 'mountpoint', 'stat', 'tail', 'head', 'stdbuf',
  'mv', 'rm', 'rmdir', 'mkdir', 'chmod', 'kill', 'id', 'hostname', 'runc', 'conmon', 'nft', 'iptables', 'sysctl', 'env', 'cat', 'readlink',
  // The socket agent (electron/host/wsl/socket-agent-script.ts), the log follower and the log rotation run on perl-base.
  'perl',
  // Names on user-defined networks, and the script that keeps its tables (electron/network/name-service.ts).
  AARDVARK_DNS, 'awk', 'grep', 'sleep',
  // The firewall's rules are removed in one transaction (electron/network/firewall.ts).
  'iptables-restore',
  // Image builds (electron/build/).
  'buildah',
];

const WSL_CONF = `# Berth's own distro, driven only by \`wsl.exe -d berth -u root --exec\`.
[boot]
systemd=false

[user]
default=root

[automount]
# Windows drives stay under /mnt (/mnt/c...), for bind-mounted volumes.
enabled=true

[interop]
# Commands find the distro's own tools, never a Windows program of the same name.
appendWindowsPath=false
`;

interface Prune {
  /** Relative to the tree's root. Files below it are removed; directories stay, as tools expect them. */
  dir: string;
  /** File names spared. */
  keep?: readonly string[];
  keepLinks?: boolean;
}

const PRUNED: readonly Prune[] = [
  { dir: 'var/lib/apt/lists' },
  { dir: 'var/cache/apt' },
  // Logs of the build itself.
  { dir: 'var/log' },
  { dir: 'usr/share/man' },
  { dir: 'usr/share/info' },
  // Message translations: the engine reads tools' output in the C locale.
  { dir: 'usr/share/locale' },
  // Licences stay with the packages we ship; some packages' doc dirs are links to another's.
  { dir: 'usr/share/doc', keep: ['copyright'], keepLinks: true },
];

/** Copied from the build machine by debootstrap; WSL writes its own. */
const BUILD_MACHINE_FILES: readonly string[] = ['etc/hostname', 'etc/resolv.conf'];

const TAR_FLAGS: readonly string[] = ['--numeric-owner', '--xattrs', '--sort=name'];

const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 5 * 60_000;

export const RECIPE_HASH = createHash('sha256')
  .update(
    JSON.stringify({
      DISTRO_VERSION, DISTRO_VERSION_FILE, DISTRO_PACKAGES, SUITE, VARIANT, ARCH,
      ENGINE_COMMANDS, WSL_CONF, PRUNED, BUILD_MACHINE_FILES, TAR_FLAGS,
    }),
  )
  .digest('hex');

export function defaultDistroArchivePath(): string {
  return join(packageRoot(), 'build', 'out', 'berth-distro.tar.gz');
}

/** The sidecar that says which recipe an archive was built from. */
export function recipePath(archivePath: string): string {
  return `${archivePath}.recipe`;
}

/**
 * Builds the Berth WSL distro's root filesystem as a gzipped tar for `wsl.exe --import`, unless the
 * archive already holds this recipe's build. Returns the archive path.
 */
export async function buildDistro(archivePath: string | undefined, signal: AbortSignal): Promise<string> {
  const out = archivePath === undefined ? defaultDistroArchivePath() : resolve(archivePath);
  if (archivePath === undefined) await mkdir(dirname(out), { recursive: true });
  await checkOutput(out);
  if (await isCurrent(out)) return out;

  if (process.getuid?.() !== 0) throw new Error('building the distro needs root (debootstrap and chroot)');
  const debootstrap = await findProgram('debootstrap');
  if (debootstrap === undefined) {
    throw new Error('debootstrap is not installed (apt-get install debootstrap, or run scripts/install-system-deps.sh --test)');
  }
  const mirror = await aptMirror();
  console.error(`build-distro: building ${out} with debootstrap (${SUITE} ${VARIANT}); this takes a few minutes`);

  const tree = await realpath(await mkdtemp(join(tmpdir(), 'berth-distro-')));
  const partial = `${out}.${randomBytes(4).toString('hex')}.partial`;
  try {
    // The tree's root becomes the distro's /, and mkdtemp made it 0700.
    await chmod(tree, 0o755);
    await bootstrap(debootstrap, tree, mirror, signal);
    await checkCommands(tree, signal);
    await finishTree(tree);
    await run('tar', ['tar', ...TAR_FLAGS, '-czf', partial, '-C', tree, '.'], { timeoutMs: STEP_TIMEOUT_MS, signal });
    // No sidecar while the archive changes: an interruption in between means a rebuild, never a
    // stale archive taken for current.
    await rm(recipePath(out), { force: true });
    await rename(partial, out);
    await writeAtomically(recipePath(out), `${RECIPE_HASH}\n`);
    return out;
  } finally {
    await rm(partial, { force: true });
    await removeTree(tree);
  }
}

async function checkOutput(out: string): Promise<void> {
  const parent = dirname(out);
  const parentStat = await stat(parent).catch(() => undefined);
  if (!parentStat?.isDirectory()) throw new Error(`--out ${out}: directory ${parent} does not exist`);
  if ((await stat(out).catch(() => undefined))?.isDirectory()) throw new Error(`--out ${out} is a directory`);
}

async function isCurrent(out: string): Promise<boolean> {
  const [archive, recipe] = await Promise.all([
    stat(out).catch(() => undefined),
    readFile(recipePath(out), 'utf8').catch(() => undefined),
  ]);
  return archive !== undefined && archive.isFile() && archive.size > 0 && recipe?.trim() === RECIPE_HASH;
}

async function bootstrap(debootstrap: string, tree: string, mirror: string | undefined, signal: AbortSignal): Promise<void> {
  // In a mount namespace of its own, whatever debootstrap mounts in the tree (/proc, /sys) goes away
  // with it, even when it is killed.
  const argv = [
    'unshare', '--mount', '--propagation', 'private',
    debootstrap, `--variant=${VARIANT}`, `--arch=${ARCH}`, `--include=${DISTRO_PACKAGES.join(',')}`,
    SUITE, tree, ...(mirror === undefined ? [] : [mirror]),
  ];
  try {
    await run('debootstrap', argv, { timeoutMs: DEBOOTSTRAP_TIMEOUT_MS, signal });
  } catch (error) {
    // "W: Failure trying to run ..." points at the log, which holds the cause and goes with the tree.
    if (!(error instanceof CommandFailed) || !error.said?.startsWith('W: ')) throw error;
    const log = await readFile(join(tree, 'debootstrap', 'debootstrap.log'), 'utf8').catch(() => '');
    const lines = log.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    const cause = lines.find((line) => /error/i.test(line)) ?? lines.at(-1);
    if (cause === undefined) throw error;
    throw new Error(`${error.message} (debootstrap.log: ${cause})`, { cause: error });
  }
}

async function checkCommands(tree: string, signal: AbortSignal): Promise<void> {
  // Run inside the tree, so its links (/bin -> usr/bin and the like) resolve as they will under WSL.
  const script = `for c; do
  found=
  case $c in /*) [ -f "$c" ] && [ -x "$c" ] && found=1;; esac
  for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    if [ -f "$d/$c" ] && [ -x "$d/$c" ]; then found=1; fi
  done
  [ -n "$found" ] || echo "$c"
done`;
  const missing = await run('chroot', ['chroot', tree, '/bin/sh', '-c', script, 'sh', ...ENGINE_COMMANDS], {
    timeoutMs: STEP_TIMEOUT_MS,
    signal,
  });
  const names = missing.split('\n').filter((name) => name !== '');
  if (names.length > 0) throw new Error(`the distro lacks commands the engine runs: ${names.join(', ')}`);
}

async function finishTree(tree: string): Promise<void> {
  await writeFile(join(tree, DISTRO_VERSION_FILE), `${DISTRO_VERSION}\n`, { mode: 0o644 });
  await writeFile(join(tree, 'etc', 'wsl.conf'), WSL_CONF, { mode: 0o644 });
  for (const file of BUILD_MACHINE_FILES) await rm(join(tree, file), { force: true });
  for (const prune of PRUNED) {
    await removeFilesUnder(join(tree, prune.dir), (entry) =>
      (prune.keep ?? []).includes(entry.name) || (prune.keepLinks === true && entry.isSymbolicLink()),
    );
  }
}

async function removeFilesUnder(dir: string, spare: (entry: Dirent) => boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await removeFilesUnder(path, spare);
    else if (!spare(entry)) await rm(path);
  }
}

/**
 * Removes the temp tree. A mount left inside it (say /proc, or a bound /dev) would have its
 * contents deleted along with the tree, so everything under it is unmounted first, and the tree
 * is left in place when that fails.
 */
async function removeTree(tree: string): Promise<void> {
  for (const mountPoint of await mountsUnder(tree)) {
    await run('umount', ['umount', mountPoint], { timeoutMs: STEP_TIMEOUT_MS }).catch(() =>
      run('umount', ['umount', '--lazy', mountPoint], { timeoutMs: STEP_TIMEOUT_MS }).catch(() => undefined),
    );
  }
  const left = await mountsUnder(tree);
  if (left.length > 0) throw new Error(`cannot unmount ${left.join(', ')}: left ${tree} in place`);
  await rm(tree, { recursive: true, force: true });
}

/** Mount points at or below dir, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * The URI of this machine's apt source for SUITE main (deb822 sources first, then sources.list), or
 * undefined to let debootstrap use its default mirror.
 */
async function aptMirror(): Promise<string | undefined> {
  const listDir = '/etc/apt/sources.list.d';
  const names = (await readdir(listDir).catch(() => [])).filter((name) => name.endsWith('.sources')).sort();
  for (const name of names) {
    const text = await readFile(join(listDir, name), 'utf8').catch(() => '');
    for (const stanza of deb822Stanzas(text)) {
      const words = (key: string): string[] => (stanza.get(key) ?? '').split(/\s+/).filter((word) => word !== '');
      if (stanza.get('enabled')?.trim() === 'no') continue;
      if (!words('types').includes('deb') || !words('suites').includes(SUITE) || !words('components').includes('main')) continue;
      const uri = words('uris').find(isFetchableUri);
      if (uri !== undefined) return uri;
    }
  }
  const list = await readFile('/etc/apt/sources.list', 'utf8').catch(() => '');
  for (const line of list.split('\n')) {
    // deb [option=value ...] URI SUITE COMPONENT...
    const words = line.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').split(/\s+/).filter((word) => word !== '');
    const [type, uri, suite, ...components] = words;
    if (type === 'deb' && uri !== undefined && isFetchableUri(uri) && suite === SUITE && components.includes('main')) return uri;
  }
  return undefined;
}

/** Stanzas of a deb822 file as lower-cased field name -> value (continuation lines joined). */
function deb822Stanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let field: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      field = undefined;
    } else if (/^\s/.test(line) && field !== undefined) {
      current.set(field, `${current.get(field) ?? ''} ${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      field = line.slice(0, colon).trim().toLowerCase();
      current.set(field, line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/** Schemes debootstrap fetches from itself (apt-only ones such as mirror+ or cdrom: are not). */
function isFetchableUri(uri: string): boolean {
  return /^(https?|file):\/\//.test(uri);
}

async function findProgram(name: string): Promise<string | undefined> {
  // Root's tools live in sbin, which a user's PATH may lack.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'].filter((dir) => dir !== '');
  for (const dir of dirs) {
    const path = join(dir, name);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  return undefined;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const partial = `${path}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await writeFile(partial, content);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}

interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

const OUTPUT_LIMIT = 1024 * 1024;

/**
 * Runs argv in a process group of its own, so a timeout or an interruption stops everything it
 * started (debootstrap runs dpkg and friends under chroot). Resolves with stdout; the error is one
 * line that starts with `what`.
 */
function run(what: string, argv: readonly string[], options: RunOptions): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error(`${what}: nothing to run`));
  if (options.signal?.aborted) return Promise.reject(new Error(`${what} was not started: interrupted`));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    // Only the end of a long output matters, and debootstrap's is long.
    const keepTail = (text: string): string => (text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text);
    child.stdout.on('data', (chunk: Buffer) => (stdout = keepTail(stdout + chunk.toString())));
    child.stderr.on('data', (chunk: Buffer) => (stderr = keepTail(stderr + chunk.toString())));

    let stopped: string | undefined;
    const stop = (why: string): void => {
      if (stopped !== undefined) return;
      stopped = why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const limit = options.timeoutMs >= 60_000 ? `${options.timeoutMs / 60_000} min` : `${options.timeoutMs / 1000} s`;
    const timer = setTimeout(() => stop(`timed out after ${limit} and was killed`), options.timeoutMs);
    const onAbort = (): void => stop('was interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.on('error', (error) => {
      settle();
      reject(new Error(`${what} could not start: ${error.message}`, { cause: error }));
    });
    // After a kill, 'exit' rather than 'close': a straggler outside the group may hold the pipes.
    child.on('exit', () => {
      if (stopped === undefined) return;
      settle();
      reject(new Error(`${what} ${stopped}`));
    });
    child.on('close', (code, signalName) => {
      if (stopped !== undefined) return;
      settle();
      if (code === 0) {
        resolvePromise(stdout);
        return;
      }
      const status = code === null ? `killed by ${signalName ?? 'a signal'}` : `exit ${code}`;
      reject(new CommandFailed(what, status, tellingLine(stderr) ?? tellingLine(stdout)));
    });
  });
}

class CommandFailed extends Error {
  constructor(
    what: string,
    status: string,
    /** The line of its output that says why, when there is one. */
    readonly said: string | undefined,
  ) {
    super(`${what} failed (${status})${said === undefined ? '' : `: ${said}`}`);
  }
}

/** The line of a tool's output that most likely says what went wrong. */
function tellingLine(output: string): string | undefined {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  // debootstrap marks errors E:, warnings W: and progress I:.
  return lines.find((line) => line.startsWith('E: ')) ?? lines.find((line) => line.startsWith('W: ')) ?? lines.find((line) => !line.startsWith('I: '));
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true, allowPositionals: false });
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // Handled, so that the temp tree and the partial archive are removed before exiting.
  for (const name of signals) process.on(name, onSignal);
  try {
    console.log(await buildDistro(values.out, interrupt.signal));
  } finally {
    for (const name of signals) process.off(name, onSignal);
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`build-distro: ${message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 1;
  });
}
