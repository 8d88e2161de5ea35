import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../electron/engine/engine.js';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { serveDocker, type DockerServer } from '../electron/transport/docker/docker-server.js';
import { closeTestEngine, engineCaller } from './fixtures/engine-client.js';
import { Rng } from './fixtures/seeded-random.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * Malformed requests to every route of Berth's Docker API, against one real engine: each gets an HTTP
 * answer (never a dropped connection or a hang), a 4xx or 501 with Docker's `{"message"}` as
 * application/json, never a 5xx from an unhandled error; nothing is made; and the API keeps serving.
 * BERTH_FUZZ_SEED=<n> replays a run.
 */

const SEED = process.env.BERTH_FUZZ_SEED ? Number(process.env.BERTH_FUZZ_SEED) : randomInt(2 ** 31);
const REQUESTS = 400;
const ANSWER_TIMEOUT_MS = 10_000;

const rng = new Rng(SEED);
const int = (below: number) => rng.int(below);
const pick = <T>(items: readonly T[]): T => rng.pick(items);

/** Names that exist nowhere in this engine: every container, image, volume and exec route answers "no such". */
const REFS = ['nope', 'a', '0', '%2F', 'abc%00def', 'x'.repeat(300), '..', '%E0%A4%A', '-', 'sha256:00', 'UPPER', '%F0%9F%98%80'];
/** Images that cannot be pulled without leaving this machine: a refused loopback registry, or no name at all. */
const PULLS = ['', 'fromImage=127.0.0.1:1/none&tag=x', 'fromImage=%20', 'fromSrc=-', 'fromImage=127.0.0.1:1/a&tag=sha256:zz', 'fromImage=' + 'a'.repeat(2000)];

/** A route and, where any body it takes would make something, a body it refuses. */
const PATHS: (() => [method: string, path: string, body?: string])[] = [
  () => ['GET', '/containers/json'],
  () => ['POST', '/containers/create'],
  () => ['GET', `/containers/${pick(REFS)}/json`],
  () => ['POST', `/containers/${pick(REFS)}/${pick(['start', 'stop', 'restart', 'kill', 'wait', 'rename', 'resize', 'attach', 'exec'])}`],
  () => ['DELETE', `/containers/${pick(REFS)}`],
  () => ['GET', `/containers/${pick(REFS)}/${pick(['logs', 'stats', 'top'])}`],
  () => ['POST', `/exec/${pick(REFS)}/${pick(['start', 'resize'])}`],
  () => ['GET', `/exec/${pick(REFS)}/json`],
  () => ['GET', '/images/json'],
  () => ['POST', `/images/create?${pick(PULLS)}`],
  () => ['GET', `/images/${pick(REFS)}/${pick(['json', 'history'])}`],
  () => ['DELETE', `/images/${pick(REFS)}`],
  () => ['POST', '/images/load'],
  () => ['GET', '/volumes'],
  // Any body it takes makes a volume (an empty one makes a named one): only refused ones.
  () => ['POST', '/volumes/create', pick([JSON.stringify({ Name: 7 }), JSON.stringify({ Name: 'fuzz', Driver: 'nfs' }), '{', '[1]', JSON.stringify({ Name: 'x'.repeat(300) })])],
  () => ['GET', `/volumes/${pick(REFS)}`],
  () => ['DELETE', `/volumes/${pick(REFS)}`],
  () => ['GET', `/events?until=1&${pick(['filters=%7B', 'filters=%7B%22colour%22%3A%5B%5D%7D', 'since=abc', 'since=5&until=1', 'filters=%5B%5D'])}`],
  () => [pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']), pick(['/swarm/init', '/plugins/pull', '/build', '/networks/create', '/nope', '/', '//', '/v9.9/_ping', '/v1.2/_ping', '/v1.44/../../etc'])],
  () => ['GET', `/containers/json?${pick(['all=maybe', 'limit=-5', 'limit=abc', 'filters=%7Bx', 'filters=%7B%22status%22%3A%5B%22sleepy%22%5D%7D', 'filters=%7B%22label%22%3A%5B1%5D%7D'])}`],
];

/** A body the route's schema refuses, or one it takes that still names something missing. */
function randomBody(): string | undefined {
  return pick([
    undefined,
    '',
    '{',
    'null',
    '[]',
    '"x"',
    JSON.stringify({ Image: 7 }),
    JSON.stringify({ Image: 'no-such-image-fuzz', Cmd: 'sh' }),
    JSON.stringify({ Image: 'no-such-image-fuzz', Tty: 'yes' }),
    JSON.stringify({ Image: 'no-such-image-fuzz', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }),
    JSON.stringify({ Image: 'no-such-image-fuzz', HostConfig: { NetworkMode: 'container:x', Memory: -1 } }),
    JSON.stringify({ Image: 'no-such-image-fuzz', HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/x' }] } }),
    JSON.stringify({ Name: 7 }),
    JSON.stringify({ Name: 'fuzz', Driver: 'nfs' }),
    JSON.stringify({ Cmd: [] }),
    JSON.stringify({ Detach: 'no' }),
    'x'.repeat(5 * 1024 * 1024),
  ]);
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function send(socketPath: string, method: string, path: string, body: string | undefined, upgrade: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
    if (upgrade) Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
    const req = request({ socketPath, method, path, headers, timeout: ANSWER_TIMEOUT_MS }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString().slice(0, 4096)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, contentType: String(res.headers['content-type'] ?? ''), body: '' });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    // A refused big body is answered before it is all sent: the rest of it may then fail to write,
    // after the request has let go of its socket. That is the client's loss, not an error here.
    req.on('socket', (socket) => socket.on('error', () => {}));
    req.end(body);
  });
}

/** Raw bytes that are not a well-formed request: the server answers 400 or closes, and keeps serving. */
function sendRaw(socketPath: string, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy());
    socket.end(bytes);
  });
}

describe("Berth's Docker API under malformed requests", () => {
  let env: TestEngineEnv;
  let engine: Engine;
  let server: DockerServer;
  let socket: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    engine = await env.openEngine();
    socket = dockerSocketPath(env.config.home);
    server = await serveDocker(engine, socket);
  });

  afterAll(async () => {
    await server?.close();
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  it(`answers every route's bad input with Docker's error shape and keeps serving (seed ${SEED})`, { timeout: 300_000 }, async () => {
    const call = engineCaller(engine);
    const before = { containers: await call('containers.list', { all: true }), volumes: await call('volumes.list', {}), images: await call('images.list', {}) };
    for (let i = 0; i < REQUESTS; i++) {
      const [method, path, refused] = pick(PATHS)();
      const body = refused ?? randomBody();
      const upgrade = int(8) === 0;
      const label = `[request ${i}, replay with BERTH_FUZZ_SEED=${SEED}] ${method} ${path.slice(0, 120)} body ${body?.slice(0, 80)}${upgrade ? ' (upgrade)' : ''}`;
      const answer = await send(socket, method, path, body, upgrade).catch((err: Error) => {
        throw new Error(`${label}: ${err.message}`);
      });
      expect(answer.status, label).toBeLessThan(600);
      expect([500, 502, 503], `${label}: ${answer.body}`).not.toContain(answer.status);
      if (answer.status >= 400) {
        expect(answer.contentType, label).toBe('application/json');
        expect(JSON.parse(answer.body), label).toEqual({ message: expect.any(String) });
      }
    }
    for (const bytes of ['GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n', 'NONSENSE\r\n\r\n', 'POST /exec/x/start HTTP/1.1\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', '\x00\x01\x02']) {
      const answered = await sendRaw(socket, bytes);
      expect(answered === '' || /^HTTP\/1\.1 [45]\d\d [^]*\r\nContent-Type: application\/json\r\n/.test(answered), JSON.stringify(answered.slice(0, 200))).toBe(true);
    }
    expect((await send(socket, 'GET', '/_ping', undefined, false)).status).toBe(200);
    expect({ containers: await call('containers.list', { all: true }), volumes: await call('volumes.list', {}), images: await call('images.list', {}) }).toEqual(before);
  });
});
