import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../fixtures/temp-dir.js';
import { makeWslSim, WSL_SIM_EXE, type WslSim } from '../fixtures/wsl-sim.js';

const run = promisify(execFile);
const HANG_MS = 30_000;

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** stdout decoded as wsl.exe wrote it (UTF-8 unless `utf16`), CRLF made LF. */
  text: string;
}

interface WslOptions {
  input?: Buffer | string;
  /** Leave WSL_UTF8 unset, so wsl.exe's own messages come as UTF-16LE. */
  utf16?: boolean;
  env?: Record<string, string>;
}

/** Starts the simulated wsl.exe; `done` settles when it exits (killed after HANG_MS). */
function startWsl(sim: WslSim, args: string[], options: WslOptions = {}): { child: ChildProcess; done: Promise<Ran> } {
  const env: Record<string, string | undefined> = { ...process.env, ...sim.env, BERTH_WSL_SIM_MODE: 'ok', WSL_UTF8: '1', ...options.env };
  if (options.utf16) delete env.WSL_UTF8;
  const child = spawn(sim.exe, args, { env, stdio: 'pipe' });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input);
  const done = new Promise<Ran>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wsl.exe ${args.join(' ')} hung`));
    }, HANG_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout);
      const text = (options.utf16 ? out.toString('utf16le') : out.toString('utf8')).replace(/\r\n/g, '\n');
      resolve({ code, stdout: out, stderr: Buffer.concat(stderr), text });
    });
  });
  return { child, done };
}

const wsl = (sim: WslSim, args: string[], options: WslOptions = {}): Promise<Ran> => startWsl(sim, args, options).done;
/** What a run printed, to explain a failed expectation. */
const said = (ran: Ran): string => `stdout: ${ran.text}\nstderr: ${ran.stderr.toString()}`;
/** Expects a run to succeed, showing what it printed if it did not. */
const ok = (ran: Ran): Ran => {
  expect(ran.code, said(ran)).toBe(0);
  return ran;
};
const exec = (sim: WslSim, distro: string, command: string[], options: WslOptions = {}) =>
  wsl(sim, ['-d', distro, '-u', 'root', '--exec', ...command], options);
const sh = (sim: WslSim, distro: string, script: string, options: WslOptions = {}) => exec(sim, distro, ['sh', '-c', script], options);

/** Copies an ELF binary into `tree` at the same path, with the shared libraries ldd names for it. */
async function copyWithLibraries(binary: string, tree: string): Promise<void> {
  const { stdout } = await run('ldd', [binary]);
  const files = [binary, ...[...stdout.matchAll(/(\/\S+)/g)].map((m) => m[1] as string)];
  for (const file of files) {
    await mkdir(join(tree, dirname(file)), { recursive: true });
    await copyFile(file, join(tree, file));
  }
}

/** An OCI bundle config for runc inside the distro, over the shared container rootfs /ctr/rootfs. */
function containerConfig(args: string[], cgroupsPath: string): string {
  return JSON.stringify({
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ['PATH=/bin'], cwd: '/', noNewPrivileges: true },
    root: { path: '/ctr/rootfs', readonly: true },
    hostname: 'in-runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: { cgroupsPath, namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }] },
  });
}

/**
 * A small distro: busybox-static with its applets, iproute2's ip (busybox's has no netns), runc, and
 * two runc bundles (/ctr/once prints and exits, /ctr/daemon sleeps), packed as .tar and .tar.gz.
 */
async function buildRootfs(dir: string): Promise<{ tar: string; tarGz: string }> {
  const tree = join(dir, 'tree');
  for (const sub of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'proc', 'sys', 'dev', 'run', 'tmp', 'mnt']) {
    await mkdir(join(tree, sub), { recursive: true });
  }
  await copyFile('/bin/busybox', join(tree, 'bin/busybox'));
  await chmod(join(tree, 'bin/busybox'), 0o755);
  const { stdout: applets } = await run('/bin/busybox', ['--list-full']);
  for (const applet of applets.split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox' || applet === 'sbin/ip') continue;
    await mkdir(join(tree, dirname(applet)), { recursive: true });
    await symlink('/bin/busybox', join(tree, applet));
  }
  await copyWithLibraries('/usr/sbin/ip', tree);
  await copyWithLibraries('/usr/sbin/runc', tree);
  await writeFile(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');

  const ctr = join(tree, 'ctr');
  for (const sub of ['rootfs/bin', 'rootfs/proc', 'rootfs/dev', 'rootfs/sys', 'rootfs/tmp', 'once', 'daemon']) {
    await mkdir(join(ctr, sub), { recursive: true });
  }
  await copyFile('/bin/busybox', join(ctr, 'rootfs/bin/busybox'));
  await chmod(join(ctr, 'rootfs/bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'sleep', 'hostname']) await symlink('busybox', join(ctr, 'rootfs/bin', applet));
  await writeFile(
    join(ctr, 'once/config.json'),
    containerConfig(['sh', '-c', 'echo "hello from runc in $(hostname)"; cat /proc/self/cgroup'], '/berth/wsl-sim-once'),
  );
  await writeFile(join(ctr, 'daemon/config.json'), containerConfig(['sleep', '1000000'], '/berth/wsl-sim-daemon'));

  const tar = join(dir, 'rootfs.tar');
  await run('tar', ['-C', tree, '-cf', tar, '.']);
  const tarGz = join(dir, 'rootfs.tar.gz');
  await writeFile(tarGz, gzipSync(await readFile(tar)));
  return { tar, tarGz };
}

/** The host pid of a live process whose command line is exactly `argv`. */
async function hostPidOf(argv: string[]): Promise<number | undefined> {
  const want = `${argv.join('\0')}\0`;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === want && isAlive(Number(entry))) return Number(entry);
  }
  return undefined;
}

/** A process that exists and is not a zombie (this machine's pid 1 may reap late). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Host pids of the live inits of the distro installed in `dir` (its rootfs is in their command line). */
async function initsOf(sim: WslSim, dir: string): Promise<number[]> {
  const prefix = `/init\0${join(sim.home, 'init.sh')}\0${join(dir, 'rootfs')}\0`;
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith(prefix) && isAlive(Number(entry))) found.push(Number(entry));
  }
  return found;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await condition()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Connects to host:port (retrying while nothing listens yet) and reads the first line. */
async function readLineFrom(host: string, port: number): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const socket = connect({ host, port });
        let data = '';
        socket.setTimeout(5_000, () => socket.destroy(new Error('read timed out')));
        socket.on('data', (chunk) => {
          data += chunk.toString();
          if (data.includes('\n')) {
            socket.destroy();
            resolve(data);
          }
        });
        socket.on('error', reject);
        socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(data)}`)));
      });
    } catch (error) {
      lastError = error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  throw lastError;
}

describe('wsl.exe simulator', () => {
  let rootfs: TempDir;
  let tar: string;
  let tarGz: string;
  let sim: WslSim;
  const sims: WslSim[] = [];

  const freshSim = async (): Promise<WslSim> => {
    const made = await makeWslSim();
    sims.push(made);
    return made;
  };
  const installDir = (on: WslSim, name: string) => join(on.home, 'distros', name);
  const importInto = (on: WslSim, name: string, file = tar) => wsl(on, ['--import', name, installDir(on, name), file, '--version', '2']);

  beforeAll(async () => {
    rootfs = await makeTempDir('berth-wsl-rootfs-');
    ({ tar, tarGz } = await buildRootfs(rootfs.path));
    sim = await freshSim();
  });

  afterAll(async () => {
    for (const made of sims) await made.cleanup();
    await rootfs?.remove();
  });

  it('speaks UTF-16LE by default and UTF-8 with WSL_UTF8=1', async () => {
    const status16 = await wsl(sim, ['--status'], { utf16: true });
    expect(status16.code, said(status16)).toBe(0);
    expect(status16.stdout).toEqual(Buffer.from('Default Version: 2\r\n', 'utf16le'));
    const status8 = await wsl(sim, ['--status']);
    expect(status8.stdout).toEqual(Buffer.from('Default Version: 2\r\n', 'utf8'));

    const failed16 = await wsl(sim, ['--list', '--verbose'], { utf16: true });
    expect(failed16.code, said(failed16)).toBe(255);
    expect(failed16.text).toContain('has no installed distributions');
    expect(failed16.text).toMatch(/\nError code: Wsl\/WSL_E_DEFAULT_DISTRO_NOT_FOUND\n$/);
  });

  it('lists nothing quietly, and fails -l -v with no distros', async () => {
    expect(await wsl(sim, ['-l', '-q'])).toMatchObject({ code: 0, text: '' });
    const verbose = await wsl(sim, ['-l', '-v']);
    expect(verbose.code, said(verbose)).toBe(255);
    expect(verbose.text).toMatch(/^Windows Subsystem for Linux has no installed distributions\./);
    expect(verbose.text).toContain('Error code: Wsl/WSL_E_DEFAULT_DISTRO_NOT_FOUND');
  });

  it('imports a .tar from a file and a .tar.gz from stdin', async () => {
    const fromFile = await importInto(sim, 'berth');
    expect(fromFile).toMatchObject({ code: 0, text: 'The operation completed successfully.\n' });
    expect(existsSync(join(installDir(sim, 'berth'), 'rootfs/bin/busybox'))).toBe(true);

    const fromStdin = await wsl(sim, ['--import', 'other', installDir(sim, 'other'), '-', '--version', '2'], { input: await readFile(tarGz) });
    expect(fromStdin.code, said(fromStdin)).toBe(0);
    expect(existsSync(join(installDir(sim, 'other'), 'rootfs/usr/sbin/runc'))).toBe(true);

    const quiet16 = await wsl(sim, ['-l', '-q'], { utf16: true });
    expect(quiet16.stdout).toEqual(Buffer.from('berth\r\nother\r\n', 'utf16le'));
    const status = await wsl(sim, ['--status']);
    expect(status.text).toBe('Default Distribution: berth\nDefault Version: 2\n');
  });

  it('refuses a name that is taken, whatever its case', async () => {
    const again = await wsl(sim, ['--import', 'BERTH', installDir(sim, 'berth2'), tar, '--version', '2']);
    expect(again.code, said(again)).toBe(255);
    expect(again.text).toContain('Error code: Wsl/Service/RegisterDistro/ERROR_ALREADY_EXISTS');
    expect(existsSync(installDir(sim, 'berth2'))).toBe(false);
  });

  it('leaves nothing behind when an import fails', async () => {
    const junk = join(rootfs.path, 'junk.tar');
    await writeFile(junk, randomBytes(20_000));
    const fromFile = await importInto(sim, 'broken', junk);
    expect(fromFile.code, said(fromFile)).toBe(255);
    expect(fromFile.text).toContain('Error code: Wsl/Service/RegisterDistro/WSL_E_IMPORT_FAILED');

    const truncated = (await readFile(tarGz)).subarray(0, 200_000);
    const fromStdin = await wsl(sim, ['--import', 'cut', installDir(sim, 'cut'), '-', '--version', '2'], { input: truncated });
    expect(fromStdin.code, said(fromStdin)).toBe(255);
    expect(fromStdin.text).toContain('WSL_E_IMPORT_FAILED');

    expect(existsSync(installDir(sim, 'broken'))).toBe(false);
    expect(existsSync(installDir(sim, 'cut'))).toBe(false);
    expect((await wsl(sim, ['-l', '-q'])).text).toBe('berth\nother\n');
  });

  it('passes stdin, stdout, stderr and the exit code of --exec through, bytes untouched', async () => {
    const result = await sh(sim, 'berth', 'cat; echo "to stderr" >&2; exit 7', { input: 'hello from the host\n', utf16: true });
    expect(result.code, said(result)).toBe(7);
    expect(result.stdout.toString('utf8')).toBe('hello from the host\n');
    expect(result.stderr.toString('utf8')).toBe('to stderr\n');

    const longForm = await wsl(sim, ['--distribution', 'berth', '--user', 'root', '-e', 'echo', 'long options']);
    expect(longForm).toMatchObject({ code: 0, text: 'long options\n' });

    const bytes = randomBytes(256 * 1024);
    const echoed = await exec(sim, 'berth', ['cat'], { input: bytes });
    expect(echoed.code, said(echoed)).toBe(0);
    expect(echoed.stdout.equals(bytes)).toBe(true);
  });

  it('lays out -l -v as wsl.exe does: * on the default, Running or Stopped', async () => {
    const verbose = await wsl(sim, ['-l', '-v']);
    expect(verbose.code, said(verbose)).toBe(0);
    expect(verbose.text).toBe(['  NAME     STATE           VERSION', '* berth    Running         2', '  other    Stopped         2', ''].join('\n'));
  });

  it('keeps one distro running: mounts and network namespaces made by one command are seen by the next', async () => {
    const mounted = await sh(sim, 'berth', 'mkdir -p /mnt/x && mount -t tmpfs tmpfs /mnt/x && echo kept > /mnt/x/file');
    expect(mounted.code, said(mounted)).toBe(0);
    expect((await exec(sim, 'berth', ['cat', '/mnt/x/file'])).text).toBe('kept\n');

    const netns = `sim-${randomBytes(3).toString('hex')}`;
    ok(await exec(sim, 'berth', ['/usr/sbin/ip', 'netns', 'add', netns]));
    expect((await exec(sim, 'berth', ['/usr/sbin/ip', 'netns', 'list'])).text).toContain(netns);
    const { stdout: hostNetns } = await run('ip', ['netns', 'list']);
    expect(hostNetns).not.toContain(netns);
    ok(await exec(sim, 'berth', ['/usr/sbin/ip', 'netns', 'del', netns]));
  });

  it('starts one init when commands race to boot a stopped distro', async () => {
    const racers = await Promise.all([1, 2, 3].map(() => exec(sim, 'other', ['readlink', '/proc/1/ns/pid'])));
    expect(racers.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(new Set(racers.map((r) => r.text)).size).toBe(1);
    expect((await exec(sim, 'other', ['cat', '/proc/1/cmdline'])).text).toMatch(/^\/init\0/);
    ok(await wsl(sim, ['--terminate', 'other']));
  });

  it('leaves no stray init when wsl.exe is killed while booting', async () => {
    const own = await freshSim();
    ok(await importInto(own, 'cut'));
    const dir = installDir(own, 'cut');
    const tracked = async () => Number((await readFile(join(own.home, 'run/cut.pid'), 'utf8').catch(() => '0')).split(' ')[0]);
    for (const delayMs of [10, 40, 80, 120]) {
      const booting = startWsl(own, ['-d', 'cut', '--exec', 'true']);
      await new Promise((done) => setTimeout(done, delayMs));
      booting.child.kill('SIGKILL');
      await booting.done;
      // An init whose boot was cut short exits on its own; one that finished its boot is tracked.
      await waitUntil(async () => {
        const pid = await tracked();
        return (await initsOf(own, dir)).every((init) => init === pid);
      }, 'stray inits to exit');
      const after = await exec(own, 'cut', ['true']);
      expect(after.stderr.toString() + after.text).toBe('');
      expect(after.code, said(after)).toBe(0);
      expect(await initsOf(own, dir)).toEqual([await tracked()]);
      ok(await wsl(own, ['--terminate', 'cut']));
      expect(await initsOf(own, dir)).toEqual([]);
    }
    await own.cleanup();
    expect(await own.leftovers()).toEqual([]);
  });

  it('puts the distro behind its own network stack: eth0 .2/30, default route via the host end .1', async () => {
    const link = await exec(sim, 'berth', ['/usr/sbin/ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(link.text).toContain(`inet ${sim.distroAddress}/30`);
    expect((await exec(sim, 'berth', ['/usr/sbin/ip', 'route'])).text).toContain(`default via ${sim.hostAddress} dev eth0`);
    expect((await exec(sim, 'berth', ['ls', '/sys/class/net'])).text.split('\n').filter(Boolean).sort()).toEqual(['eth0', 'lo']);
    expect((await exec(sim, 'berth', ['cat', '/proc/sys/net/ipv4/ip_forward'])).text).toBe('1\n');
    const { stdout: hostSide } = await run('ip', ['-4', '-o', 'addr', 'show', sim.hostVeth]);
    expect(hostSide).toContain(`inet ${sim.hostAddress}/30`);

    const listener = startWsl(sim, ['-d', 'berth', '--exec', 'sh', '-c', 'echo hello from the distro | nc -l -p 7070']);
    try {
      expect(await readLineFrom(sim.distroAddress, 7070)).toBe('hello from the distro\n');
      ok(await listener.done);
    } finally {
      // Killing wsl.exe leaves the Linux process running, as on Windows: end it in the distro.
      listener.child.kill('SIGKILL');
      await exec(sim, 'berth', ['killall', 'nc']);
    }
  });

  it('runs a runc container inside the distro, with its cgroups under the VM', async () => {
    const once = await sh(sim, 'berth', 'cd /ctr/once && runc run wsl-sim-once');
    expect(once.stderr.toString()).toBe('');
    expect(once.code, said(once)).toBe(0);
    expect(once.text).toContain('hello from runc in in-runc');
    expect(once.text).toMatch(/:\/berth\/wsl-sim-once\n/);

    const daemon = await sh(sim, 'berth', 'cd /ctr/daemon && runc run -d wsl-sim-daemon </dev/null >/dev/null 2>&1 && runc state wsl-sim-daemon');
    expect(daemon.code, said(daemon)).toBe(0);
    expect(daemon.text).toContain('"status": "running"');
    const vmCgroups = (await sim.cgroupDirs()).filter((dir) => existsSync(dir));
    expect(vmCgroups.length).toBeGreaterThan(0);
    expect(vmCgroups.every((dir) => existsSync(join(dir, 'berth/wsl-sim-daemon')))).toBe(true);
    // A terminated VM takes the container with it; the cgroups runc left are removed.
    ok(await wsl(sim, ['--terminate', 'berth']));
    expect(vmCgroups.filter((dir) => existsSync(dir))).toEqual([]);
  });

  it('kills every process of the distro on --terminate, as a VM stop does', async () => {
    const seconds = String(100_000 + randomInt(900_000));
    ok(await sh(sim, 'berth', `sleep ${seconds} </dev/null >/dev/null 2>&1 &`));
    const sleeper = await hostPidOf(['sleep', seconds]);
    expect(sleeper).toBeDefined();
    const foreground = startWsl(sim, ['-d', 'berth', '--exec', 'sleep', seconds]);
    const sleepers = async () => (await exec(sim, 'berth', ['ps'])).text.split('\n').filter((line) => line.includes(`sleep ${seconds}`));
    await waitUntil(async () => (await sleepers()).length === 2, 'the second sleep');

    expect((await wsl(sim, ['--terminate', 'berth'])).text).toBe('The operation completed successfully.\n');
    expect(isAlive(sleeper as number)).toBe(false);
    expect((await foreground.done).code).toBe(137);
    expect((await wsl(sim, ['-l', '-v'])).text).toContain('* berth    Stopped');
    expect(existsSync(`/sys/class/net/${sim.hostVeth}`)).toBe(false);
  });

  it('says which distro is missing by its code', async () => {
    for (const args of [['-d', 'nope', '--exec', 'true'], ['--unregister', 'nope'], ['--terminate', 'nope']]) {
      const result = await wsl(sim, args);
      expect(result.code, said(result)).toBe(255);
      expect(result.text).toMatch(/\nError code: Wsl\/Service\/WSL_E_DISTRO_NOT_FOUND\n$/);
    }
  });

  it('simulates the inbox stub of a machine without WSL', async () => {
    for (const args of [['--status'], ['-l', '-q'], ['-d', 'berth', '--exec', 'true']]) {
      const result = await wsl(sim, args, { env: { BERTH_WSL_SIM_MODE: 'stub' }, utf16: true });
      expect(result.code, said(result)).toBe(255);
      expect(result.text).toContain('Usage: wsl.exe [Argument]');
      expect(result.text).toContain("wsl.exe --install");
      expect(result.text).not.toContain('Error code:');
    }
  });

  it('simulates WSL without WSL2, and WSL2 without virtualization, by their codes', async () => {
    ok(await wsl(sim, ['--shutdown']));
    const noWsl2 = { env: { BERTH_WSL_SIM_MODE: 'no-wsl2' } };
    ok(await wsl(sim, ['--status'], noWsl2));
    expect((await wsl(sim, ['-l', '-q'], noWsl2)).text).toBe('berth\nother\n');
    const importNoWsl2 = await wsl(sim, ['--import', 'x', installDir(sim, 'x'), tar, '--version', '2'], noWsl2);
    expect(importNoWsl2.code, said(importNoWsl2)).toBe(255);
    expect(importNoWsl2.text).toContain('Error code: Wsl/Service/RegisterDistro/CreateVm/HCS/HCS_E_SERVICE_NOT_AVAILABLE');
    const bootNoWsl2 = await exec(sim, 'berth', ['true'], noWsl2);
    expect(bootNoWsl2.code, said(bootNoWsl2)).toBe(255);
    expect(bootNoWsl2.text).toContain('Error code: Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_SERVICE_NOT_AVAILABLE');

    const off = { env: { BERTH_WSL_SIM_MODE: 'no-virtualization' } };
    const status = await wsl(sim, ['--status'], off);
    expect(status.code, said(status)).toBe(255);
    expect(status.text).toContain('virtualization is not enabled');
    expect(status.text).toContain('Error code: Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_HYPERV_NOT_INSTALLED');
    const importOff = await wsl(sim, ['--import', 'x', installDir(sim, 'x'), tar, '--version', '2'], off);
    expect(importOff.text).toContain('Error code: Wsl/Service/RegisterDistro/CreateVm/HCS/HCS_E_HYPERV_NOT_INSTALLED');
    const bootOff = await exec(sim, 'berth', ['true'], off);
    expect(bootOff.code, said(bootOff)).toBe(255);
    expect(bootOff.text).toContain('HCS_E_HYPERV_NOT_INSTALLED');

    expect(existsSync(installDir(sim, 'x'))).toBe(false);
    expect(await sim.leftovers()).toEqual([]);
  });

  it('fails clearly without its state home or a valid subnet, and starts nothing', async () => {
    const noHome = await run(WSL_SIM_EXE, ['--status'], { env: { PATH: process.env.PATH } }).catch((error: { code: number; stderr: string }) => error);
    expect(noHome).toMatchObject({ code: 255 });
    expect((noHome as { stderr: string }).stderr).toContain('BERTH_WSL_SIM_HOME is not set');

    ok(await wsl(sim, ['--shutdown']));
    for (const subnet of ['', '10.1.2.3/30', '10.1.2.0/24']) {
      const result = await exec(sim, 'berth', ['true'], { env: { BERTH_WSL_SIM_SUBNET: subnet } });
      expect(result.code, said(result)).toBe(255);
      expect(result.stderr.toString()).toContain('BERTH_WSL_SIM_SUBNET');
    }
    expect(await sim.leftovers()).toEqual([]);
  });

  it('leaves nothing after --unregister of a running distro, nor after cleanup', async () => {
    const own = await freshSim();
    ok(await importInto(own, 'gone'));
    ok(await exec(own, 'gone', ['true']));
    const [init] = (await readFile(join(own.home, 'run/gone.pid'), 'utf8')).split(' ').map(Number);
    const running = await own.leftovers();
    expect(running).toContain(`veth ${own.hostVeth}`);
    expect(running.some((item) => item.startsWith('process '))).toBe(true);
    expect(running.some((item) => item.startsWith('cgroup '))).toBe(true);

    ok(await wsl(own, ['--unregister', 'gone']));
    expect(isAlive(init as number)).toBe(false);
    expect(existsSync(join(installDir(own, 'gone'), 'rootfs'))).toBe(false);
    expect((await wsl(own, ['-l', '-q'])).text).toBe('');
    expect(await own.leftovers()).toEqual([]);

    await own.cleanup();
    expect(existsSync(own.home)).toBe(false);
  });

  it('cleans up a running distro with a container in it', async () => {
    const own = await freshSim();
    ok(await importInto(own, 'busy', tarGz));
    ok(await sh(own, 'busy', 'cd /ctr/daemon && runc run -d wsl-sim-daemon </dev/null >/dev/null 2>&1'));
    // runc run -d returns once the container started: its process may still be runc init for a moment.
    await waitUntil(async () => (await hostPidOf(['sleep', '1000000'])) !== undefined, 'the container process');
    const [init] = (await readFile(join(own.home, 'run/busy.pid'), 'utf8')).split(' ').map(Number);

    await own.cleanup();
    expect(isAlive(init as number)).toBe(false);
    expect(await own.leftovers()).toEqual([]);
    expect(existsSync(own.home)).toBe(false);
  });
});
