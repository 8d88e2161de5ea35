import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, crash, startServe, stopServe } from './fixtures/berth-cli.js';
import { startCliPty } from './fixtures/cli-pty.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

describe.each(TEST_HOSTS)('berth run -it and attach, Linux on the %s host', { timeout: 180_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startServe(env.env);
  });

  afterAll(async () => {
    if (serve) {
      for (const name of ['shell', 'plain']) await berth(env.env, ['rm', '-f', name]);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('runs a shell in this terminal: echoes, follows a resize, detaches with Ctrl+P Ctrl+Q, attaches again and exits with its code', async () => {
    const run = startCliPty(env.env, ['run', '-it', '--name', 'shell', 'hello', 'sh']);
    try {
      // The prompt the shell printed before anyone attached is there: the engine held it.
      await run.waitFor('/ #');
      run.pty.write('echo $((6*7))\r');
      await run.waitFor('42');
      run.pty.write('stty size\r');
      await run.waitFor('30 100');
      run.pty.resize(120, 40);
      await new Promise((resolve) => setTimeout(resolve, 300));
      run.pty.write('stty size\r');
      await run.waitFor('40 120');
      run.pty.write('\x10\x11');
      expect(await run.exited).toBe(0);
    } finally {
      run.pty.kill();
    }
    expect((await berth(env.env, ['ps'])).stdout).toMatch(/Up .* shell/);

    const attach = startCliPty(env.env, ['attach', 'shell'], { cols: 90, rows: 25 });
    try {
      // What the session held is shown again, then the size is this terminal's.
      await attach.waitFor('40 120');
      attach.pty.write('stty size\r');
      await attach.waitFor('25 90');
      attach.pty.write('exit 3\r');
      expect(await attach.exited).toBe(3);
    } finally {
      attach.pty.kill();
    }
    expect((await berth(env.env, ['ps', '-a'])).stdout).toMatch(/Exited \(3\) .* shell/);
    expect((await berth(env.env, ['rm', 'shell'])).code).toBe(0);
  });

  it('keeps the session through a kill -9 of the engine: a new engine attaches to the same shell', async () => {
    expect((await berth(env.env, ['run', '-d', '-it', '--name', 'shell', 'hello', 'sh'])).code).toBe(0);
    const before = startCliPty(env.env, ['attach', 'shell']);
    try {
      before.pty.write('export MARK=kept-$((40+2))\r');
      await before.waitFor('/ #');
      await crash(serve!);
      serve = await startServe(env.env);
    } finally {
      before.pty.kill();
    }
    const after = startCliPty(env.env, ['attach', 'shell']);
    try {
      after.pty.write('echo $MARK\r');
      await after.waitFor('kept-42');
      after.pty.write('exit 4\r');
      expect(await after.exited).toBe(4);
    } finally {
      after.pty.kill();
    }
    expect((await berth(env.env, ['rm', 'shell'])).code).toBe(0);
  });

  it('attaches to a container without a terminal: its output from now on, our stdin into one started with -i, a signal to its process', async () => {
    // The reader runs in the background (its stdin kept on fd 3), so the shell waits where a trapped INT ends it.
    const script = 'trap "echo bye; exit 7" INT; echo before; exec 3<&0; (while read line <&3; do echo "got $line"; done) & wait';
    expect((await berth(env.env, ['run', '-d', '-i', '--name', 'plain', 'hello', 'sh', '-c', script])).code).toBe(0);
    expect((await berth(env.env, ['logs', 'plain'])).stdout).toBe('before\n');
    let interrupted = false;
    const attached = await berth(env.env, ['attach', 'plain'], {
      input: 'one\ntwo\n',
      // One Ctrl+C to the command goes to the container's process (Docker's --sig-proxy). Only one: a
      // second, sent on the output that follows, could reach the command after it stopped proxying.
      onOutput: (stdout, child) => {
        if (interrupted || !stdout.includes('got two')) return;
        interrupted = true;
        child.kill('SIGINT');
      },
    });
    expect(attached).toEqual({ code: 7, stdout: 'got one\ngot two\nbye\n', stderr: '' });
    expect((await berth(env.env, ['ps', '-a'])).stdout).toMatch(/Exited \(7\) .* plain/);
    expect((await berth(env.env, ['rm', 'plain'])).code).toBe(0);
  });

  it('closes the stdin of a process run with -i when the berth run that fed it is killed, as Docker does', async () => {
    const script = 'echo ready; cat; echo "stdin closed"';
    const run = await berth(env.env, ['run', '-i', '--name', 'plain', 'hello', 'sh', '-c', script], {
      input: 'open',
      onOutput: (stdout, child) => stdout.includes('ready') && child.kill('SIGKILL'),
    });
    expect(run).toMatchObject({ code: 128, stdout: 'ready\n' });
    expect(await berth(env.env, ['wait', 'plain'], { timeoutMs: 20_000 })).toMatchObject({ code: 0, stdout: '0\n' });
    expect((await berth(env.env, ['logs', 'plain'])).stdout).toBe('ready\nstdin closed\n');
    expect((await berth(env.env, ['rm', 'plain'])).code).toBe(0);
  });

  it('removes a --rm container once its shell exits, and refuses what it cannot do in one line', async () => {
    const run = startCliPty(env.env, ['run', '--rm', '-it', 'hello', 'sh']);
    await run.waitFor('/ #');
    run.pty.write('exit 5\r');
    expect(await run.exited).toBe(5);
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout).toBe('');

    expect((await berth(env.env, ['run', '-d', '--name', 'plain', 'hello', 'sleep', '60'])).code).toBe(0);
    expect(await berth(env.env, ['stop', '-t', '0', 'plain'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['attach', 'plain'])).toMatchObject({ code: 1, stderr: 'berth: container plain is not running: start it with berth start -a plain\n' });
    expect(await berth(env.env, ['attach', 'nobody'])).toMatchObject({ code: 1, stderr: 'berth: no such container: nobody\n' });
    expect(await berth(env.env, ['run', '-it', '--detach-keys', 'ctrl-', 'hello', 'sh'])).toMatchObject({ code: 2, stderr: 'berth: invalid detach keys "ctrl-": use keys apart by commas, each a character or ctrl-X (X one of a-z @ [ \\ ] ^ _), e.g. ctrl-p,ctrl-q\n' });
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
  });
});
