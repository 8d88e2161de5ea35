import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { closeTestEngine, engineCaller } from '../../e2e/fixtures/engine-client.js';
import { closeServer, freePort, holdPort, httpGet, isFree } from '../../e2e/fixtures/ports.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { Engine } from './engine.js';

describe.each(TEST_HOSTS)('publishing ports: user, auto_expose, auto_remap, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let registry: TestRegistry;
  let layout: TempDir;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let web: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    registry = await startRegistry();
    layout = await makeTempDir('berth-ports-layout-');
    await buildBusyboxImage(layout.path, 'web', {
      exposedPorts: ['80/tcp'],
      cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www'],
      files: { '/var/www/index.html': 'published page\n' },
    });
    web = await registry.push(layout.path, 'web', 'ports/web');
    engine = await env.openEngine();
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await registry?.stop();
    await layout?.remove();
    await env?.cleanup();
  });

  it('publishes an exposed port 1:1 on loopback when it is free, and frees it on stop', async () => {
    const container = await call('containers.run', { image: web, name: 'exposed' });
    expect(container.ports).toEqual([{ hostIp: env.publishIp, hostPort: 80, guestPort: 80, protocol: 'tcp', source: 'auto_expose' }]);
    expect(await httpGet(env.publishIp, 80)).toBe('published page\n');
    const stopped = await call('containers.stop', { id: 'exposed', timeout: 0 });
    expect(stopped.ports).toEqual([]);
    expect(await isFree(env.publishIp, 80)).toBe(true);
    await call('containers.remove', { id: 'exposed' });
  });

  it('remaps an exposed port when the host port is busy, and the new port serves the page', async () => {
    const busy = await holdPort(env.publishIp, 80);
    try {
      const container = await call('containers.run', { image: web });
      const [mapping] = container.ports;
      expect(mapping).toMatchObject({ hostIp: env.publishIp, guestPort: 80, source: 'auto_remap', requestedHostPort: 80 });
      expect(mapping!.hostPort).not.toBe(80);
      expect(await httpGet(env.publishIp, mapping!.hostPort)).toBe('published page\n');
      await call('containers.remove', { id: container.id, force: true });
      expect(await isFree(env.publishIp, mapping!.hostPort)).toBe(true);
    } finally {
      await closeServer(busy);
    }
  });

  it('fails a run whose user port is busy, naming the port, with nothing left behind', async () => {
    const port = await freePort();
    const busy = await holdPort('0.0.0.0', port);
    try {
      const before = (await call('containers.list', { all: true })).length;
      await expect(call('containers.run', { image: web, ports: [`${port}:80`] })).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: expect.stringContaining(`port ${port}/tcp`),
      });
      expect((await call('containers.list', { all: true })).length).toBe(before);
      // The implicit port 80 it had no chance to keep is free again.
      expect(await isFree(env.publishIp, 80)).toBe(true);
    } finally {
      await closeServer(busy);
    }
    expect(await isFree('0.0.0.0', port)).toBe(true);
  });

  it('names the container that holds a user port', async () => {
    const port = await freePort();
    const holder = await call('containers.run', { image: web, name: 'holder', ports: [`${port}:80`], autoExpose: false });
    expect(holder.ports).toEqual([{ hostIp: '0.0.0.0', hostPort: port, guestPort: 80, protocol: 'tcp', source: 'user' }]);
    expect(await httpGet('127.0.0.1', port)).toBe('published page\n');
    await expect(call('containers.run', { image: web, ports: [`127.0.0.1:${port}:80`] })).rejects.toMatchObject({
      code: 'PORT_IN_USE',
      message: expect.stringContaining('by container holder'),
    });
    await call('containers.remove', { id: 'holder', force: true });
  });

  it('gives a racing user port to exactly one of two concurrent runs, and remaps the implicit loser', async () => {
    const port = await freePort();
    const results = await Promise.allSettled([
      call('containers.run', { image: web, ports: [`${port}:80`], autoExpose: false }),
      call('containers.run', { image: web, ports: [`${port}:80`], autoExpose: false }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'PORT_IN_USE' } });

    const implicit = await Promise.all([call('containers.run', { image: web }), call('containers.run', { image: web })]);
    expect(implicit.map((c) => c.ports[0]!.source).sort()).toEqual(['auto_expose', 'auto_remap']);
    for (const c of implicit) expect(await httpGet(env.publishIp, c.ports[0]!.hostPort)).toBe('published page\n');
    for (const c of implicit) await call('containers.remove', { id: c.id, force: true });
    for (const r of results) if (r.status === 'fulfilled') await call('containers.remove', { id: r.value.id, force: true });
  });

  it('refuses -p with --network host and malformed specs before making anything', async () => {
    await expect(call('containers.run', { image: web, network: 'host', ports: ['8080:80'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('--network host'),
    });
    await expect(call('containers.run', { image: web, ports: ['80:80/sctp'] })).rejects.toMatchObject({
      message: 'invalid port "80:80/sctp": protocol "sctp" is not tcp or udp',
    });
    expect(await call('containers.list', { all: true })).toEqual([]);
  });

  it('takes the same ports back after an engine restart, remapping an implicit one that was taken meanwhile', async () => {
    const user = await freePort();
    const second = await freePort();
    const container = await call('containers.run', { image: web, name: 'kept', ports: [`${user}:80`, `${second}:80`] });
    expect(container.ports.map((p) => p.source)).toEqual(['user', 'user']);
    const implicitRun = await call('containers.run', { image: web, name: 'implicit' });
    expect(implicitRun.ports[0]).toMatchObject({ hostPort: 80, source: 'auto_expose' });
    await engine.close();
    // While no engine runs, someone else takes port 80 on the publish address.
    const squatter = await holdPort(env.publishIp, 80);
    try {
      engine = await env.openEngine();
      call = engineCaller(engine);
      const kept = await call('containers.inspect', { id: 'kept' });
      expect(kept.ports.map((p) => p.hostPort)).toEqual([user, second]);
      expect(await httpGet('127.0.0.1', user)).toBe('published page\n');
      const moved = await call('containers.inspect', { id: 'implicit' });
      expect(moved.ports[0]).toMatchObject({ source: 'auto_remap', requestedHostPort: 80 });
      expect(await httpGet(env.publishIp, moved.ports[0]!.hostPort)).toBe('published page\n');
    } finally {
      await closeServer(squatter);
    }
    await call('containers.remove', { id: 'kept', force: true });
    await call('containers.remove', { id: 'implicit', force: true });
    expect(await isFree('0.0.0.0', user)).toBe(true);
  });
});
