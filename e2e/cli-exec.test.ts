import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawn as spawnPty } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../electron/engine/engine-config.js';
import { berth, startServe, stopServe, type CliResult } from './fixtures/berth-cli.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

const CLI = join(packageRoot(), 'dist', 'electron', 'cli', 'main.js');

/** `berth` with bytes on its stdin, bounded in time. */
function berthWithInput(env: Record<string, string>, args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe.each(TEST_HOSTS)('berth exec against berth serve, Linux on the %s host', { timeout: 180_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startServe(env.env);
    expect((await berth(env.env, ['run', '-d', '--name', 'box', 'hello', 'sleep', '600'])).code).toBe(0);
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
    const result = await berthWithInput(env.env, ['exec', '-i', 'box', 'tr', 'a-z', 'A-Z'], 'piped in\n');
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
    const pty = spawnPty(process.execPath, [CLI, 'exec', '-it', 'box', 'sh'], {
      cols: 100,
      rows: 30,
      env: { ...(process.env as Record<string, string>), ...env.env },
    });
    let output = '';
    pty.onData((text) => (output += text));
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    const waitFor = async (text: string) => {
      for (const deadline = Date.now() + 15_000; !output.includes(text); ) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}: ${JSON.stringify(output)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      pty.write('echo $((6*7))\r');
      await waitFor('42');
      pty.write('stty size\r');
      await waitFor('30 100');
      pty.resize(120, 40);
      // The resize reaches the shell through SIGWINCH in the client, then the engine.
      await new Promise((resolve) => setTimeout(resolve, 300));
      pty.write('stty size\r');
      await waitFor('40 120');
      pty.write('exit 3\r');
      expect(await exited).toBe(3);
    } finally {
      pty.kill();
    }
  });
});
