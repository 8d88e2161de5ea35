import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import type { LogStream } from '../../shared/containers.js';
import type { Request } from '../../shared/contract.js';
import { bundlePaths } from '../runtime/bundle.js';
import { Engine } from '../engine/engine.js';

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
  const maxBytes = 1024 * 1024;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine({ ...env.config, logLimits: { maxBytes, keep: 2, checkMs: 100 } });
    call = engineCaller(engine);
  });

  afterAll(async () => {
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  async function logsOf(id: string, options: Omit<Request<'containers.logs'>, 'id'> = {}, stream?: LogStream): Promise<string> {
    const chunks: Buffer[] = [];
    await call('containers.logs', { id, ...options }, (c) => {
      if (stream === undefined || c.stream === stream) chunks.push(Buffer.from(c.base64, 'base64'));
    });
    return Buffer.concat(chunks).toString();
  }

  it('follows a fast writer from the first line to the last without losing any', async () => {
    // 10,000 lines (about 500 KB with their stamps) stay within the cap.
    const container = await call('containers.run', { image: 'hello', cmd: ['seq', '1', '10000'], autoExpose: false });
    const text = await logsOf(container.id, { follow: true });
    expect(contiguous(text)).toEqual({ first: 1, last: 10000 });
  });

  it('shows output while the container still runs', async () => {
    const container = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'echo early; sleep 30'], autoExpose: false });
    await waitFor('live output', () => logsOf(container.id), (text) => text === 'early\n');
    await call('containers.remove', { id: container.id, force: true });
  });

  it('keeps stdout and stderr apart, stamps lines on request, and picks lines by time', async () => {
    const container = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', 'echo o; echo e >&2; sleep 1.2; echo later'], autoExpose: false });
    await waitFor('exit', () => call('containers.inspect', { id: container.id }), (c) => c.state.status === 'exited');
    expect(await logsOf(container.id, {}, 'stdout')).toBe('o\nlater\n');
    expect(await logsOf(container.id, {}, 'stderr')).toBe('e\n');
    const stamped = (await logsOf(container.id, { timestamps: true })).trimEnd().split('\n');
    expect(stamped).toHaveLength(3);
    for (const line of stamped) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (o|e|later)$/);
    const laterAt = Date.parse(stamped[2]!.split(' ')[0]!) / 1000;
    expect(await logsOf(container.id, { since: laterAt - 0.5 })).toBe('later\n');
    expect(await logsOf(container.id, { until: laterAt - 0.5 })).toMatch(/^(o\ne|e\no)\n$/);
  });

  it('rotates the log at its size, keeping older files, and follow loses no line across the rotations', async () => {
    // 100,000 lines (about 5 MB with their stamps) in bursts, about 2 MB/s: a rotation every half second.
    const script = 'i=0; while [ $i -lt 50 ]; do seq $((i*2000+1)) $((i*2000+2000)); i=$((i+1)); sleep 0.05; done';
    const container = await call('containers.run', { image: 'hello', cmd: ['sh', '-c', script], autoExpose: false });
    expect(contiguous(await logsOf(container.id, { follow: true }))).toEqual({ first: 1, last: 100000 });
    const log = bundlePaths(env.dataRoot, container.id).log;
    expect(await env.linuxFileSize(`${log}.2`)).toBeGreaterThan(0);
    for (const path of [log, `${log}.1`, `${log}.2`]) expect(await env.linuxFileSize(path)).toBeLessThanOrEqual(maxBytes);
    expect(await env.linuxFileSize(`${log}.3`)).toBeUndefined();
    const { last, first } = contiguous(await logsOf(container.id));
    expect(last).toBe(100000);
    expect(first).toBeGreaterThan(1);
    expect(contiguous(await logsOf(container.id, { tail: 3 }))).toEqual({ first: 99998, last: 100000 });
  });
});
