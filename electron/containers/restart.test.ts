import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { httpGet, isFree } from '../../e2e/fixtures/ports.js';
import { runUnderLegacySupervisor } from '../../e2e/fixtures/legacy-supervisor.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { bundlePaths } from '../runtime/bundle.js';
import { Engine } from '../engine/engine.js';
import type { ContainerRecord } from './container-record.js';
import { SERVICE } from '../../e2e/fixtures/service-command.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

describe.each(TEST_HOSTS)('quitting and starting again, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  const recordFile = (id: string) => join(env.config.home, 'containers', `${id}.json`);
  /** The record as the engine wrote it. */
  const record = async (id: string) => JSON.parse(await readFile(recordFile(id), 'utf8')) as ContainerRecord;

  async function open(keepRunning = false): Promise<void> {
    engine = await env.openEngine({ ...env.config, keepRunning });
    call = engineCaller(engine);
  }

  it('stops containers gracefully on quit, gives back their ports, and brings back those whose policy says so', async () => {
    await open();
    const web = await call('containers.run', { image: 'hello', name: 'web' });
    expect(web.ports).toEqual([expect.objectContaining({ hostIp: env.publishIp, hostPort: 80, source: 'auto_expose' })]);
    const always = await call('containers.run', { image: 'hello', name: 'always', cmd: SERVICE, autoExpose: false, restart: { name: 'always' } });
    const once = await call('containers.run', { image: 'hello', name: 'once', cmd: SERVICE, autoExpose: false, restart: { name: 'on-failure' } });

    await engine.quit();
    expect(await isFree(env.publishIp, 80)).toBe(true);
    expect(await env.leftovers([web.id, always.id, once.id])).toEqual([]);

    await open();
    const after = await call('containers.list', { all: true });
    expect(after.map((c) => c.name).sort()).toEqual(['always', 'once', 'web']);
    const byName = Object.fromEntries(after.map((c) => [c.name, c]));
    // The graceful stop let each exit by itself: code 0, not a kill.
    expect(byName.web!.state).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(byName.once!.state).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(byName.always!.state).toMatchObject({ status: 'running' });
    // Why each stopped is the engine's to know: on its record, not on what clients see.
    expect((await record(web.id)).state).toMatchObject({ stoppedByQuit: true, stoppedByUser: false });
    for (const shown of [byName.web!, await call('containers.inspect', { id: web.id })]) {
      expect(shown.state).not.toHaveProperty('stoppedByQuit');
      expect(shown).not.toHaveProperty('publish');
    }

    const restarted = await call('containers.start', { id: 'web' });
    expect(restarted.ports).toEqual([expect.objectContaining({ hostPort: 80, source: 'auto_expose' })]);
    expect(await httpGet(env.publishIp, 80)).toContain('Hello from Berth');
    for (const c of after) await call('containers.remove', { id: c.id, force: true });
  });

  it('holds the stdin of a container run with -i, again after the engine starts anew, and refuses one without', async () => {
    await open(true);
    const reader = await call('containers.run', { image: 'hello', name: 'reader', cmd: ['cat'], interactive: true, autoExpose: false });
    const output = async () => {
      let text = '';
      await call('containers.logs', { id: reader.id }, (chunk) => (text += Buffer.from(chunk.base64, 'base64').toString()));
      return text;
    };
    const send = (text: string) => call('containers.input', { id: 'reader', base64: Buffer.from(text).toString('base64') });
    await send('before\n');
    await waitFor('the first line', output, (text) => text === 'before\n');
    await engine.close();
    await open(true);
    await send('after\n');
    await waitFor('the second line', output, (text) => text === 'before\nafter\n');
    // Without StdinOnce the end of one client's input leaves the process's stdin open, as Docker does.
    await call('containers.input', { id: 'reader', base64: '', end: true });
    await send('still\n');
    await waitFor('the third line', output, (text) => text.endsWith('still\n'));
    const plain = await call('containers.run', { image: 'hello', name: 'plain', cmd: SERVICE, autoExpose: false });
    try {
      await expect(call('containers.input', { id: 'plain', base64: 'eA==' })).rejects.toMatchObject({ message: 'container plain has no open stdin', fix: 'start it with -i (and without -t)' });
    } finally {
      for (const c of [reader, plain]) await call('containers.remove', { id: c.id, force: true });
    }
  });

  it('shows a container that exits at once, or crash-loops, with its exit code and last lines, holding no port', async () => {
    await open();
    const failing = ['sh', '-c', 'echo starting; echo "fatal: no config" >&2; exit 3'];
    const spec = { image: 'hello', cmd: failing, autoExpose: false, ports: [`${env.publishIp}::80`] };
    const once = await call('containers.run', { ...spec, name: 'once-off' });
    const looping = await call('containers.run', { ...spec, name: 'looping', restart: { name: 'on-failure', maxRetries: 3 } });
    const settled = (id: string, restarts: number) =>
      waitFor(`${id} to settle`, () => call('containers.inspect', { id }), (c) => c.state.status === 'exited' && c.state.restartCount === restarts);
    for (const [started, restarts] of [[once, 0], [looping, 3]] as const) {
      const exited = await settled(started.id, restarts);
      // Each run's lines add to the same log; the runtime relays stdout and stderr apart, so their order may swap.
      expect(exited.state.exitCode).toBe(3);
      const lines = exited.state.lastOutput.split('\n');
      expect(lines).toContain('fatal: no config');
      expect(lines.every((line) => line === 'starting' || line === 'fatal: no config')).toBe(true);
      expect(exited.ports).toEqual([]);
      expect(await isFree(env.publishIp, started.ports[0]!.hostPort)).toBe(true);
      await call('containers.remove', { id: started.id });
    }
    expect(await env.leftovers([once.id, looping.id])).toEqual([]);
    await engine.close();
  });

  it('leaves containers running on quit with the keep-running setting, and takes their ports back', async () => {
    await open();
    expect(await call('settings.get', {})).toEqual(DEFAULT_SETTINGS);
    expect(await call('settings.set', { keepRunningOnQuit: true })).toEqual({ ...DEFAULT_SETTINGS, keepRunningOnQuit: true });
    const web = await call('containers.run', { image: 'hello', name: 'kept' });
    await engine.quit();
    expect(await engine.runtime.state(web.id)).toMatchObject({ status: 'running' });

    await open();
    expect(await call('settings.get', {})).toEqual({ ...DEFAULT_SETTINGS, keepRunningOnQuit: true });
    const adopted = await call('containers.inspect', { id: 'kept' });
    expect(adopted.state).toMatchObject({ status: 'running', pid: web.state.pid, error: '' });
    expect(adopted.ports).toEqual(web.ports);
    expect(await httpGet(env.publishIp, 80)).toContain('Hello from Berth');
    expect(await call('containers.list', { all: true })).toHaveLength(1);
    await call('containers.remove', { id: web.id, force: true });
    // A change that names no setting keeps them all; every change is told to the app, in order.
    const told: unknown[] = [];
    engine.on('event', (name, payload) => name === 'settings.changed' && told.push(payload));
    const changes = await Promise.all([call('settings.set', {}), call('settings.set', { keepRunningOnQuit: false })]);
    expect(changes).toEqual([{ ...DEFAULT_SETTINGS, keepRunningOnQuit: true }, DEFAULT_SETTINGS]);
    expect(told).toEqual(changes);
    // A settings file that no longer reads is the defaults, not a failed start.
    await engine.close();
    await writeFile(join(env.config.home, 'settings.json'), '{"keepRunningOnQuit": tr');
    await open();
    expect(await call('settings.get', {})).toEqual(DEFAULT_SETTINGS);
  });

  it('adopts a container an earlier Berth left running under its shell supervisor, and starts it under conmon next time', async () => {
    await open(true);
    const cmd = ['sh', '-c', 'echo up; trap "exit 0" TERM; sleep 300 & wait'];
    const made = await call('containers.run', { image: 'hello', name: 'legacy', cmd, ports: [`${env.publishIp}::80`] });
    await engine.quit();
    // As an earlier Berth wrote its record: no parsed -p (read again from the spec), the namespace's path on the network.
    const { publish, ...earlier } = await record(made.id);
    expect(publish).toEqual([{ hostIp: env.publishIp, hostPort: 0, guestPort: 80, protocol: 'tcp' }]);
    await writeFile(recordFile(made.id), JSON.stringify({ ...earlier, network: { ...earlier.network, netnsPath: '/run/netns/earlier' } }));
    // As if the earlier Berth had started it: its monitor gone, the same container run by the old supervisor.
    await engine.runtime.kill(made.id, 9);
    await waitFor('conmon to end', () => engine.host.stat(bundlePaths(env.dataRoot, made.id).exitFile), (stat) => stat !== undefined);
    const pid = await runUnderLegacySupervisor(engine.host, engine.runtime, made.id);

    await open();
    expect(await call('containers.inspect', { id: 'legacy' })).toMatchObject({ state: { status: 'running', pid, error: '' }, ports: made.ports });
    const logs = async () => {
      const chunks: string[] = [];
      await call('containers.logs', { id: 'legacy' }, (c) => chunks.push(`${c.stream}:${Buffer.from(c.base64, 'base64').toString()}`));
      return chunks.join('');
    };
    // conmon's line of the first run, then the old supervisor's raw one.
    expect(await logs()).toBe('stdout:up\nup\n');
    expect((await call('containers.stop', { id: 'legacy' })).state).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(await env.leftovers([made.id])).toEqual([]);

    const again = await call('containers.start', { id: 'legacy' });
    expect(again.ports).toEqual([expect.objectContaining({ hostIp: env.publishIp, guestPort: 80, source: 'user' })]);
    expect(again.network).not.toHaveProperty('netnsPath');
    expect(await engine.host.stat(bundlePaths(env.dataRoot, made.id).legacy.supervisorPidFile)).toBeUndefined();
    await waitFor('its line', logs, (text) => text === 'stdout:up\nup\nup\n');
    expect((await call('containers.kill', { id: again.id })).state).toMatchObject({ status: 'exited', exitCode: 137 });
    await call('containers.remove', { id: again.id });
    expect(await env.leftovers([made.id])).toEqual([]);
  });

  it('keeps containers running on quit when BERTH_KEEP_RUNNING says so, whatever the setting', async () => {
    await open(true);
    const web = await call('containers.run', { image: 'hello', name: 'by-env', cmd: SERVICE, autoExpose: false });
    await engine.quit();
    expect(await engine.runtime.state(web.id)).toMatchObject({ status: 'running' });
    await open();
    await call('containers.remove', { id: web.id, force: true });
  });
});
