import { execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath, packageRoot } from '../electron/engine/engine-config.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { freePort, httpGet } from './fixtures/ports.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * Docker's client libraries against Berth's Docker socket, on both hosts: dockerode (npm) and
 * docker-py (Debian's python3-docker), each doing what tools built on them do.
 */

const DOCKER_PY_SESSION = join(packageRoot(), 'e2e', 'fixtures', 'docker-py-session.py');

/** Everything a stream carries until it ends (bounded by the test's timeout). */
function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

describe.each(TEST_HOSTS)("Docker's client libraries against Berth, Linux on the %s host", { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let docker: Docker;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startServe(env.env);
    docker = new Docker({ socketPath: dockerSocketPath(env.config.home) });
  });

  afterAll(async () => {
    if (serve) {
      for (const name of ['node-web', 'py-web']) await berth(env.env, ['rm', '-f', name]);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('dockerode: pulls, creates with a port, starts, execs, follows events, reads logs, stops and removes', async () => {
    expect((await docker.version()).ApiVersion).toBe('1.44');
    const pull = await docker.pull('hello');
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(pull, (err: Error | null) => (err ? reject(err) : resolve())));

    const events = (await docker.getEvents({ filters: { type: ['container'], label: ['berth.test=node'] } })) as Readable;
    const seenEvents: string[] = [];
    events.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seenEvents.push((JSON.parse(line) as { Action: string }).Action);
    });

    const port = await freePort(env.publishIp);
    const container = await docker.createContainer({
      Image: 'hello',
      name: 'node-web',
      Labels: { 'berth.test': 'node' },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: env.publishIp, HostPort: String(port) }] } },
    });
    await container.start();
    const inspect = await container.inspect();
    expect(inspect.State.Running).toBe(true);
    expect(inspect.NetworkSettings.Ports['80/tcp']).toEqual([{ HostIp: env.publishIp, HostPort: String(port) }]);
    expect(await httpGet(env.publishIp, port)).toContain('Hello from Berth');

    const exec = await container.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 6'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    const [out, err] = await Promise.all([collect(stdout), collect(stderr), new Promise((resolve) => stream.on('end', () => (stdout.end(), stderr.end(), resolve(undefined))))]);
    expect({ out, err }).toEqual({ out: 'to-out\n', err: 'to-err\n' });
    expect((await exec.inspect()).ExitCode).toBe(6);

    const listed = await docker.listContainers({ filters: { label: ['berth.test=node'] } });
    expect(listed.map((c) => c.Names[0])).toEqual(['/node-web']);
    expect(listed[0]!.Ports).toEqual([{ IP: env.publishIp, PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);

    // The page served above was logged by httpd on stderr, behind Docker's stream header.
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    expect(logs[0]).toBe(2);
    expect(logs.toString('latin1')).toContain('response:200');

    await container.stop({ t: 1 });
    await container.remove();
    for (let i = 0; i < 100 && !seenEvents.includes('destroy'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    events.destroy();
    expect(seenEvents).toEqual(expect.arrayContaining(['create', 'start', 'exec_start: sh -c echo to-out; echo to-err >&2; exit 6', 'die', 'stop', 'destroy']));

    const missing = await docker.getContainer('no-such-node').inspect().catch((e: { statusCode: number; json: { message: string } }) => e);
    expect(missing).toMatchObject({ statusCode: 404, json: { message: 'No such container: no-such-node' } });
  });

  it('docker-py: runs with ports, lists by label, execs, runs in the foreground, reads errors and removes', async () => {
    const port = await freePort(env.publishIp);
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile('/usr/bin/python3', [DOCKER_PY_SESSION, dockerSocketPath(env.config.home), env.publishIp, String(port)], { timeout: 120_000 }, (err, out, errText) =>
        err ? reject(new Error(`docker-py session failed: ${errText || err.message}`)) : resolve({ stdout: out, stderr: errText }),
      ),
    );
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      ping: true,
      api: '1.44',
      status: 'running',
      ports: { '80/tcp': [{ HostIp: env.publishIp, HostPort: String(port) }] },
      listed: ['py-web'],
      exec: [4, 'hi\n'],
      foreground: 'out\n',
      not_found: 'No such container: no-such-py',
      conflict: 409,
      stopped: 'exited',
      left: [],
      volume: 'py-vol',
      anonymous: [['/data', 64]],
      volumes_left: 0,
    });
  });
});
