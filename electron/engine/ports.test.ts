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
  /** Implicit ports on loopback of both families, as the engine's default is; IPv4 on this engine's own address. */
  let dualStack: TestEngineEnv['config'];

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
    dualStack = { ...env.config, ports: { ...env.config.ports, implicitHostIps: [env.publishIp, '::1'] } };
    engine = await env.openEngine(dualStack);
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await registry?.stop();
    await layout?.remove();
    await env?.cleanup();
  });

  it('publishes an exposed port 1:1 on loopback of both families when it is free, and frees it on stop', async () => {
    const container = await call('containers.run', { image: web, name: 'exposed' });
    expect(container.ports).toEqual([
      { hostIp: env.publishIp, hostPort: 80, guestPort: 80, protocol: 'tcp', source: 'auto_expose' },
      { hostIp: '::1', hostPort: 80, guestPort: 80, protocol: 'tcp', source: 'auto_expose' },
    ]);
    expect(container.state.warnings).toEqual([]);
    expect(await httpGet(env.publishIp, 80)).toBe('published page\n');
    expect(await httpGet('::1', 80)).toBe('published page\n');
    const stopped = await call('containers.stop', { id: 'exposed', timeout: 0 });
    expect(stopped.ports).toEqual([]);
    expect(await isFree(env.publishIp, 80)).toBe(true);
    expect(await isFree('::1', 80)).toBe(true);
    await call('containers.remove', { id: 'exposed' });
  });

  it('publishes -p PORT:80 on every address of both families, one number for both', async () => {
    const port = await freePort();
    const container = await call('containers.run', { image: web, ports: [`${port}:80`, '80'], autoExpose: false });
    const [v4, v6, any4, any6] = container.ports;
    expect([v4, v6]).toEqual([
      { hostIp: '0.0.0.0', hostPort: port, guestPort: 80, protocol: 'tcp', source: 'user' },
      { hostIp: '::', hostPort: port, guestPort: 80, protocol: 'tcp', source: 'user' },
    ]);
    // `-p 80`: any free port, the same on both.
    expect([any4!.hostIp, any6!.hostIp]).toEqual(['0.0.0.0', '::']);
    expect(any6!.hostPort).toBe(any4!.hostPort);
    for (const [host, hostPort] of [['127.0.0.1', port], ['::1', port], ['::1', any4!.hostPort]] as const) {
      expect(await httpGet(host, hostPort)).toBe('published page\n');
    }
    await call('containers.remove', { id: container.id, force: true });
    expect(await isFree('::', port)).toBe(true);
  });

  it('serves two containers behind one port number on two host addresses', async () => {
    const port = await freePort();
    // Another loopback address beside this engine's own.
    const other = env.publishIp.replace(/\.(\d+)$/, (_, last: string) => `.${(Number(last) % 254) + 1}`);
    const second = ['sh', '-c', 'mkdir /b && echo second page > /b/index.html && exec httpd -f -p 80 -h /b'];
    const a = await call('containers.run', { image: web, ports: [`${env.publishIp}:${port}:80`], autoExpose: false });
    const b = await call('containers.run', { image: web, cmd: second, ports: [`${other}:${port}:80`], autoExpose: false });
    expect(await httpGet(env.publishIp, port)).toBe('published page\n');
    expect(await httpGet(other, port)).toBe('second page\n');
    await call('containers.remove', { id: a.id, force: true });
    // The other's forward outlives its neighbour's.
    expect(await httpGet(other, port)).toBe('second page\n');
    await call('containers.remove', { id: b.id, force: true });
  });

  it.each([['IPv4', () => env.publishIp], ['IPv6', () => '::1']])(
    'remaps an exposed port busy on %s to one free on both, and the new port serves the page',
    async (_family, busyIp) => {
      const busy = await holdPort(busyIp(), 80);
      try {
        const container = await call('containers.run', { image: web });
        const [mapping, twin] = container.ports;
        expect(mapping).toMatchObject({ hostIp: env.publishIp, guestPort: 80, source: 'auto_remap', requestedHostPort: 80 });
        expect(twin).toMatchObject({ hostIp: '::1', hostPort: mapping!.hostPort, source: 'auto_remap', requestedHostPort: 80 });
        expect(mapping!.hostPort).not.toBe(80);
        expect(await httpGet(env.publishIp, mapping!.hostPort)).toBe('published page\n');
        expect(await httpGet('::1', mapping!.hostPort)).toBe('published page\n');
        await call('containers.remove', { id: container.id, force: true });
        expect(await isFree(env.publishIp, mapping!.hostPort)).toBe(true);
      } finally {
        await closeServer(busy);
      }
    },
  );

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
    expect(holder.ports.map((p) => p.hostIp)).toEqual(['0.0.0.0', '::']);
    expect(await httpGet('127.0.0.1', port)).toBe('published page\n');
    for (const hostIp of ['127.0.0.1', '[::1]']) {
      await expect(call('containers.run', { image: web, ports: [`${hostIp}:${port}:80`] })).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: expect.stringContaining('by container holder'),
      });
    }
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

  it('leaves the IPv6 half out with a warning where the host has no IPv6 loopback, and serves on IPv4', async () => {
    // A host with IPv6 turned off has no ::1: binding it fails as binding any address the machine lacks does.
    const missing = 'fd00:b:e:7::1';
    await engine.close();
    engine = await env.openEngine({ ...dualStack, ports: { ...dualStack.ports, implicitHostIps: [env.publishIp, missing] } });
    call = engineCaller(engine);
    try {
      const container = await call('containers.run', { image: web });
      expect(container.ports).toEqual([{ hostIp: env.publishIp, hostPort: 80, guestPort: 80, protocol: 'tcp', source: 'auto_expose' }]);
      expect(container.state.warnings).toEqual([`IPv6 left out: [${missing}]:80/tcp: no such address on this machine`]);
      expect(await httpGet(env.publishIp, 80)).toBe('published page\n');
      await call('containers.remove', { id: container.id, force: true });
      // Asked for by name, the address is no twin: the run fails in one line and leaves nothing.
      await expect(call('containers.run', { image: web, ports: [`[${missing}]:8080:80`] })).rejects.toMatchObject({
        code: 'NETWORK_ERROR',
        message: `cannot publish port 8080/tcp on ${missing}: [${missing}]:8080/tcp: no such address on this machine`,
      });
      expect(await call('containers.list', { all: true })).toEqual([]);
      expect(await isFree(env.publishIp, 80)).toBe(true);
    } finally {
      await engine.close();
      engine = await env.openEngine(dualStack);
      call = engineCaller(engine);
    }
  });

  it('takes the same ports back after an engine restart, remapping an implicit one that was taken meanwhile', async () => {
    const user = await freePort();
    const second = await freePort();
    const container = await call('containers.run', { image: web, name: 'kept', ports: [`${user}:80`, `${second}:80`] });
    expect(container.ports.map((p) => p.source)).toEqual(['user', 'user', 'user', 'user']);
    const implicitRun = await call('containers.run', { image: web, name: 'implicit' });
    expect(implicitRun.ports[0]).toMatchObject({ hostPort: 80, source: 'auto_expose' });
    await engine.close();
    // While no engine runs, someone else takes port 80 on the publish address.
    const squatter = await holdPort(env.publishIp, 80);
    try {
      engine = await env.openEngine(dualStack);
      call = engineCaller(engine);
      const kept = await call('containers.inspect', { id: 'kept' });
      expect(kept.ports.map((p) => p.hostPort)).toEqual([user, user, second, second]);
      expect(await httpGet('127.0.0.1', user)).toBe('published page\n');
      expect(await httpGet('::1', second)).toBe('published page\n');
      const moved = await call('containers.inspect', { id: 'implicit' });
      expect(moved.ports[0]).toMatchObject({ source: 'auto_remap', requestedHostPort: 80 });
      expect(moved.ports[1]).toMatchObject({ hostIp: '::1', hostPort: moved.ports[0]!.hostPort, source: 'auto_remap' });
      expect(await httpGet(env.publishIp, moved.ports[0]!.hostPort)).toBe('published page\n');
    } finally {
      await closeServer(squatter);
    }
    await call('containers.remove', { id: 'kept', force: true });
    await call('containers.remove', { id: 'implicit', force: true });
    expect(await isFree('0.0.0.0', user)).toBe(true);
  });
});
