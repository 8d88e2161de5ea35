import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSocketPath } from '../electron/engine/engine-config.js';
import { berth, crash, startServe, stopServe } from './fixtures/berth-cli.js';
import { startCliPty } from './fixtures/cli-pty.js';
import { waitFor } from './fixtures/engine-client.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

const execFileAsync = promisify(execFile);

describe.each(TEST_HOSTS)('berth exec against berth serve, Linux on the %s host', { timeout: 180_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let containerId: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startServe(env.env);
    const run = await berth(env.env, ['run', '-d', '--name', 'box', 'hello', 'sleep', '600']);
    expect(run.code).toBe(0);
    containerId = run.stdout.trim();
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'box']);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('prints stdout and stderr apart and exits with the command code', async () => {
    const result = await berth(env.env, ['exec', '-e', 'WHO=berth', 'box', 'sh', '-c', 'echo "out $WHO"; echo err >&2; exit 4']);
    expect(result).toEqual({ code: 4, stdout: 'out berth\n', stderr: 'err\n' });
  });

  it('feeds stdin with -i', async () => {
    const result = await berth(env.env, ['exec', '-i', 'box', 'tr', 'a-z', 'A-Z'], { input: 'piped in\n' });
    expect(result).toEqual({ code: 0, stdout: 'PIPED IN\n', stderr: '' });
  });

  it('exits 127 for a command that does not exist, and 1 for a container that is not running', async () => {
    const missing = await berth(env.env, ['exec', 'box', 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-command/);
    expect((await berth(env.env, ['run', '-d', '--name', 'done', 'hello', 'true'])).code).toBe(0);
    await berth(env.env, ['stop', 'done']);
    const stopped = await berth(env.env, ['exec', 'done', 'true']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/not running/);
    await berth(env.env, ['rm', '-f', 'done']);
  });

  it('runs an interactive shell with -it in a terminal and exits with its code', async () => {
    const cli = startCliPty(env.env, ['exec', '-it', 'box', 'sh']);
    try {
      cli.pty.write('echo $((6*7))\r');
      await cli.waitFor('42');
      cli.pty.write('stty size\r');
      await cli.waitFor('30 100');
      cli.pty.resize(120, 40);
      // The resize reaches the shell through SIGWINCH in the client, then the engine.
      await new Promise((resolve) => setTimeout(resolve, 300));
      cli.pty.write('stty size\r');
      await cli.waitFor('40 120');
      cli.pty.write('exit 3\r');
      expect(await cli.exited).toBe(3);
    } finally {
      cli.pty.kill();
    }
  });

  it('with -it shows the first output and why a command could not start, and on the local host types straight to conmon', async () => {
    const cli = startCliPty(env.env, ['exec', '-it', 'box', 'sh', '-c', 'echo first-$((3+4)); exec sh']);
    try {
      await cli.waitFor('first-7');
      // The attach client: the CLI's own connection to the exec's conmon socket, offered on the local host only.
      const clients = await execFileAsync('pgrep', ['-f', `${env.dataRoot}/attach/[0-9a-f]{16}/attach$`]).then((r) => r.stdout.trim(), () => '');
      expect(clients !== '').toBe(host === 'local');
      cli.pty.write('exit 5\r');
      expect(await cli.exited).toBe(5);
    } finally {
      cli.pty.kill();
    }
    const missing = startCliPty(env.env, ['exec', '-it', 'box', 'no-such-command']);
    try {
      expect(await missing.exited).toBe(127);
      expect(missing.output()).toMatch(/no-such-command/);
    } finally {
      missing.pty.kill();
    }
  });

  it('hangs up a shell whose engine was killed: nothing of the exec is left, the container runs on', async () => {
    const host = async () => (await execFileAsync('pgrep', ['-f', `berth terminal host ${terminalSocketPath(env.env.BERTH_HOME!)}`]).then((r) => r.stdout, () => '')).trim();
    const cli = startCliPty(env.env, ['exec', '-it', 'box', 'sh']);
    try {
      cli.pty.write('sleep 777; echo slept\r');
      await waitFor('the sleep', async () => (await berth(env.env, ['exec', 'box', 'ps'])).stdout, (ps) => ps.includes('sleep 777'));
      expect(await host()).not.toBe('');
      await crash(serve!);
    } finally {
      cli.pty.kill();
    }
    const monitors = async () => (await execFileAsync('pgrep', ['-f', `conmon .*--exec .*-c ${containerId}`]).then((r) => r.stdout, () => '')).trim();
    await waitFor('the exec monitor to end', monitors, (left) => left === '');
    // The engine's terminal host went with it.
    await waitFor('the terminal host to end', host, (left) => left === '');
    serve = await startServe(env.env);
    expect((await berth(env.env, ['exec', 'box', 'ps'])).stdout).not.toContain('sleep 777');
    expect((await berth(env.env, ['ps'])).stdout).toMatch(/Up .* box/);
  });
});
