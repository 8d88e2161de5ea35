import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { layoutLayers, tarLayer, writeOciLayout } from '../../e2e/fixtures/oci-layout.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { Engine } from './engine.js';


describe.each(TEST_HOSTS)('engine on Linux with runc, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let registry: TestRegistry;
  let layout: TempDir;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let httpd: string;
  let busybox: string;
  const ids: string[] = [];

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    registry = await startRegistry();
    layout = await makeTempDir('berth-layout-');
    await buildBusyboxImage(layout.path, 'httpd', {
      exposedPorts: ['80/tcp'],
      cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www'],
      files: { '/var/www/index.html': 'served by berth test\n' },
    });
    await buildBusyboxImage(layout.path, 'sh', { cmd: ['sh'] });
    httpd = await registry.push(layout.path, 'httpd', 'test/httpd');
    busybox = await registry.push(layout.path, 'sh', 'test/busybox');
    engine = await env.openEngine();
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await registry?.stop();
    await layout?.remove();
    await env?.cleanup();
  });

  async function exited(id: string) {
    return waitFor('container exit', () => call('containers.inspect', { id }), (c) => c.state.status === 'exited');
  }

  it('pulls, runs an httpd that serves on its address, stops within the timeout, and removes without a trace', async () => {
    const progress: string[] = [];
    const container = await call('containers.run', { image: httpd, name: 'web' }, (p) => progress.push(p.status));
    ids.push(container.id);
    expect(progress).toContain('done');
    expect(container.state.status).toBe('running');
    expect(container.network.address).toMatch(/^10\./);
    expect(await env.httpGetContainer(container.network.address, 80)).toBe('served by berth test\n');

    const started = Date.now();
    const stopped = await call('containers.stop', { id: 'web', timeout: 1 });
    expect(stopped.state.status).toBe('exited');
    // httpd as pid 1 ignores SIGTERM, so the stop ends with SIGKILL after the timeout.
    expect(stopped.state.exitCode).toBe(137);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await env.leftovers([container.id])).toEqual([]);

    await call('containers.remove', { id: 'web' });
    await expect(call('containers.inspect', { id: 'web' })).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    expect(await env.leftovers([container.id])).toEqual([]);
  });

  it('keeps exit codes and captures stdout and stderr in the log', async () => {
    const container = await call('containers.run', {
      image: busybox,
      cmd: ['sh', '-c', 'echo one; echo two; echo to-stderr >&2; exit 3'],
    });
    const done = await exited(container.id);
    expect(done.state.exitCode).toBe(3);
    const logs = async (tail?: number) => {
      const chunks: string[] = [];
      await call('containers.logs', { id: container.id, tail }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
      return chunks.join('');
    };
    // stdout and stderr are separate pipes, so only each stream's own order is kept.
    expect((await logs()).split('\n').sort()).toEqual(['', 'one', 'to-stderr', 'two']);
    expect(await logs(2)).toMatch(/^(two\nto-stderr|to-stderr\ntwo|one\ntwo)\n$/);
    await call('containers.remove', { id: container.id });
  });

  it('follows logs until the container exits', async () => {
    const container = await call('containers.run', {
      image: busybox,
      cmd: ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done'],
    });
    const chunks: string[] = [];
    await call('containers.logs', { id: container.id, follow: true }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
    expect(chunks.join('')).toBe('line1\nline2\nline3\n');
    await call('containers.remove', { id: container.id, force: true });
  });

  it('applies env, workdir, user, hostname and the entrypoint override', async () => {
    const container = await call('containers.run', {
      image: busybox,
      env: ['GREETING=hi there'],
      workdir: '/tmp',
      user: 'nobody',
      hostname: 'box',
      entrypoint: 'sh',
      cmd: ['-c', 'echo "$GREETING|$(pwd)|$(id -u)|$(hostname)"'],
    });
    await exited(container.id);
    const chunks: string[] = [];
    await call('containers.logs', { id: container.id }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
    expect(chunks.join('')).toBe('hi there|/tmp|65534|box\n');
    await call('containers.remove', { id: container.id });
  });

  it('runs a binary given cap_net_bind_service by its layer: it binds port 80 as a non-root user, as under Docker', async () => {
    const tree = join(layout.path, 'cap-tree');
    mkdirSync(join(tree, 'usr', 'local', 'bin'), { recursive: true });
    const binary = join(tree, 'usr', 'local', 'bin', 'busybox-cap');
    copyFileSync(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), binary);
    execFileSync('setcap', ['cap_net_bind_service+ep', binary]);
    const capLayout = join(layout.path, 'cap-layout');
    const layers = [...(await layoutLayers(layout.path, 'sh')), await tarLayer(tree, join(layout.path, 'cap.tar.gz'))];
    await writeOciLayout(capLayout, [{ tag: 'cap', layers }]);
    const image = await registry.push(capLayout, 'cap', 'test/cap');

    // The plain busybox beside it, without the capability, is refused the same port: the layer's xattr is what grants it.
    const container = await call('containers.run', {
      image,
      user: '1000',
      cmd: ['sh', '-c', 'busybox-cap httpd -p 80 && echo bound; busybox httpd -p 81 2>/dev/null || echo refused'],
    });
    await exited(container.id);
    const chunks: string[] = [];
    await call('containers.logs', { id: container.id }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
    expect(chunks.join('')).toBe('bound\nrefused\n');
    await call('containers.remove', { id: container.id });
  });

  it('refuses a taken name, an unknown image and a malformed reference, leaving nothing behind', async () => {
    const first = await call('containers.run', { image: busybox, name: 'taken', cmd: ['sleep', '30'] });
    await expect(call('containers.run', { image: busybox, name: 'taken', cmd: ['true'] })).rejects.toMatchObject({
      code: 'NAME_IN_USE',
      message: expect.stringContaining('"taken"'),
    });
    await expect(call('containers.run', { image: `${registry.host}/test/missing:v1` })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    await expect(call('containers.run', { image: 'Bad:Ref:x' })).rejects.toMatchObject({ code: 'INVALID_REFERENCE' });
    await expect(call('containers.kill', { id: 'taken', signal: 'SIGBOGUS' })).rejects.toMatchObject({ code: 'INVALID_SIGNAL' });
    const all = await call('containers.list', { all: true });
    expect(all.map((c) => c.name)).toEqual(['taken']);
    await call('containers.remove', { id: first.id, force: true });
    expect(await env.leftovers([first.id])).toEqual([]);
  });

  it('restarts on failure up to the limit and records the count', async () => {
    const container = await call('containers.run', {
      image: busybox,
      cmd: ['sh', '-c', 'exit 2'],
      restart: { name: 'on-failure', maxRetries: 2 },
    });
    const final = await waitFor(
      'restarts to finish',
      () => call('containers.inspect', { id: container.id }),
      (c) => c.state.status === 'exited' && c.state.restartCount === 2,
    );
    expect(final.state.exitCode).toBe(2);
    // No third restart comes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await call('containers.inspect', { id: container.id })).state.restartCount).toBe(2);
    await call('containers.remove', { id: container.id });
  });

  it('does not let a restart policy undo a stop or a kill', async () => {
    const flapping = await call('containers.run', { image: busybox, cmd: ['sh', '-c', 'sleep 0.2'], restart: { name: 'always' } });
    await waitFor('a restart', () => call('containers.inspect', { id: flapping.id }), (c) => c.state.restartCount >= 1);
    const stopped = await call('containers.stop', { id: flapping.id, timeout: 1 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = await call('containers.inspect', { id: flapping.id });
    expect(later.state.status).toBe('exited');
    expect(later.state.restartCount).toBe(stopped.state.restartCount);

    const killed = await call('containers.run', { image: busybox, cmd: ['sleep', '60'], restart: { name: 'always' } });
    await call('containers.kill', { id: killed.id, signal: 'KILL' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await call('containers.inspect', { id: killed.id })).state).toMatchObject({ status: 'exited', restartCount: 0 });
    await call('containers.remove', { id: flapping.id });
    await call('containers.remove', { id: killed.id });
  });

  it('reports CPU, memory and network of a running container (block I/O: cgroup-stats.test.ts)', async () => {
    const container = await call('containers.run', { image: busybox, cmd: ['sh', '-c', 'while :; do :; done'] });
    const [before] = await call('containers.stats', { ids: [container.id] });
    const pinged = await call('containers.exec', { id: container.id, command: ['ping', '-c', '2', '-W', '2', container.network.gateway] });
    expect(pinged.exitCode).toBe(0);
    const [stats] = await call('containers.stats', { ids: [container.id] });
    expect(stats?.memoryBytes).toBeGreaterThan(0);
    expect(stats?.cpuPercent).toBeGreaterThan(10);
    expect(stats!.netRxBytes).toBeGreaterThan(before!.netRxBytes);
    expect(stats!.netTxBytes).toBeGreaterThan(before!.netTxBytes);
    await call('containers.remove', { id: container.id, force: true });
  });

  it('adopts running containers after an engine restart and can still stop them', async () => {
    const container = await call('containers.run', { image: busybox, name: 'survivor', cmd: ['sleep', '60'] });
    await engine.close();
    engine = await env.openEngine();
    call = engineCaller(engine);
    const adopted = await call('containers.inspect', { id: 'survivor' });
    expect(adopted.state.status).toBe('running');
    expect(adopted.state.pid).toBe(container.state.pid);
    const stopped = await call('containers.kill', { id: 'survivor', signal: 'KILL' });
    expect(stopped.state.status).toBe('exited');
    expect(stopped.state.exitCode).toBe(137);
    await call('containers.remove', { id: 'survivor' });
    expect(await env.leftovers([container.id])).toEqual([]);
  });

  it('runs the bundled hello image by name with no registry', async () => {
    const container = await call('containers.run', { image: 'hello' });
    expect(await env.httpGetContainer(container.network.address, 80)).toContain('Hello from Berth');
    await call('containers.remove', { id: container.id, force: true });
  });

  it('brings always and unless-stopped containers back when the engine starts, as Docker does', async () => {
    const always = await call('containers.run', { image: busybox, cmd: ['sleep', '60'], restart: { name: 'always' } });
    const unless = await call('containers.run', { image: busybox, cmd: ['sleep', '60'], restart: { name: 'unless-stopped' } });
    await call('containers.stop', { id: always.id, timeout: 0 });
    await call('containers.stop', { id: unless.id, timeout: 0 });
    await engine.close();
    engine = await env.openEngine();
    call = engineCaller(engine);
    expect((await call('containers.inspect', { id: always.id })).state.status).toBe('running');
    expect((await call('containers.inspect', { id: unless.id })).state.status).toBe('exited');
    await call('containers.remove', { id: always.id, force: true });
    await call('containers.remove', { id: unless.id });
    expect(await env.leftovers([always.id, unless.id])).toEqual([]);
  });

  it('refuses to remove an image a container uses', async () => {
    const container = await call('containers.run', { image: busybox, cmd: ['true'] });
    await expect(call('images.remove', { reference: busybox })).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
    await expect(call('images.remove', { reference: container.imageId })).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
    await call('containers.remove', { id: container.id, force: true });
  });

  it('gives a --network none container only its loopback', async () => {
    const none = await call('containers.run', { image: busybox, network: 'none', cmd: ['sh', '-c', 'ls /sys/class/net'] });
    await exited(none.id);
    const chunks: string[] = [];
    await call('containers.logs', { id: none.id }, (c) => chunks.push(Buffer.from(c.base64, 'base64').toString()));
    expect(chunks.join('').trim()).toBe('lo');
    await call('containers.remove', { id: none.id });
  });

  it('tells the app of each change to images and containers, from their stores, whoever made it', async () => {
    const heard: string[] = [];
    const listen = (name: string, payload: unknown) => {
      if (name === 'images.changed') heard.push('images');
      if (name !== 'containers.changed') return;
      const { container, removedId } = payload as { container?: { state: { status: string } }; removedId?: string };
      heard.push(container ? `container ${container.state.status}` : `removed ${removedId === undefined ? '?' : 'it'}`);
    };
    const image = await registry.push(layout.path, 'sh', 'test/events');
    engine.on('event', listen);
    try {
      // A pull made by a run is told as one made by images.pull.
      const container = await call('containers.run', { image, cmd: ['true'] });
      await exited(container.id);
      await call('containers.remove', { id: container.id });
      await call('images.remove', { reference: image });
      expect(heard.filter((h, i) => h !== heard[i - 1])).toEqual(['images', 'container created', 'container running', 'container exited', 'removed it', 'images']);
    } finally {
      engine.off('event', listen);
    }
  });
});
