import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../shared/berth-error.js';
import { LocalHost } from '../host/local/local-host.js';
import { LayerStore } from './layer-store.js';
import { makeTar, sha256, type TestEntry } from '../../e2e/fixtures/tar-builder.js';

let root: string;
let host: LocalHost;
let layers: LayerStore;
let sentinel: string;
const mounts: string[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
  host = new LocalHost(join(root, 'data'));
  layers = new LayerStore(host);
  sentinel = join(root, 'SENTINEL');
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'keep'), 'untouched');
});

afterAll(() => {
  for (const mount of mounts) execFileSync('umount', [mount]);
  // Layer dirs hold whiteout devices: rm as root removes them.
  execFileSync('rm', ['-rf', root]);
});

async function unpack(entries: TestEntry[], compress: (tar: Buffer) => Buffer = (t) => t): Promise<{ dir: string; diffId: string }> {
  const tar = await makeTar(entries);
  const diffId = sha256(tar);
  await layers.ensure(diffId, { open: async () => Readable.from([compress(tar)]), what: `layer ${diffId.slice(7, 19)}` });
  return { dir: layers.path(diffId), diffId };
}

async function refused(entries: TestEntry[]): Promise<BerthError> {
  const tar = await makeTar(entries);
  const diffId = sha256(tar);
  const err = await layers.ensure(diffId, { open: async () => Readable.from([tar]), what: 'hostile layer' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BerthError);
  expect(existsSync(layers.path(diffId))).toBe(false);
  return err as BerthError;
}

function sentinelUnchanged(): void {
  expect(readdirSync(sentinel)).toEqual(['keep']);
  expect(readFileSync(join(sentinel, 'keep'), 'utf8')).toBe('untouched');
}

describe('unpacking layers', () => {
  const base: TestEntry[] = [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', mode: 0o4755, content: 'setuid tool' },
    { name: 'bin/alias', type: 'link', linkname: 'bin/tool' },
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/tool' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/shadow', mode: 0o000, content: 'secret' },
    { name: 'home/user/', type: 'directory', uid: 1000, gid: 1000 },
  ];

  it.each([
    ['plain', (t: Buffer) => t],
    ['gzip', (t: Buffer) => gzipSync(t)],
    ['zstd', (t: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: t })],
  ])('reads %s layers, keeping modes, owners and links', async (_name, compress) => {
    const { dir } = await unpack([...base, { name: `marker-${_name}`, content: _name }], compress);
    expect(statSync(join(dir, 'bin/tool')).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(dir, 'etc/shadow')).mode & 0o7777).toBe(0);
    expect(statSync(join(dir, 'bin/alias')).ino).toBe(statSync(join(dir, 'bin/tool')).ino);
    expect(lstatSync(join(dir, 'bin/sh')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'home/user')).uid).toBe(1000);
    expect(readFileSync(join(dir, `marker-${_name}`), 'utf8')).toBe(_name);
  });

  it('keeps long and non-ASCII names, long link targets and large ids', async () => {
    const deep = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}`;
    const { dir } = await unpack([
      { name: `${deep}/file.txt`, content: 'deep' },
      { name: 'café/naïve.txt', content: 'utf8' },
      { name: 'long-link', type: 'symlink', linkname: `/${deep}/file.txt` },
      { name: 'owned', content: 'x', uid: 1_000_000, gid: 2_000_000 },
    ]);
    expect(readFileSync(join(dir, deep, 'file.txt'), 'utf8')).toBe('deep');
    expect(readFileSync(join(dir, 'café/naïve.txt'), 'utf8')).toBe('utf8');
    expect(readlinkSync(join(dir, 'long-link'))).toBe(`/${deep}/file.txt`);
    expect(statSync(join(dir, 'owned'))).toMatchObject({ uid: 1_000_000, gid: 2_000_000 });
  });

  it('unpacks a layer once for concurrent callers', async () => {
    const tar = await makeTar([{ name: 'once', content: 'x' }]);
    const diffId = sha256(tar);
    let opened = 0;
    const open = async (): Promise<Readable> => {
      opened++;
      return Readable.from([tar]);
    };
    const results = await Promise.all([1, 2, 3].map(() => layers.ensure(diffId, { open, what: 'l' })));
    expect(opened).toBe(1);
    expect(results.sort()).toEqual(['cached', 'cached', 'unpacked']);
    expect(await layers.ensure(diffId, { open, what: 'l' })).toBe('cached');
    expect(readdirSync(join(host.dataRoot, 'layers', 'tmp'))).toEqual([]);
  });

  it('refuses a layer whose diff id differs from the config', async () => {
    const tar = await makeTar([{ name: 'f', content: 'x' }]);
    const claimed = sha256(Buffer.from('something else'));
    const err = await layers.ensure(claimed, { open: async () => Readable.from([tar]), what: 'layer X' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect((err as Error).message).toContain('layer X');
    expect(existsSync(layers.path(claimed))).toBe(false);
  });

  it('refuses data that is no tar', async () => {
    const junk = Buffer.alloc(4096, 7);
    const err = await layers.ensure(sha256(junk), { open: async () => Readable.from([junk]), what: 'layer J' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSAFE_LAYER' });
  });
});

describe('hostile layers change nothing outside the layer', () => {
  it('refuses ../ escapes', async () => {
    const err = await refused([{ name: 'ok', content: 'x' }, { name: '../../x', content: 'escape' }]);
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain('"../../x"');
    expect(existsSync(join(root, 'x'))).toBe(false);
    sentinelUnchanged();
  });

  it('makes absolute paths relative to the layer', async () => {
    const { dir } = await unpack([{ name: '/etc/evil-berth-test', content: 'evil' }]);
    expect(readFileSync(join(dir, 'etc/evil-berth-test'), 'utf8')).toBe('evil');
    expect(existsSync('/etc/evil-berth-test')).toBe(false);
  });

  it('refuses writing through a symlink of the same layer', async () => {
    const err = await refused([
      { name: 'a', type: 'symlink', linkname: sentinel },
      { name: 'a/pwned', content: 'pwned' },
    ]);
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain('"a/pwned"');
    sentinelUnchanged();
  });

  it('refuses replacing a symlink, by a file or a directory', async () => {
    const before = statSync(sentinel);
    for (const replacement of [
      { name: 'x', content: 'replaced' },
      { name: 'x', type: 'directory', mode: 0o777, uid: 1234 } as const,
    ]) {
      const err = await refused([{ name: 'x', type: 'symlink', linkname: join(sentinel, 'keep') }, replacement]);
      expect(err.message).toContain('replaces a symlink');
    }
    expect(statSync(sentinel)).toMatchObject({ mode: before.mode, uid: before.uid });
    sentinelUnchanged();
  });

  it('refuses hard links out of the layer', async () => {
    const before = statSync('/etc/passwd').nlink;
    const err = await refused([{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }]);
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain('"passwd"');
    const err2 = await refused([{ name: 'x', type: 'link', linkname: '../../../../../etc/passwd' }]);
    expect(err2.message).toContain('escapes');
    expect(statSync('/etc/passwd').nlink).toBe(before);
  });

  it('drops device nodes and fifos', async () => {
    const { dir } = await unpack([
      { name: 'dev/', type: 'directory' },
      { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'dev/pipe', type: 'fifo' },
      { name: 'dev/regular', content: 'ok' },
    ]);
    expect(readdirSync(join(dir, 'dev'))).toEqual(['regular']);
    sentinelUnchanged();
  });
});

describe('whiteouts under a real overlay mount', () => {
  it('hides whited-out files and the lower contents of opaque directories', async () => {
    const lower = await unpack([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', content: 'hello' },
      { name: 'etc/keep', content: 'kept' },
      { name: 'data/', type: 'directory' },
      { name: 'data/a', content: 'a' },
      { name: 'data/sub/', type: 'directory' },
      { name: 'data/sub/b', content: 'b' },
      { name: 'late/', type: 'directory' },
      { name: 'late/old', content: 'old' },
      { name: 'bare/', type: 'directory' },
      { name: 'bare/old', content: 'old' },
    ]);
    const upper = await unpack([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.motd' },
      // Marker before its directory's header.
      { name: 'data/.wh..wh..opq' },
      { name: 'data/', type: 'directory', mode: 0o750 },
      { name: 'data/c', content: 'c' },
      // Marker after its directory's header and contents.
      { name: 'late/', type: 'directory' },
      { name: 'late/new', content: 'new' },
      { name: 'late/.wh..wh..opq' },
      // Marker for a directory the layer has no header for.
      { name: 'bare/.wh..wh..opq' },
    ]);
    const whiteout = statSync(join(upper.dir, 'etc/motd'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);

    const merged = join(root, 'merged');
    mkdirSync(merged);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper.dir}:${lower.dir}`, merged]);
    mounts.push(merged);

    expect(existsSync(join(merged, 'etc/motd'))).toBe(false);
    expect(readFileSync(join(merged, 'etc/keep'), 'utf8')).toBe('kept');
    expect(readdirSync(join(merged, 'data'))).toEqual(['c']);
    expect(statSync(join(merged, 'data')).mode & 0o777).toBe(0o750);
    expect(readdirSync(join(merged, 'late'))).toEqual(['new']);
    expect(readdirSync(join(merged, 'bare'))).toEqual([]);
  });
});
