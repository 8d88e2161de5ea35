import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller } from '../../e2e/fixtures/engine-client.js';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { SERVICE } from '../../e2e/fixtures/service-command.js';
import { Engine } from '../engine/engine.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink'; body?: string; linkname?: string; mode?: number; uid?: number };

/** A tar file on this machine, as the CLI and the Docker API hand one over. */
async function tarFile(dir: TempDir, name: string, entries: Entry[]): Promise<string> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.mode ?? 0o644, uid: e.uid ?? 1000, gid: e.uid ?? 1000 }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const path = join(dir.path, name);
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

/** The entries of a tar the engine streamed out, with each file's text. */
async function readTarChunks(chunks: string[]): Promise<Record<string, string>> {
  const extract = tar.extract();
  const found: Record<string, string> = {};
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const part of entry) parts.push(part as Buffer);
      found[entry.header.name] = entry.header.type === 'file' ? Buffer.concat(parts).toString() : entry.header.type === 'symlink' ? `-> ${entry.header.linkname}` : entry.header.type;
    }
  })();
  extract.end(Buffer.concat(chunks.map((c) => Buffer.from(c, 'base64'))));
  await done;
  return found;
}

describe.each(TEST_HOSTS)("a container's files: browse, read, copy out and in; Linux on the %s host", (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let dir: TempDir;
  let id: string;

  const exec = async (command: string) => {
    let out = '';
    const { exitCode } = await call('containers.exec', { id, command: ['sh', '-c', command] }, (o) => (out += Buffer.from(o.base64, 'base64').toString()));
    return { exitCode, out };
  };

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
    dir = await makeTempDir('berth-files-');
    const container = await call('containers.run', { image: 'hello', name: 'filed', hostname: 'filed-host', cmd: SERVICE, autoExpose: false, volumes: ['frozen:/frozen:ro', 'shared:/shared'] });
    id = container.id;
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
    await dir?.remove();
  });

  it('lists a folder, says what a path is, and reads a file for a preview', async () => {
    const root = await call('containers.files.list', { id: 'filed', path: '/' });
    expect(root.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['bin', 'etc', 'frozen', 'shared', 'tmp']));
    expect(root.entries.find((e) => e.name === 'etc')).toMatchObject({ type: 'directory', mode: 0o755 });
    expect(await call('containers.files.stat', { id: 'filed', path: '/etc/hostname' })).toMatchObject({ name: 'hostname', type: 'file' });
    const read = await call('containers.files.read', { id: 'filed', path: '/etc/hostname' });
    expect(Buffer.from(read.base64, 'base64').toString()).toBe('filed-host\n');
    // A volume is seen as the container sees it, mounted.
    await exec('echo in-the-volume > /shared/note');
    expect((await call('containers.files.list', { id: 'filed', path: '/shared' })).entries.map((e) => e.name)).toEqual(['note']);
  });

  it('copies a folder out as a tar named by its last part, and a file alone', async () => {
    await exec('mkdir -p /tmp/out/sub && echo one > /tmp/out/one && echo two > /tmp/out/sub/two && ln -s one /tmp/out/link');
    const chunks: string[] = [];
    const stat = await call('containers.files.get', { id: 'filed', path: '/tmp/out' }, (c) => chunks.push(c.base64));
    expect(stat).toMatchObject({ name: 'out', type: 'directory' });
    expect(await readTarChunks(chunks)).toEqual({ out: 'directory', 'out/link': '-> one', 'out/one': 'one\n', 'out/sub': 'directory', 'out/sub/two': 'two\n' });
    const bytes: string[] = [];
    await call('containers.files.get', { id: 'filed', path: '/etc/hostname', archive: false }, (c) => bytes.push(c.base64));
    expect(Buffer.concat(bytes.map((b) => Buffer.from(b, 'base64'))).toString()).toBe('filed-host\n');
    // Through a symlink, a file's bytes are those of the file it leads to; a folder's are refused.
    const linked: string[] = [];
    await call('containers.files.get', { id: 'filed', path: '/tmp/out/link', archive: false }, (c) => linked.push(c.base64));
    expect(Buffer.concat(linked.map((b) => Buffer.from(b, 'base64'))).toString()).toBe('one\n');
    await exec('ln -s sub /tmp/out/sublink');
    await expect(call('containers.files.get', { id: 'filed', path: '/tmp/out/sublink', archive: false }, () => {})).rejects.toMatchObject({ code: 'PATH_NOT_FILE' });
  });

  it('copies an archive and a single file in, owned by root unless asked, that the container then reads', async () => {
    const archive = await tarFile(dir, 'in.tar', [
      { name: 'app/', type: 'directory', mode: 0o750 },
      { name: 'app/config.txt', body: 'setting=1\n', mode: 0o600 },
      { name: 'app/current', type: 'symlink', linkname: 'config.txt' },
    ]);
    expect(await call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'archive', file: archive } })).toEqual({ entries: 3 });
    expect(await exec('cat /tmp/app/current; stat -c "%a %u" /tmp/app /tmp/app/config.txt')).toEqual({ exitCode: 0, out: 'setting=1\n750 0\n600 0\n' });
    await call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'archive', file: archive }, copyOwner: true });
    expect((await exec('stat -c %u /tmp/app/config.txt')).out).toBe('1000\n');

    await call('containers.files.put', { id: 'filed', path: '/shared', source: { kind: 'file', name: 'uploaded.txt', base64: Buffer.from('from the app\n').toString('base64') } });
    expect((await exec('cat /shared/uploaded.txt')).out).toBe('from the app\n');
  });

  it('refuses bad paths and hostile archives in one line each, writing nothing outside the container', async () => {
    await expect(call('containers.files.get', { id: 'filed', path: '/no/such/thing' }, () => {})).rejects.toMatchObject({ code: 'PATH_NOT_FOUND', message: 'no such file or folder in the container: /no/such/thing' });
    await expect(call('containers.files.read', { id: 'filed', path: '/bin/busybox', maxBytes: 4096 })).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/^\/bin\/busybox is \d+ bytes, more than the 4096 a preview shows$/) });
    await expect(call('containers.files.read', { id: 'filed', path: '/etc' })).rejects.toMatchObject({ code: 'PATH_NOT_FILE' });

    const note = { kind: 'file' as const, name: 'x.txt', base64: Buffer.from('x').toString('base64') };
    await expect(call('containers.files.put', { id: 'filed', path: '/frozen', source: note })).rejects.toMatchObject({ code: 'PATH_READ_ONLY', message: expect.stringContaining('/frozen') });
    await expect(call('containers.files.put', { id: 'filed', path: '/etc/hostname', source: note })).rejects.toMatchObject({ code: 'PATH_NOT_DIRECTORY', message: '/etc/hostname is not a folder: a copy goes into a folder' });
    await expect(call('containers.files.put', { id: 'filed', path: '/nowhere', source: note })).rejects.toMatchObject({ code: 'PATH_NOT_FOUND', message: 'no such folder in the container: /nowhere' });
    await expect(call('containers.files.put', { id: 'filed', path: '/tmp', source: { ...note, name: '../x' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    const climbing = await tarFile(dir, 'climb.tar', [{ name: 'ok.txt', body: 'fine' }, { name: '../../../../berth-escaped.txt', body: 'out' }]);
    await expect(call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'archive', file: climbing } })).rejects.toMatchObject({ code: 'UNSAFE_LAYER', message: expect.stringContaining('berth-escaped.txt') });
    const through = await tarFile(dir, 'through.tar', [{ name: 'up', type: 'symlink', linkname: '/' }, { name: 'up/berth-escaped.txt', body: 'out' }]);
    await expect(call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'archive', file: through } })).rejects.toMatchObject({ code: 'UNSAFE_LAYER' });
    // A symlink the container already has leads to the container's own root, never the host's.
    await exec('ln -s / /tmp/rootlink');
    const viaLink = await tarFile(dir, 'via.tar', [{ name: 'rootlink/berth-landed.txt', body: 'inside' }]);
    await call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'archive', file: viaLink } });
    expect((await exec('cat /berth-landed.txt')).out).toBe('inside');
    expect(await env.linuxOutput(['sh', '-c', 'ls /berth-landed.txt /berth-escaped.txt /tmp/berth-escaped.txt 2>/dev/null; true'])).toBe('');
  });

  it('works on a stopped container, mounting its files only for the call', async () => {
    await call('containers.stop', { id: 'filed', timeout: 1 });
    expect(Buffer.from((await call('containers.files.read', { id: 'filed', path: '/tmp/app/config.txt' })).base64, 'base64').toString()).toBe('setting=1\n');
    await call('containers.files.put', { id: 'filed', path: '/tmp', source: { kind: 'file', name: 'while-stopped', base64: Buffer.from('later').toString('base64') } });
    expect(await env.leftovers([id])).toEqual([]);
    await call('containers.start', { id: 'filed' });
    expect((await exec('cat /tmp/while-stopped')).out).toBe('later');
    await call('containers.remove', { id: 'filed', force: true });
  });
});
