import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../shared/containers.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';
import { installUsock } from './fixtures/usock/usock.js';

describe('berth run -v, --socket and berth volume', { timeout: 120_000 }, () => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let src: { path: string; local: string };
  let tools: { path: string; local: string };
  let agent: Server;
  let agentPath: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    src = await env.makeHostFolder('src');
    tools = await env.makeHostFolder('tools');
    await installUsock(tools.local);
    await writeFile(join(src.local, 'main.txt'), 'source\n');
    // Stands in for an SSH agent: answers each connection with a fixed line.
    agentPath = join((await env.makeHostFolder('agent')).local, 'agent.sock');
    agent = createServer((socket) => socket.end('agent says hi\n'));
    await new Promise<void>((resolve) => agent.listen(agentPath, resolve));
    serve = await startServe(env.env);
  });

  afterAll(async () => {
    agent?.close();
    if (serve) {
      await berth(env.env, ['rm', '-f', 'dev']);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('runs with a folder, a named volume and a host socket, and keeps the volume past the container', async () => {
    expect(await berth(env.env, ['volume', 'create', 'data'])).toMatchObject({ code: 0, stdout: 'data\n' });
    const run = await berth(env.env, [
      'run', '-d', '--name', 'dev', '--no-auto-expose',
      '-v', `${src.path}:/src:ro`, '-v', 'data:/data', '-v', `${tools.path}:/opt/tools:ro`,
      '--socket', `${agentPath}:/run/agent.sock`,
      'hello', 'sleep', '300',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });

    expect(await berth(env.env, ['exec', 'dev', 'cat', '/src/main.txt'])).toMatchObject({ code: 0, stdout: 'source\n' });
    expect(await berth(env.env, ['exec', 'dev', 'sh', '-c', 'echo saved >/data/file'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['exec', 'dev', '/opt/tools/usock', 'connect', '/run/agent.sock'])).toMatchObject({ code: 0, stdout: 'agent says hi\n' });

    const [inspected] = JSON.parse((await berth(env.env, ['inspect', 'dev'])).stdout) as Container[];
    expect(inspected!.mounts).toContainEqual({ type: 'volume', source: 'data', destination: '/data', readOnly: false });
    expect(inspected!.sockets).toEqual([expect.objectContaining({ direction: 'to-host', hostPath: agentPath, containerPath: '/run/agent.sock' })]);

    const ls = await berth(env.env, ['volume', 'ls']);
    expect(ls.stdout).toMatch(/DRIVER\s+VOLUME NAME\s+USED BY\nlocal\s+data\s+dev\n/);
    const inUse = await berth(env.env, ['volume', 'rm', 'data']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toBe('Error: volume data is used by dev: remove those containers first\n');

    expect(await berth(env.env, ['rm', '-f', 'dev'])).toMatchObject({ code: 0 });
    const reader = await berth(env.env, ['run', '--name', 'reader', '-v', 'data:/data', 'hello', 'cat', '/data/file']);
    expect(reader).toMatchObject({ code: 0, stdout: 'saved\n' });
    expect(await berth(env.env, ['rm', 'reader'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['volume', 'rm', 'data'])).toMatchObject({ code: 0, stdout: 'data\n' });
    expect(await berth(env.env, ['volume', 'ls', '-q'])).toMatchObject({ code: 0, stdout: '' });
    expect(await readFile(join(src.local, 'main.txt'), 'utf8')).toBe('source\n');
  });

  it('gives one clear line for a bad volume or socket', async () => {
    const cases: [string[], string][] = [
      [['-v', 'src:data'], 'invalid volume "src:data": the container path "data" is not absolute'],
      [['-v', `${src.path}:/x:rx`], `invalid volume "${src.path}:/x:rx": unknown option "rx": use ro or rw`],
      [['--socket', 'agent.sock:/run/a.sock'], 'invalid --socket "agent.sock:/run/a.sock": the host path "agent.sock" is not absolute'],
    ];
    for (const [flags, message] of cases) {
      const result = await berth(env.env, ['run', '-d', ...flags, 'hello']);
      expect(result.code, message).toBe(125);
      expect(result.stderr).toBe(`berth: ${message}\n`);
    }
    expect(await berth(env.env, ['volume', 'nope'])).toMatchObject({ code: 2 });
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout).toBe('');
  });
});
