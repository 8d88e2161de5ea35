import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller } from '../../e2e/fixtures/engine-client.js';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import type { ExecOutput } from '../../shared/terminals.js';
import { Engine } from '../engine/engine.js';

describe.each(TEST_HOSTS)('containers.exec, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let id: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
    id = (await call('containers.run', { image: 'hello', cmd: ['sleep', '300'], autoExpose: false })).id;
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  async function exec(command: string[], extra: { env?: string[]; stdin?: string } = {}) {
    const items: ExecOutput[] = [];
    const { exitCode } = await call('containers.exec', { id, command, ...extra }, (item) => items.push(item));
    const text = (stream: ExecOutput['stream']) =>
      Buffer.concat(items.filter((i) => i.stream === stream).map((i) => Buffer.from(i.base64, 'base64'))).toString();
    return { exitCode, stdout: text('stdout'), stderr: text('stderr') };
  }

  it('streams stdout and stderr apart and answers the exit code', async () => {
    const result = await exec(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result).toEqual({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('takes environment variables and stdin', async () => {
    expect(await exec(['sh', '-c', 'echo "$GREETING"; cat'], { env: ['GREETING=hi there'], stdin: 'from stdin' })).toEqual({
      exitCode: 0,
      stdout: 'hi there\nfrom stdin',
      stderr: '',
    });
  });

  it('passes large output through whole', async () => {
    const result = await exec(['sh', '-c', 'seq 1 200000']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200000);
    expect(lines.at(-1)).toBe('200000');
  });

  it('answers 127 with the runtime message for a command that does not exist', async () => {
    const result = await exec(['no-such-command']);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toMatch(/no-such-command/);
  });

  it('refuses a container that is not running', async () => {
    const stopped = await call('containers.run', { image: 'hello', cmd: ['true'], autoExpose: false });
    await call('containers.stop', { id: stopped.id, timeout: 1 });
    expect(await errorOf(call('containers.exec', { id: stopped.id, command: ['true'] }))).toMatchObject({ code: 'CONTAINER_NOT_RUNNING' });
  });
});
