import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, readLayoutImage } from '../build/oci-image.js';
import type { Container } from '../shared/containers.js';
import { waitFor } from './fixtures/engine-client.js';
import { berth, crash, startServe, stopServe } from './fixtures/berth-cli.js';
import { startProxy } from './fixtures/fault-proxy.js';
import { httpGet } from './fixtures/ports.js';
import { startRegistry, type TestRegistry } from './fixtures/registry.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';
import { SERVICE } from './fixtures/service-command.js';

const run = promisify(execFile);
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

describe('kill -9 of the engine, and what the next start makes of it', { timeout: 180_000 }, () => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let work: TempDir;
  let registry: TestRegistry;

  /** The serve of the test before, or a new one: each test also runs alone (-t). */
  const ensureServe = async (): Promise<ChildProcess> => {
    if (!serve || serve.exitCode !== null || serve.signalCode !== null) serve = await startServe(env.env);
    return serve;
  };
  const ps = async (): Promise<Container[]> => JSON.parse((await berth(env.env, ['ps', '-a', '--json'])).stdout) as Container[];

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    work = await makeTempDir('berth-crash-');
    registry = await startRegistry();
  });

  afterAll(async () => {
    if (serve) {
      for (const c of await ps().catch(() => [])) await berth(env.env, ['rm', '-f', c.id]);
      await stopServe(serve);
    }
    await registry?.stop();
    await work?.remove();
    await env?.cleanup();
  });

  it('mid-run: adopts what still runs, and releases what a container that died meanwhile held', async () => {
    await ensureServe();
    const folder = await env.makeHostFolder('crash-data');
    const kept = await berth(env.env, ['run', '-d', '--name', 'kept', 'hello']);
    const died = await berth(env.env, ['run', '-d', '--name', 'died', '--no-auto-expose', '-v', `${folder.path}:/data`, 'hello', ...SERVICE]);
    const [keptId, diedId] = [kept.stdout.trim(), died.stdout.trim()];
    const keptPorts = (await ps()).find((c) => c.id === keptId)!.ports;

    await crash(serve!);
    // The container dies too while no engine watches.
    const runc = (args: string[]) => run('runc', ['--root', join(env.dataRoot, 'runtime'), ...args]).then((r) => r.stdout);
    await runc(['kill', diedId, 'KILL']);
    await waitFor('the container to die', () => runc(['state', diedId]).then((out) => (JSON.parse(out) as { status: string }).status, () => 'gone'), (state) => state === 'stopped');
    const before = await env.leftovers([diedId]);
    expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^netns /), expect.stringMatching(/^veth /), expect.stringMatching(/rootfs$/), expect.stringMatching(/mounts\//)]));
    // A record the crash caught half written, as the store leaves one: beside the real one, never over it.
    const records = join(env.config.home, 'containers');
    await writeFile(join(records, `${keptId}.json.4242.tmp`), '{"id": "half');
    expect(await files(records)).toContain(`${keptId}.json.4242.tmp`);

    serve = await startServe(env.env);
    expect(await env.leftovers([diedId])).toEqual([]);
    expect(await files(records)).toEqual([`${diedId}.json`, `${keptId}.json`].sort());
    const after = await ps();
    expect(after.map((c) => c.name).sort()).toEqual(['died', 'kept']);
    expect(after.find((c) => c.name === 'died')!.state).toMatchObject({ status: 'exited', exitCode: 137 });
    const adopted = after.find((c) => c.name === 'kept')!;
    expect(adopted.state.status).toBe('running');
    expect(adopted.ports).toEqual(keptPorts);
    expect(await httpGet(keptPorts[0]!.hostIp, keptPorts[0]!.hostPort)).toContain('Hello from Berth');
    for (const id of [keptId, diedId]) await berth(env.env, ['rm', '-f', id]);
    expect(await env.leftovers([keptId, diedId])).toEqual([]);
  });

  it('mid-start: a run cut off as the runtime starts leaves nothing running or mounted once the engine is back', async () => {
    // Stands in for the engine dying just as the runtime starts a container: kills it once, then runs runc.
    const wrapper = join(work.path, 'runc');
    const mark = join(work.path, 'crashed');
    const pidFile = join(work.path, 'serve.pid');
    await writeFile(wrapper, `#!/bin/sh\ncase " $* " in *" start "*) mkdir "${mark}" 2>/dev/null && kill -9 "$(cat "${pidFile}")";; esac\nexec runc "$@"\n`);
    await chmod(wrapper, 0o755);
    if (serve) await stopServe(serve);
    serve = await startServe({ ...env.env, BERTH_RUNTIME: wrapper });
    await writeFile(pidFile, String(serve.pid));
    const cut = await berth(env.env, ['run', '-d', '--name', 'cut', '-p', `${env.publishIp}:18080:80`, 'hello']);
    expect(cut.code).not.toBe(0);
    await waitFor('the engine to die', async () => serve!.signalCode, (signal) => signal === 'SIGKILL');
    const records = (await files(join(env.config.home, 'containers'))).filter((f) => f.endsWith('.json'));
    expect(records).toHaveLength(1);
    const id = records[0]!.replace(/\.json$/, '');
    expect(await env.leftovers([id])).not.toEqual([]);

    serve = await startServe(env.env);
    expect(await env.leftovers([id])).toEqual([]);
    const [shown] = await ps();
    expect(shown).toMatchObject({ id, name: 'cut', state: { status: 'created', error: 'the engine stopped while starting it: start it again' } });
    expect((await run('runc', ['--root', join(env.dataRoot, 'runtime'), 'list', '-q'])).stdout.trim()).toBe('');
    // Started again, it runs with the port it asked for.
    expect(await berth(env.env, ['start', 'cut'])).toMatchObject({ code: 0 });
    expect(await httpGet(env.publishIp, 18080)).toContain('Hello from Berth');
    expect(await berth(env.env, ['rm', '-f', 'cut'])).toMatchObject({ code: 0 });
  });

  it('mid-pull: a pull cut off leaves no image, and the next pull resumes and completes it', async () => {
    const layout = join(work.path, 'layout');
    // Random bytes do not compress: the layer is as big on the wire as on disk.
    await buildBusyboxImage(layout, 'big', { files: { '/data/random.bin': randomBytes(16 * 1024 * 1024) } });
    const image = await registry.push(layout, 'big', 'crash/big');
    const big = (await readLayoutImage(layout, 'big')).manifest.layers.at(-1)!.digest;
    let stall = true;
    const proxy = await startProxy(registry.host, (req) => (stall && req.url?.endsWith(big) && req.method === 'GET' ? { action: 'stall' } : { action: 'forward' }));
    try {
      const reference = image.replace(registry.host, proxy.host);
      await ensureServe();
      const pulling = berth(env.env, ['pull', reference]);
      const ingest = join(env.config.home, 'content', 'ingest');
      await waitFor('a partial download', async () => {
        const partial = (await files(ingest)).find((f) => f.endsWith('.partial'));
        return partial ? (await stat(join(ingest, partial))).size : 0;
      }, (size) => size > 0);
      await crash(serve!);
      expect((await pulling).code).not.toBe(0);
      expect((await files(ingest)).some((f) => f.endsWith('.partial'))).toBe(true);

      stall = false;
      serve = await startServe(env.env);
      expect((await berth(env.env, ['images'])).stdout).not.toContain('crash/big');
      expect(await berth(env.env, ['pull', reference])).toMatchObject({ code: 0 });
      // The second pull asked only for the rest of the blob it had.
      expect(proxy.requests.some((r) => r.headers.range !== undefined)).toBe(true);
      expect(await files(ingest)).toEqual([]);
      expect((await berth(env.env, ['images'])).stdout.match(/crash\/big/g)).toHaveLength(1);
      expect(await berth(env.env, ['rmi', reference])).toMatchObject({ code: 0 });
    } finally {
      await proxy.close();
    }
  });
});
