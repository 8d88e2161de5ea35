import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../electron/engine/engine-config.js';
import { DISTRO_VERSION, DISTRO_VERSION_FILE } from '../../electron/host/wsl/distro-version.js';
import { defaultDistroArchivePath, RECIPE_HASH, recipePath } from './build-distro.js';

const SCRIPT = join(packageRoot(), 'dist', 'build', 'distro', 'build-distro.js');
// The first build downloads and installs every package.
const FIRST_BUILD_MS = 30 * 60_000;
// A cache hit or a refused --out does no work; this only catches a hang.
const HANG_BOUND_MS = 120_000;
const BIN_DIRS = ['usr/sbin', 'usr/bin', 'sbin', 'bin'];

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function buildScript(args: string[], timeoutMs: number): Promise<ScriptResult> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // SIGTERM lets the script remove its temp tree before it exits.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr });
    });
  });
}

async function tarAt(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('tar', args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

/** `tar -tv` lines: MODE OWNER SIZE DATE TIME NAME, where NAME may go on with ` -> TARGET` or ` link to TARGET`. */
function parseListing(listing: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const match = /^(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const name = match[2].split(' -> ')[0]?.split(' link to ')[0] ?? match[2];
    entries.set(name, match[1]);
  }
  return entries;
}

/** The build's temp trees (mkdtemp's `berth-distro-XXXXXX`), not this test's own dirs. */
async function buildTempDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => /^berth-distro-[A-Za-z0-9]{6}$/.test(name)).sort();
}

describe('the WSL distro build', () => {
  const archive = defaultDistroArchivePath();
  /** Archive path -> mode as `tar -tv` shows it (drwxr-xr-x). */
  let entries: Map<string, string>;
  let tempDirsBefore: string[];

  beforeAll(async () => {
    tempDirsBefore = await buildTempDirs();
    const built = await buildScript([], FIRST_BUILD_MS);
    if (built.code !== 0) throw new Error(`the distro build failed: ${built.stderr.trim()}`);
    expect(built.stdout.trim()).toBe(archive);
    entries = parseListing(await tarAt(['-tvzf', archive]));
  }, FIRST_BUILD_MS + 60_000);

  it('stores paths relative to the root, as wsl --import expects, with a root anyone may enter', () => {
    expect(entries.get('./')).toBe('drwxr-xr-x');
    expect([...entries.keys()].filter((entry) => !entry.startsWith('./'))).toEqual([]);
  });

  it('carries the distro version and a wsl.conf that keeps Windows PATH out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-distro-test-'));
    try {
      const versionEntry = `.${DISTRO_VERSION_FILE}`;
      await tarAt(['-xzf', archive, '-C', dir, versionEntry, './etc/wsl.conf']);
      expect(await readFile(join(dir, versionEntry), 'utf8')).toBe(`${DISTRO_VERSION}\n`);
      const wslConf = await readFile(join(dir, 'etc', 'wsl.conf'), 'utf8');
      expect(wslConf).toMatch(/^\[interop\]\n(#.*\n)*appendWindowsPath=false$/m);
      expect(wslConf).toMatch(/^\[automount\]\n(#.*\n)*enabled=true$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['runc', 'ip', 'nft', 'tar', 'mount', 'stdbuf', 'zstd'])('has %s', (command) => {
    const found = BIN_DIRS.map((dir) => `./${dir}/${command}`).filter((path) => entries.has(path));
    expect(found, `no ${command} in ${BIN_DIRS.join(', ')}`).not.toEqual([]);
  });

  it('leaves no apt lists, downloaded packages or man pages', () => {
    const filesUnder = (dir: string): string[] =>
      [...entries.keys()].filter((entry) => entry.startsWith(`./${dir}/`) && !entry.endsWith('/'));
    expect(filesUnder('var/lib/apt/lists')).toEqual([]);
    expect(filesUnder('var/cache/apt')).toEqual([]);
    expect(filesUnder('usr/share/man')).toEqual([]);
    expect(filesUnder('usr/share/locale')).toEqual([]);
  });

  it('removes its temp tree and leaves no mount behind', async () => {
    expect(await buildTempDirs()).toEqual(tempDirsBefore);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mountinfo).not.toContain(join(tmpdir(), 'berth-distro-'));
  });

  it('reuses the archive when the recipe is unchanged', async () => {
    const before = await stat(archive);
    const again = await buildScript([], HANG_BOUND_MS);
    expect(again).toEqual({ code: 0, stdout: `${archive}\n`, stderr: '' });
    const after = await stat(archive);
    expect({ ino: after.ino, mtimeMs: after.mtimeMs, size: after.size }).toEqual({
      ino: before.ino,
      mtimeMs: before.mtimeMs,
      size: before.size,
    });
    expect((await readFile(recipePath(archive), 'utf8')).trim()).toBe(RECIPE_HASH);
  });
});

describe('the WSL distro build given a bad --out', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'berth-distro-out-test-'));
  });

  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('fails with one line naming the missing directory and leaves nothing behind', async () => {
    const tempDirsBefore = await buildTempDirs();
    const missingDir = join(parent, 'missing');
    const result = await buildScript(['--out', join(missingDir, 'distro.tar.gz')], HANG_BOUND_MS);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`directory ${missingDir} does not exist`);
    expect(await readdir(parent)).toEqual([]);
    expect(await buildTempDirs()).toEqual(tempDirsBefore);
  });
});
