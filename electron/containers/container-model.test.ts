import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { closeServer, freePort, holdPort, httpGet, isFree } from '../../e2e/fixtures/ports.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import type { ContainerAction } from '../../shared/containers.js';
import { bundlePaths } from '../runtime/bundle.js';
import { Engine } from '../engine/engine.js';
import { SERVICE } from '../../e2e/fixtures/service-command.js';

describe.each(TEST_HOSTS)("Docker's container model: create, start, wait, rename, --rm; Linux on the %s host", (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  it('creates with nothing started or held, and starts later with its ports', async () => {
    const port = await freePort(env.publishIp);
    const created = await call('containers.create', { image: 'hello', name: 'made', ports: [`${env.publishIp}:${port}:80`] });
    expect(created.state).toMatchObject({ status: 'created', pid: 0 });
    expect(created.ports).toEqual([]);
    expect(await isFree(env.publishIp, port)).toBe(true);
    expect(await env.leftovers([created.id])).toEqual([]);
    const started = await call('containers.start', { id: 'made' });
    expect(started.ports).toEqual([expect.objectContaining({ hostPort: port, source: 'user' })]);
    expect(await httpGet(env.publishIp, port)).toContain('Hello from Berth');
    await call('containers.remove', { id: 'made', force: true });
  });

  it('leaves a container whose user port is busy at start created, names the port, and holds nothing', async () => {
    const port = await freePort(env.publishIp);
    const created = await call('containers.create', { image: 'hello', name: 'blocked', cmd: SERVICE, ports: [`${env.publishIp}:${port}:80`], autoExpose: false });
    const squatter = await holdPort(env.publishIp, port);
    try {
      await expect(call('containers.start', { id: 'blocked' })).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(`${port}`) });
      expect((await call('containers.inspect', { id: 'blocked' })).state).toMatchObject({ status: 'created', pid: 0 });
      expect(await env.leftovers([created.id])).toEqual([]);
      expect(await engine.runtime.list()).not.toContain(created.id);
      // Ports come first: the start failed before any rootfs, network or monitor work began.
      expect(await engine.host.stat(bundlePaths(env.dataRoot, created.id).dir)).toBeUndefined();
    } finally {
      await closeServer(squatter);
    }
    expect((await call('containers.start', { id: 'blocked' })).state.status).toBe('running');
    await call('containers.remove', { id: 'blocked', force: true });
  });

  it("answers Docker's wait conditions with the exit code", async () => {
    const done = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'exit 7'], autoExpose: false });
    await waitFor('exit', () => call('containers.inspect', { id: done.id }), (c) => c.state.status === 'exited');
    // Not running already: at once.
    expect(await call('containers.wait', { id: done.id })).toEqual({ exitCode: 7 });
    // The next exit: after a start that comes later.
    const next = call('containers.wait', { id: done.id, condition: 'next-exit' });
    const removed = call('containers.wait', { id: done.id, condition: 'removed' });
    await call('containers.start', { id: done.id });
    expect(await next).toEqual({ exitCode: 7 });
    const service = await call('containers.run', { image: 'hello', cmd: SERVICE, autoExpose: false });
    const stopped = call('containers.wait', { id: service.id });
    await call('containers.stop', { id: service.id });
    expect(await stopped).toEqual({ exitCode: 0 });
    await call('containers.remove', { id: done.id });
    expect(await removed).toEqual({ exitCode: 7 });
    await call('containers.remove', { id: service.id });
    await expect(call('containers.wait', { id: 'no-such-container' })).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });

  it('removes a --rm container once it exits, leaving nothing, and refuses --rm with a restart policy', async () => {
    const container = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'sleep 0.3; exit 2'], autoExpose: false, autoRemove: true, volumes: ['scratch:/scratch'] });
    expect(await call('containers.wait', { id: container.id, condition: 'removed' })).toEqual({ exitCode: 2 });
    expect(await call('containers.list', { all: true })).toEqual([]);
    expect(await env.leftovers([container.id])).toEqual([]);
    expect(await engine.host.stat(`${env.dataRoot}/containers/${container.id}`)).toBeUndefined();
    // A named volume outlives the container, as in Docker.
    expect((await call('volumes.list', {})).map((v) => v.name)).toEqual(['scratch']);
    await call('volumes.remove', { name: 'scratch' });

    await expect(call('containers.run', { image: 'hello', autoRemove: true, restart: { name: 'always' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'conflicting options: --rm and --restart always (a container removed when it exits cannot be restarted)',
    });
    expect(await call('containers.list', { all: true })).toEqual([]);
  });

  it('ends a process past --memory by the OOM killer, with OOMKilled and 137 on the record, and keeps the limits', async () => {
    const memory = 32 * 1024 * 1024;
    const resources = { memory, memorySwap: memory, cpus: 0.5, cpuShares: 512, pidsLimit: 50 };
    // dd's one 64 MiB block is more than the container may hold.
    const hog = await call('containers.run', { image: 'hello', cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], autoExpose: false, resources });
    const exited = await waitFor('the OOM kill', () => call('containers.inspect', { id: hog.id }), (c) => c.state.status === 'exited');
    expect(exited.state).toMatchObject({ exitCode: 137, oomKilled: true });
    expect(exited.spec.resources).toEqual(resources);
    // conmon marks an OOM in its working folder too: the container's, never wherever the engine runs.
    expect(existsSync(join(process.cwd(), 'oom'))).toBe(false);
    // Within the limit the same command runs, and its cgroup says what it may use.
    const fits = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=8M count=1 && sleep 30'], autoExpose: false, resources });
    const [stats] = await call('containers.stats', { ids: [fits.id] });
    expect(stats!.memoryLimitBytes).toBe(memory);
    const afterStart = await call('containers.inspect', { id: fits.id });
    expect(afterStart.state).toMatchObject({ status: 'running', oomKilled: false });
    for (const id of [hog.id, fits.id]) await call('containers.remove', { id, force: true });
  });

  it('refuses impossible limits in one line, making nothing', async () => {
    const refused = [
      [{ memory: 1024 }, 'invalid --memory 1024: the least a container may have is 6 MiB'],
      [{ memorySwap: 64 * 1024 * 1024 }, '--memory-swap needs --memory: it is the total of memory and swap'],
      [{ memory: 64 * 1024 * 1024, memorySwap: 32 * 1024 * 1024 }, 'invalid --memory-swap 33554432: it is the total of memory and swap, so at least --memory (67108864)'],
      [{ cpus: 1000 }, /^invalid --cpus 1000: from 0.01 to \d+, as there are \d+ CPUs$/],
    ] as const;
    for (const [resources, message] of refused) {
      await expect(call('containers.run', { image: 'hello', resources })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    }
    expect(await call('containers.list', { all: true })).toEqual([]);
  });

  it("tells Docker's events as they happen, keeps them for --since, and filters them", async () => {
    const seen: ContainerAction[] = [];
    const stop = new AbortController();
    const since = Date.now() / 1000;
    const following = call('system.events', {}, (event) => seen.push(event), stop.signal);
    const service = await call('containers.run', { image: 'hello', name: 'evented', cmd: SERVICE, autoExpose: false, labels: { team: 'blue' } });
    await call('containers.exec', { id: 'evented', command: ['true'] });
    await call('containers.rename', { id: 'evented', name: 'evented-2' });
    await call('containers.stop', { id: 'evented-2' });
    await call('containers.remove', { id: 'evented-2' });
    await waitFor('destroy', async () => seen.map((e) => e.action), (actions) => actions.includes('destroy'));
    stop.abort();
    await following;
    expect(seen.map((e) => e.action)).toEqual(['create', 'start', 'exec_start', 'exec_die', 'rename', 'kill', 'die', 'stop', 'destroy']);
    expect(seen.every((e) => e.id === service.id && e.attributes.team === 'blue')).toBe(true);
    expect(seen.find((e) => e.action === 'kill')!.attributes.signal).toBe('15');
    expect(seen.find((e) => e.action === 'die')!.attributes.exitCode).toBe('0');
    expect(seen.find((e) => e.action === 'rename')!.attributes).toMatchObject({ oldName: 'evented', name: 'evented-2' });

    // Kept ones come back with --since, filtered; an --until in the past ends the call at once.
    const replayed: ContainerAction[] = [];
    await call('system.events', { since, until: Date.now() / 1000, actions: ['die', 'destroy'], labels: ['team=blue'] }, (event) => replayed.push(event));
    expect(replayed.map((e) => e.action)).toEqual(['die', 'destroy']);
    const none: ContainerAction[] = [];
    await call('system.events', { since, until: Date.now() / 1000, labels: ['team=red'] }, (event) => none.push(event));
    expect(none).toEqual([]);
  });

  it('runs health checks: starting, unhealthy after its retries, healthy once the probe passes, and a probe past its timeout fails', async () => {
    const since = Date.now() / 1000;
    const healthcheck = { test: ['CMD-SHELL', 'test -e /tmp/ok'], intervalMs: 200, retries: 2, timeoutMs: 5000 };
    const checked = await call('containers.run', { image: 'hello', cmd: SERVICE, autoExpose: false, healthcheck });
    expect(checked.state.health).toBeUndefined();
    await waitFor('starting', () => call('containers.inspect', { id: checked.id }), (c) => c.state.health?.status === 'starting');
    const unhealthy = await waitFor('unhealthy', () => call('containers.inspect', { id: checked.id }), (c) => c.state.health?.status === 'unhealthy');
    expect(unhealthy.state.health).toMatchObject({ failingStreak: 2, log: [{ exitCode: 1 }, { exitCode: 1 }] });
    await call('containers.exec', { id: checked.id, command: ['touch', '/tmp/ok'] });
    const healthy = await waitFor('healthy', () => call('containers.inspect', { id: checked.id }), (c) => c.state.health?.status === 'healthy');
    expect(healthy.state.health!.failingStreak).toBe(0);
    const stopped = await call('containers.stop', { id: checked.id });
    expect(stopped.state.health).toBeUndefined();
    const changes: ContainerAction[] = [];
    await call('system.events', { since, until: Date.now() / 1000, actions: ['health_status'] }, (event) => changes.push(event));
    expect(changes.map((e) => e.attributes.healthStatus)).toEqual(['unhealthy', 'healthy']);

    const slow = await call('containers.run', { image: 'hello', cmd: SERVICE, autoExpose: false, healthcheck: { test: ['CMD', 'sleep', '5'], intervalMs: 100, timeoutMs: 300, retries: 1 } });
    const timedOut = await waitFor('timed out', () => call('containers.inspect', { id: slow.id }), (c) => c.state.health?.status === 'unhealthy');
    expect(timedOut.state.health!.log[0]).toMatchObject({ exitCode: -1, output: 'health check exceeded its timeout (0.3 s)' });
    const none = await call('containers.run', { image: 'hello', cmd: SERVICE, autoExpose: false, healthcheck: { test: ['NONE'] } });
    for (const id of [checked.id, slow.id, none.id]) await call('containers.remove', { id, force: true });
    expect(none.state.health).toBeUndefined();
  });

  it('renames, and refuses a taken, a bad or the same name with nothing changed', async () => {
    const one = await call('containers.create', { image: 'hello', name: 'one' });
    await call('containers.create', { image: 'hello', name: 'two' });
    expect((await call('containers.rename', { id: 'one', name: 'uno' })).name).toBe('uno');
    expect((await call('containers.inspect', { id: one.id })).name).toBe('uno');
    await expect(call('containers.rename', { id: 'uno', name: 'two' })).rejects.toMatchObject({ code: 'NAME_IN_USE', message: expect.stringContaining('"two"') });
    await expect(call('containers.rename', { id: 'uno', name: 'no spaces' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"no spaces"') });
    await expect(call('containers.rename', { id: 'uno', name: 'uno' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await call('containers.list', { all: true })).map((c) => c.name).sort()).toEqual(['two', 'uno']);
    // The old name is free again.
    expect((await call('containers.create', { image: 'hello', name: 'one' })).name).toBe('one');
    for (const name of ['one', 'two', 'uno']) await call('containers.remove', { id: name });
  });
});
