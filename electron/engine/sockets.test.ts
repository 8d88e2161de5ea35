import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { installUsock } from '../../e2e/fixtures/usock/usock.js';
import { talk } from '../../e2e/fixtures/usock/talk.js';
import type { ExecOutput } from '../../shared/terminals.js';
import { forwardId } from '../sockets/socket-spec.js';
import { Engine } from './engine.js';

describe.each(TEST_HOSTS)('UNIX socket forwarding, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let tools: string;
  let hostDir: string;
  let echo: Server;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
    const folder = await env.makeHostFolder('tools');
    await installUsock(folder.local);
    tools = `${folder.path}:/opt/tools:ro`;
    hostDir = (await env.makeHostFolder('sockets')).local;
    // The host's socket: an echo server that names itself first.
    echo = createServer({ allowHalfOpen: true }, (socket) => {
      socket.write('host:');
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(join(hostDir, 'echo.sock'), resolve));
  });

  afterAll(async () => {
    echo?.close();
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  async function exec(id: string, command: string[], stdin: string): Promise<{ exitCode: number; output: string }> {
    const items: ExecOutput[] = [];
    const { exitCode } = await call('containers.exec', { id, command, stdin }, (item) => items.push(item));
    return { exitCode, output: Buffer.concat(items.map((i) => Buffer.from(i.base64, 'base64'))).toString() };
  }

  it('reaches a host socket from inside two containers at once, each on its own stream', async () => {
    const spec = `${join(hostDir, 'echo.sock')}:/run/host.sock`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map(() => call('containers.run', { image: 'hello', cmd: ['sleep', '300'], autoExpose: false, volumes: [tools], sockets: [spec] })),
    );
    expect(a!.sockets).toEqual([{ id: forwardId(a!.id, '/run/host.sock'), direction: 'to-host', hostPath: join(hostDir, 'echo.sock'), containerPath: '/run/host.sock' }]);
    expect(a!.sockets[0]!.id).not.toBe(b!.sockets[0]!.id);
    const big = 'x'.repeat(300_000);
    const [fromA, fromB] = await Promise.all([
      exec(a!.id, ['/opt/tools/usock', 'connect', '/run/host.sock'], `from a ${big}`),
      exec(b!.id, ['/opt/tools/usock', 'connect', '/run/host.sock'], 'from b'),
    ]);
    // Compared by length and ends, so a failure shows what went wrong rather than 300 kB of x.
    const brief = ({ exitCode, output }: { exitCode: number; output: string }) => ({ exitCode, length: output.length, head: output.slice(0, 12), tail: output.slice(-12) });
    expect(brief(fromA)).toEqual(brief({ exitCode: 0, output: `host:from a ${big}` }));
    expect(fromB).toEqual({ exitCode: 0, output: 'host:from b' });

    const listener = engine.host.dataRoot + `/sockets/${a!.sockets[0]!.id.slice(0, 32)}.sock`;
    expect(await env.linuxFileSize(listener)).toBeDefined();
    await call('containers.stop', { id: a!.id, timeout: 1 });
    expect(await env.linuxFileSize(listener)).toBeUndefined();
    // b's forward is its own and still works.
    expect((await exec(b!.id, ['/opt/tools/usock', 'connect', '/run/host.sock'], 'again')).output).toBe('host:again');
    for (const c of [a!, b!]) await call('containers.remove', { id: c.id, force: true });
  });

  it('reaches a socket served in each of two containers from the host, and removes the host sockets at stop', async () => {
    const serve = (tag: string) => ['sh', '-c', `mkdir -p /sock && exec /opt/tools/usock serve /sock/echo.sock ${tag}:`];
    const paths = { a: join(hostDir, 'a.sock'), b: join(hostDir, 'b.sock') };
    const [a, b] = await Promise.all(
      (['a', 'b'] as const).map((tag) =>
        call('containers.run', { image: 'hello', cmd: serve(tag), autoExpose: false, volumes: [tools], socketListens: [`/sock/echo.sock:${paths[tag]}`] }),
      ),
    );
    // The server in the container starts after the forward's listener: retry until it answers.
    const ask = (path: string, text: string) => waitFor(`an answer through ${path}`, () => talk(path, text).catch(() => ''), (answer) => answer !== '');
    expect(await ask(paths.a, 'one')).toBe('a:one');
    expect(await ask(paths.b, 'two')).toBe('b:two');
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => talk(i % 2 ? paths.a : paths.b, `n${i}`)));
    expect(many).toEqual(Array.from({ length: 8 }, (_, i) => `${i % 2 ? 'a' : 'b'}:n${i}`));

    await call('containers.stop', { id: a!.id, timeout: 1 });
    expect(existsSync(paths.a)).toBe(false);
    expect(await talk(paths.b, 'still')).toBe('b:still');
    for (const c of [a!, b!]) await call('containers.remove', { id: c.id, force: true });
    expect(existsSync(paths.b)).toBe(false);
  });

  it('listens again for a running container after an engine restart, and says which forwards need its restart', async () => {
    const path = join(hostDir, 'restart.sock');
    // A server removes the socket file its last run left, as real ones do.
    const serve = ['sh', '-c', 'mkdir -p /sock && rm -f /sock/echo.sock && exec /opt/tools/usock serve /sock/echo.sock r:'];
    const container = await call('containers.run', {
      image: 'hello', cmd: serve, autoExpose: false, volumes: [tools],
      socketListens: [`/sock/echo.sock:${path}`], sockets: [`${join(hostDir, 'echo.sock')}:/run/host.sock`],
    });
    expect(await waitFor('the server in the container', () => talk(path, 'before').catch(() => ''), (a) => a !== '')).toBe('r:before');

    await engine.close();
    expect(existsSync(path)).toBe(false);
    engine = await env.openEngine();
    call = engineCaller(engine);
    const adopted = await call('containers.inspect', { id: container.id });
    expect(adopted.state.status).toBe('running');
    expect(adopted.state.error).toMatch(/restart the container to reconnect \/run\/host.sock/);
    expect(await talk(path, 'after')).toBe('r:after');

    const restarted = await call('containers.restart', { id: container.id, timeout: 1 });
    expect(restarted.state).toMatchObject({ status: 'running', error: '' });
    expect((await exec(container.id, ['/opt/tools/usock', 'connect', '/run/host.sock'], 'back')).output).toBe('host:back');
    await call('containers.remove', { id: container.id, force: true });
    expect(existsSync(path)).toBe(false);
  });

  it('refuses bad socket forwards with one line naming the bad part, and makes nothing', async () => {
    const taken = join(hostDir, 'taken');
    await writeFile(taken, 'a file, not a socket');
    const cases: [Record<string, string[]>, RegExp][] = [
      [{ sockets: ['relative.sock:/run/x.sock'] }, /--socket "relative.sock:\/run\/x.sock": the host path "relative.sock" is not absolute/],
      [{ sockets: [`${join(hostDir, 'missing.sock')}:/run/x.sock`] }, /missing.sock is not a socket on the host/],
      [{ sockets: [`${join(hostDir, 'echo.sock')}:run/x.sock`] }, /container path "run\/x.sock" is not absolute/],
      [{ sockets: [`${join(hostDir, 'echo.sock')}`] }, /expected HOST_SOCKET:CONTAINER_PATH/],
      [{ socketListens: [`/sock/x.sock:${taken}`] }, /taken already exists on the host/],
      [{ socketListens: ['/sock/x.sock:relative'] }, /the host path "relative" is not absolute/],
    ];
    for (const [extra, message] of cases) {
      const error = await errorOf(call('containers.run', { image: 'hello', cmd: ['true'], autoExpose: false, ...extra }));
      expect(error.code, message.source).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    }
    expect(await call('containers.list', { all: true })).toEqual([]);
    const listeners = await engine.host.exec(['sh', '-c', 'ls -A "$1" 2>/dev/null; true', 'berth-test', `${engine.host.dataRoot}/sockets`]);
    expect(listeners.stdout.toString()).toBe('');
  });
});
