import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { gzipLayer, layoutLayers, writeOciLayout } from '../../e2e/fixtures/oci-layout.js';
import { startRegistry } from '../../e2e/fixtures/registry.js';
import { makeTar } from '../../e2e/fixtures/tar-builder.js';
import { makeTempDir } from '../../e2e/fixtures/temp-dir.js';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { installUsock } from '../../e2e/fixtures/usock/usock.js';
import type { ExecOutput } from '../../shared/terminals.js';
import { stagingDir } from '../volumes/volume-mounts.js';
import { Engine } from './engine.js';

describe.each(TEST_HOSTS)('volumes, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let folder: { path: string; local: string };

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
    folder = await env.makeHostFolder('src');
    await writeFile(`${folder.local}/hello.txt`, 'from the host\n');
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  async function exec(id: string, command: string[]): Promise<{ exitCode: number; output: string }> {
    const items: ExecOutput[] = [];
    const { exitCode } = await call('containers.exec', { id, command }, (item) => items.push(item));
    return { exitCode, output: Buffer.concat(items.map((i) => Buffer.from(i.base64, 'base64'))).toString() };
  }

  const run = (volumes: string[], cmd = ['sleep', '300']) => call('containers.run', { image: 'hello', cmd, autoExpose: false, volumes });
  const mountPoint = (id: string) => `${stagingDir(engine.host.dataRoot, id)}/0`;

  it('shows a host folder while the container runs, and holds no mount once it stops', async () => {
    const container = await run([`${folder.path}:/data`]);
    expect(container.mounts).toEqual([{ type: 'bind', source: folder.path, destination: '/data', readOnly: false }]);
    expect(await exec(container.id, ['cat', '/data/hello.txt'])).toEqual({ exitCode: 0, output: 'from the host\n' });
    expect((await exec(container.id, ['sh', '-c', 'echo from the container >/data/back.txt'])).exitCode).toBe(0);
    expect(await readFile(`${folder.local}/back.txt`, 'utf8')).toBe('from the container\n');
    expect(await env.linuxMounts()).toContain(mountPoint(container.id));

    await call('containers.stop', { id: container.id, timeout: 1 });
    expect(await env.linuxMounts()).not.toContain(mountPoint(container.id));
    expect(await env.linuxFileSize(stagingDir(engine.host.dataRoot, container.id))).toBeUndefined();
    // The user's files are untouched by the release.
    expect(await readFile(`${folder.local}/hello.txt`, 'utf8')).toBe('from the host\n');

    await call('containers.start', { id: container.id });
    expect(await env.linuxMounts()).toContain(mountPoint(container.id));
    expect((await exec(container.id, ['cat', '/data/back.txt'])).output).toBe('from the container\n');
    await call('containers.remove', { id: container.id, force: true });
    expect(await env.linuxMounts()).not.toContain(mountPoint(container.id));
    expect(await readFile(`${folder.local}/hello.txt`, 'utf8')).toBe('from the host\n');
  });

  it('releases the folder of a container that exited while no engine ran', async () => {
    const container = await run([`${folder.path}:/data`]);
    expect(await env.linuxMounts()).toContain(mountPoint(container.id));
    await engine.close();
    await engine.runtime.kill(container.id, 9, true);
    engine = await env.openEngine();
    call = engineCaller(engine);
    expect((await call('containers.inspect', { id: container.id })).state.status).toBe('exited');
    expect(await env.linuxMounts()).not.toContain(mountPoint(container.id));
    expect(await readFile(`${folder.local}/hello.txt`, 'utf8')).toBe('from the host\n');
    await call('containers.remove', { id: container.id });
  });

  it('mounts read-only with :ro', async () => {
    const container = await run([`${folder.path}:/data:ro`]);
    const write = await exec(container.id, ['sh', '-c', 'echo x >/data/nope.txt']);
    expect(write.exitCode).not.toBe(0);
    expect(write.output).toMatch(/Read-only file system/);
    expect((await exec(container.id, ['cat', '/data/hello.txt'])).output).toBe('from the host\n');
    await call('containers.remove', { id: container.id, force: true });
  });

  it('keeps a named volume across containers and will not remove it from under one', async () => {
    const first = await run(['cache:/cache'], ['sh', '-c', 'echo kept >/cache/note']);
    await call('containers.stop', { id: first.id, timeout: 1 });
    expect(first.mounts[0]).toMatchObject({ type: 'volume', source: 'cache' });
    const volumes = await call('volumes.list', {});
    expect(volumes).toEqual([expect.objectContaining({ name: 'cache', usedBy: [first.name] })]);

    const second = await run(['cache:/again:ro']);
    expect((await exec(second.id, ['cat', '/again/note'])).output).toBe('kept\n');
    expect(await errorOf(call('volumes.remove', { name: 'cache' }))).toMatchObject({ code: 'VOLUME_IN_USE' });

    await call('containers.remove', { id: first.id, force: true });
    await call('containers.remove', { id: second.id, force: true });
    expect(await call('volumes.remove', { name: 'cache' })).toEqual({ name: 'cache' });
    expect(await call('volumes.list', {})).toEqual([]);
    expect(await errorOf(call('volumes.remove', { name: 'cache' }))).toMatchObject({ code: 'VOLUME_NOT_FOUND' });
  });

  it("gives -v /data a volume of the container's own: listed, kept after a stop and a plain rm, gone with rm -v and with --rm", async () => {
    const first = await run(['/data'], ['sh', '-c', 'echo kept >/data/note']);
    const [mount] = first.mounts;
    expect(mount).toMatchObject({ type: 'volume', destination: '/data', anonymous: true, source: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const name = mount!.source;
    await call('containers.stop', { id: first.id, timeout: 1 });
    expect(await call('volumes.list', {})).toEqual([expect.objectContaining({ name, usedBy: [first.name], labels: { 'com.docker.volume.anonymous': '' } })]);
    // A plain rm keeps it, as in Docker: its data can still be reached by its name.
    await call('containers.remove', { id: first.id });
    const reader = await run([`${name}:/data`], ['cat', '/data/note']);
    const read = await waitFor('the reader to exit', () => call('containers.inspect', { id: reader.id }), (c) => c.state.status === 'exited');
    expect(read.state.exitCode).toBe(0);
    expect(await errorOf(call('volumes.remove', { name }))).toMatchObject({ code: 'VOLUME_IN_USE' });
    // rm -v takes only volumes of the container's own: this one was named by the reader.
    await call('containers.remove', { id: reader.id, volumes: true });
    expect((await call('volumes.list', {})).map((v) => v.name)).toEqual([name]);
    await call('volumes.remove', { name });

    const second = await run(['/scratch']);
    await call('containers.remove', { id: second.id, force: true, volumes: true });
    expect(await call('volumes.list', {})).toEqual([]);

    const once = await call('containers.run', { image: 'hello', cmd: ['true'], autoExpose: false, volumes: ['/tmp/work'], autoRemove: true });
    await waitFor('--rm to take the container', () => call('containers.list', { all: true }), (all) => !all.some((c) => c.id === once.id));
    await waitFor('--rm to take its volume', () => call('volumes.list', {}), (volumes) => volumes.length === 0);
  });

  it("gives an image's VOLUME a volume filled from the image, owner and mode too, and never from outside the image", async () => {
    const registry = await startRegistry();
    const layout = await makeTempDir('berth-volume-image-');
    try {
      await buildBusyboxImage(layout.path, 'base', { cmd: ['sh'] });
      const top = await gzipLayer(
        await makeTar([
          { name: 'var/lib/db/', type: 'directory', mode: 0o700, uid: 999, gid: 999 },
          { name: 'var/lib/db/seed', content: 'seeded by the image\n', uid: 999, gid: 999 },
          // An absolute link the fill must resolve inside the container's root, never on the Linux side.
          { name: 'conf', type: 'symlink', linkname: '/etc' },
        ]),
        join(layout.path, 'top.tar.gz'),
      );
      const layers = [...(await layoutLayers(layout.path, 'base')), top];
      await writeOciLayout(join(layout.path, 'db'), [{ tag: 'db', layers, config: { Volumes: { '/var/lib/db': {}, '/conf': {} } } }]);
      const image = await registry.push(join(layout.path, 'db'), 'db', 'test/db');

      const check = ['sh', '-c', 'stat -c "%u %g %a" /var/lib/db; cat /var/lib/db/seed; ls /conf; echo more >/var/lib/db/added'];
      const first = await call('containers.run', { image, cmd: check, autoExpose: false });
      expect(first.mounts.map((m) => [m.destination, m.anonymous])).toEqual([['/var/lib/db', true], ['/conf', true]]);
      const done = await waitFor('the check to exit', () => call('containers.inspect', { id: first.id }), (c) => c.state.status === 'exited');
      expect(done.state.exitCode).toBe(0);
      const chunks: string[] = [];
      await call('containers.logs', { id: first.id }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
      // The container's own /etc (the busybox image's group and passwd, and the files Berth writes
      // there at start): the Linux side's /etc would show far more.
      expect(chunks.join('')).toBe('999 999 700\nseeded by the image\ngroup\nhostname\nhosts\npasswd\nresolv.conf\n');

      // Named, the volume outlives the container; rm -v takes only the anonymous one.
      const named = await call('containers.run', { image, cmd: ['sh', '-c', 'echo kept >/var/lib/db/note'], autoExpose: false, volumes: ['dbdata:/var/lib/db'] });
      await waitFor('the writer to exit', () => call('containers.inspect', { id: named.id }), (c) => c.state.status === 'exited');
      const anonymousOfNamed = named.mounts.find((m) => m.destination === '/conf')!.source;
      await call('containers.remove', { id: named.id, volumes: true });
      const left = (await call('volumes.list', {})).map((v) => v.name);
      expect(left).toContain('dbdata');
      expect(left).not.toContain(anonymousOfNamed);
      const reader = await call('containers.run', { image, cmd: ['cat', '/var/lib/db/note', '/var/lib/db/seed'], autoExpose: false, volumes: ['dbdata:/var/lib/db'] });
      await waitFor('the reader to exit', () => call('containers.inspect', { id: reader.id }), (c) => c.state.status === 'exited');
      const read: string[] = [];
      await call('containers.logs', { id: reader.id }, (c) => read.push(Buffer.from(c.base64, 'base64').toString()));
      expect(read.join('')).toBe('kept\nseeded by the image\n');

      for (const id of [first.id, reader.id]) await call('containers.remove', { id, volumes: true });
      await call('volumes.remove', { name: 'dbdata' });
      expect(await call('volumes.list', {})).toEqual([]);
    } finally {
      await registry.stop();
      await layout.remove();
    }
  });

  it('creates, lists and removes volumes by name, and names one itself when asked for none', async () => {
    const named = await call('volumes.create', { name: 'made-by-hand' });
    expect(named).toMatchObject({ name: 'made-by-hand', usedBy: [] });
    expect(await call('volumes.create', { name: 'made-by-hand' })).toMatchObject({ name: 'made-by-hand', created: named.created });
    const anonymous = await call('volumes.create', {});
    expect(anonymous.name).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('volumes.list', {})).map((v) => v.name).sort()).toEqual([anonymous.name, 'made-by-hand'].sort());
    expect(await errorOf(call('volumes.create', { name: '../escape' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('../escape') });
    await call('volumes.remove', { name: 'made-by-hand' });
    await call('volumes.remove', { name: anonymous.name });
  });

  it('refuses bad volumes with one line naming the bad part, and makes nothing', async () => {
    const cases: [string, RegExp][] = [
      ['relative/src:/data', /source "relative\/src" is a relative path/],
      [`${folder.path}/missing:/data`, /source .*missing does not exist/],
      [`${folder.path}:data`, /container path "data" is not absolute/],
      [`${folder.path}:/`, /cannot be "\/"/],
      [`${folder.path}:/data/../etc`, /contains "\.\."/],
      [`${folder.path}:/data:rw,z`, /unknown option "z"/],
      ['newvol:/data:ro:extra', /expected SOURCE:CONTAINER_PATH/],
    ];
    const before = await call('containers.list', { all: true });
    for (const [spec, message] of cases) {
      const error = await errorOf(run([spec]));
      expect(error.code, spec).toBe('INVALID_ARGUMENT');
      expect(error.message, spec).toMatch(message);
      expect(error.message.split('\n')).toHaveLength(1);
    }
    expect(await call('containers.list', { all: true })).toEqual(before);
    expect(await call('volumes.list', {})).toEqual([]);
    expect((await env.linuxMounts()).filter((m) => m.startsWith(`${engine.host.dataRoot}/mounts`))).toEqual([]);
  });

  it('gives back what a failed start mounted, and the volume the run made for itself', async () => {
    // The command does not exist: the runtime fails after the volumes are mounted.
    const error = await errorOf(run([`${folder.path}:/data`, 'fresh:/fresh'], ['/no/such/command']));
    expect(error.code).toBe('COMMAND_NOT_FOUND');
    expect(await call('containers.list', { all: true })).toEqual([]);
    expect((await env.linuxMounts()).filter((m) => m.startsWith(`${engine.host.dataRoot}/mounts`))).toEqual([]);
    expect(await call('volumes.list', {})).toEqual([]);
  });

  it('runs a tool from a mounted folder (the socket tests rely on it)', async () => {
    const tools = await env.makeHostFolder('tools');
    await installUsock(tools.local);
    const container = await run([`${tools.path}:/opt/tools:ro`]);
    const result = await exec(container.id, ['/opt/tools/usock']);
    expect(result.output).toMatch(/usage: usock/);
    await call('containers.remove', { id: container.id, force: true });
  });
});
