import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import { bundlePaths } from '../runtime/bundle.js';
import { Engine } from './engine.js';

/** Checks that the text is whole lines counting up by one, and returns the first and last. */
function contiguous(text: string): { first: number; last: number } {
  const numbers = text.trimEnd().split('\n').map(Number);
  numbers.forEach((n, i) => {
    if (i > 0 && n !== numbers[i - 1]! + 1) throw new Error(`line ${i}: ${numbers[i - 1]} is followed by ${n}`);
  });
  return { first: numbers[0]!, last: numbers.at(-1)! };
}

describe.each(TEST_HOSTS)('container logs, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  const maxBytes = 64 * 1024;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine({ ...env.config, logLimits: { maxBytes, keep: 2 } });
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  async function logsOf(id: string, options: { tail?: number; follow?: boolean } = {}): Promise<string> {
    const chunks: Buffer[] = [];
    await call('containers.logs', { id, ...options }, (c) => chunks.push(Buffer.from(c.base64, 'base64')));
    return Buffer.concat(chunks).toString();
  }

  it('follows a fast writer from the first line to the last without losing any', async () => {
    // 10,000 lines (about 49 KB) stay within one live file: following across a rotation is not covered here.
    const container = await call('containers.run', { image: 'hello', cmd: ['seq', '1', '10000'], autoExpose: false });
    const text = await logsOf(container.id, { follow: true });
    expect(contiguous(text)).toEqual({ first: 1, last: 10000 });
  });

  it('shows output while the container still runs', async () => {
    const container = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'echo early; sleep 30'], autoExpose: false });
    await waitFor('live output', () => logsOf(container.id), (text) => text === 'early\n');
    await call('containers.remove', { id: container.id, force: true });
  });

  it('caps the log by rotation in the writer, keeping whole, contiguous lines', async () => {
    const container = await call('containers.run', { image: 'hello', cmd: ['seq', '1', '200000'], autoExpose: false });
    await waitFor('exit', () => call('containers.inspect', { id: container.id }), (c) => c.state.status === 'exited');
    const log = bundlePaths(env.dataRoot, container.id).log;
    for (const path of [log, `${log}.1`, `${log}.2`]) expect(await env.linuxFileSize(path)).toBeLessThanOrEqual(maxBytes);
    expect(await env.linuxFileSize(`${log}.3`)).toBeUndefined();
    const { last, first } = contiguous(await logsOf(container.id));
    expect(last).toBe(200000);
    expect(first).toBeGreaterThan(1);
    expect(contiguous(await logsOf(container.id, { tail: 3 }))).toEqual({ first: 199998, last: 200000 });
  });
});
