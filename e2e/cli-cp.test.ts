import type { ChildProcess } from 'node:child_process';
import { chown, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

// `berth cp` in Docker's grammar, both ways, against a running engine.
describe('berth cp', { timeout: 120_000 }, () => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let dir: TempDir;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    dir = await makeTempDir('berth-cp-test-');
    serve = await startServe(env.env);
    expect(await berth(env.env, ['run', '-d', '--name', 'box', '--hostname', 'box-host', '--no-auto-expose', 'hello', 'sleep', '300'])).toMatchObject({ code: 0 });
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'box']);
      await stopServe(serve);
    }
    await env?.cleanup();
    await dir?.remove();
  });

  it('copies a file and a folder out: into a folder that exists, or to a new name', async () => {
    expect(await berth(env.env, ['cp', 'box:/etc/hostname', dir.path])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(join(dir.path, 'hostname'), 'utf8')).toBe('box-host\n');
    expect(await berth(env.env, ['cp', 'box:/etc/hostname', join(dir.path, 'name.txt')])).toMatchObject({ code: 0 });
    expect(await readFile(join(dir.path, 'name.txt'), 'utf8')).toBe('box-host\n');

    expect(await berth(env.env, ['exec', 'box', 'sh', '-c', 'mkdir -p /srv/site/css && echo hi > /srv/site/index.html && echo b > /srv/site/css/a.css && ln -s index.html /srv/site/home'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['cp', 'box:/srv/site', join(dir.path, 'copy')])).toMatchObject({ code: 0 });
    expect(await readFile(join(dir.path, 'copy', 'css', 'a.css'), 'utf8')).toBe('b\n');
    expect(await readlink(join(dir.path, 'copy', 'home'))).toBe('index.html');
    // `dir/.` is the folder's content.
    await mkdir(join(dir.path, 'content'));
    expect(await berth(env.env, ['cp', 'box:/srv/site/.', join(dir.path, 'content')])).toMatchObject({ code: 0 });
    expect(await readFile(join(dir.path, 'content', 'index.html'), 'utf8')).toBe('hi\n');
  });

  it('copies a file and a folder in, owned by root unless -a', async () => {
    const local = join(dir.path, 'upload');
    await mkdir(join(local, 'nested'), { recursive: true });
    await writeFile(join(local, 'nested', 'data.txt'), 'payload\n');
    await symlink('nested/data.txt', join(local, 'shortcut'));
    expect(await berth(env.env, ['cp', local, 'box:/tmp'])).toMatchObject({ code: 0, stderr: '' });
    expect(await berth(env.env, ['exec', 'box', 'sh', '-c', 'cat /tmp/upload/shortcut; stat -c %u /tmp/upload/nested/data.txt'])).toMatchObject({ stdout: 'payload\n0\n' });
    expect(await berth(env.env, ['cp', join(local, 'nested', 'data.txt'), 'box:/tmp/renamed.txt'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['exec', 'box', 'cat', '/tmp/renamed.txt'])).toMatchObject({ stdout: 'payload\n' });
    // -a keeps the owner the file has here.
    await chown(join(local, 'nested', 'data.txt'), 1234, 1234);
    expect(await berth(env.env, ['cp', '-a', local, 'box:/srv'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['exec', 'box', 'stat', '-c', '%u:%g', '/srv/upload/nested/data.txt'])).toMatchObject({ stdout: '1234:1234\n' });
  });

  it('says in one line what is wrong: a missing path on either side, a folder onto a file, two local paths', async () => {
    expect(await berth(env.env, ['cp', 'box:/no/such', dir.path])).toMatchObject({ code: 1, stderr: 'Error: no such file or folder in the container: /no/such\n' });
    expect(await berth(env.env, ['cp', join(dir.path, 'absent'), 'box:/tmp'])).toMatchObject({ code: 1, stderr: `Error: no such file or folder: ${join(dir.path, 'absent')}\n` });
    expect(await berth(env.env, ['cp', join(dir.path, 'name.txt'), 'box:/missing/dir/x'])).toMatchObject({ code: 1, stderr: 'Error: no such folder in the container: /missing/dir\n' });
    expect(await berth(env.env, ['cp', 'box:/srv/site', join(dir.path, 'name.txt')])).toMatchObject({ code: 1, stderr: `Error: cannot copy the folder /srv/site to the file ${join(dir.path, 'name.txt')}\n` });
    expect(await berth(env.env, ['cp', dir.path, join(dir.path, 'x')])).toMatchObject({ code: 2 });
    expect(await berth(env.env, ['cp', 'nobox:/etc', dir.path])).toMatchObject({ code: 1, stderr: 'Error: no such container: nobox\n' });
  });
});
