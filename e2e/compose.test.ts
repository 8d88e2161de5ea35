import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { wslLinuxPath } from '../electron/host/wsl/wsl-paths.js';
import { startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker, type Ran } from './fixtures/docker-cli.js';
import { freePort, httpGet } from './fixtures/ports.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * A two-service stack through Docker Compose, v1 (Debian's docker-compose) and v2 (the CLI plugin
 * scripts/install-compose.sh puts in place), on both hosts: up -d, ps, logs, exec, stop, start,
 * restart, down -v, and nothing left behind; an attached up with logs -f beside it, ended by Ctrl+C.
 */

const COMPOSE_V2 = '/usr/local/lib/berth-test/cli-plugins/docker-compose';
const CLIENTS = ['v1', 'v2'] as const;

function composeFile(publishIp: string, port: number): string {
  return `version: "3"
services:
  web:
    image: hello
    ports: ["${publishIp}:${port}:80"]
    depends_on: [cache]
    environment: [GREETING=from-web]
  cache:
    image: hello
    command: ["sh", "-c", "echo cache up; while true; do echo PONG | nc -l -p 6379; done"]
    volumes: [cachedata:/data]
volumes:
  cachedata: {}
`;
}

/**
 * web serves a folder of the host (a bind mount, named as a user of that host names it: a Windows
 * path on WSL, hence the long syntax compose v1 accepts it in), and logs each request.
 */
function attachedFile(publishIp: string, port: number, site: string): string {
  return `version: "3.2"
services:
  web:
    image: hello
    ports: ["${publishIp}:${port}:80"]
    volumes:
      - { type: bind, source: '${site}', target: /var/www, read_only: true }
    depends_on: [cache]
  cache:
    image: hello
    command: ["sh", "-c", "echo cache up; trap 'exit 0' TERM INT; sleep 600 & wait"]
`;
}

describe.each(TEST_HOSTS)('docker compose on Berth, Linux on the %s host', { timeout: 300_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let dockerEnv: Record<string, string>;
  let project: TempDir;
  const docker = (args: string[]): Promise<Ran> => runDocker(args, dockerEnv);

  /** One compose command in the project's folder, v1 or v2; bounded so a hang fails the test. */
  const compose = (client: (typeof CLIENTS)[number], name: string, args: string[]): Promise<Ran> =>
    new Promise((resolve, reject) => {
      const [file, ...pre] = client === 'v1' ? ['docker-compose'] : ['docker', 'compose'];
      const child = spawn(file!, [...pre, '-p', name, ...args], { cwd: project.path, env: { ...process.env, ...dockerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128, stdout, stderr });
      });
    });

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    const config = env.env.DOCKER_CONFIG!;
    await mkdir(join(config, 'cli-plugins'), { recursive: true });
    await symlink(COMPOSE_V2, join(config, 'cli-plugins', 'docker-compose'));
    dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: config, DOCKER_CLI_HINTS: 'false' };
    project = await makeTempDir('berth-compose-');
    serve = await startServe(env.env);
    expect((await docker(['pull', 'hello'])).code).toBe(0);
  });

  afterAll(async () => {
    if (serve) {
      for (const client of CLIENTS) {
        await compose(client, `stack${client}`, ['down', '-v', '-t', '1']).catch(() => {});
        await compose(client, `attached${client}`, ['-f', 'attached.yml', 'down', '-t', '1']).catch(() => {});
      }
      await stopServe(serve);
    }
    await project?.remove();
    await env?.cleanup();
  });

  it.each(CLIENTS)('brings a stack up and down with compose %s, leaving nothing', async (client) => {
    const name = `stack${client}`;
    const port = await freePort(env.publishIp);
    await writeFile(join(project.path, 'docker-compose.yml'), composeFile(env.publishIp, port));

    const up = await compose(client, name, ['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const ids = (await compose(client, name, ['ps', '-q'])).stdout.trim().split('\n').filter(Boolean);
    expect(ids).toHaveLength(2);
    expect(await httpGet(env.publishIp, port)).toContain('Hello from Berth');

    // web finds cache by its service name and by its container name, through the stack's network.
    const cacheName = (await docker(['inspect', '--format', '{{.Name}}', (await compose(client, name, ['ps', '-q', 'cache'])).stdout.trim()])).stdout.trim().slice(1);
    for (const target of ['cache', cacheName]) {
      const got = await compose(client, name, ['exec', '-T', 'web', 'sh', '-c', `echo | nc -w 2 ${target} 6379`]);
      expect(got.stdout, `${target}: ${got.stderr}`).toContain('PONG');
    }
    expect((await compose(client, name, ['exec', '-T', 'web', 'sh', '-c', 'echo $GREETING'])).stdout).toBe('from-web\n');
    const logs = await compose(client, name, ['logs', '--no-color']);
    expect(logs.stdout).toContain('cache up');
    expect(logs.stdout).toMatch(/web.*\| .*response:200/);

    // Up again changes nothing: compose finds every container as it left it.
    const again = await compose(client, name, ['up', '-d']);
    expect(again.code).toBe(0);
    expect((await compose(client, name, ['ps', '-q'])).stdout.trim().split('\n').sort()).toEqual([...ids].sort());

    expect((await compose(client, name, ['stop', '-t', '1'])).code).toBe(0);
    expect((await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${name}`])).stdout).toBe('');
    expect((await compose(client, name, ['start'])).code).toBe(0);
    expect((await compose(client, name, ['restart', '-t', '1'])).code).toBe(0);
    expect(await httpGet(env.publishIp, port)).toContain('Hello from Berth');

    const network = JSON.parse((await docker(['network', 'inspect', `${name}_default`])).stdout) as [{ Id: string }];
    // down -v takes the volumes the list gives for the project's label: a volume of no project stays.
    const bystander = `bystander${client}`;
    expect((await docker(['volume', 'create', bystander])).code).toBe(0);
    const down = await compose(client, name, ['down', '-v', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n')).toContain(bystander);
    expect((await docker(['volume', 'rm', bystander])).code).toBe(0);
    expect((await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${name}`])).stdout).toBe('');
    expect((await docker(['network', 'ls', '-q', '--filter', `name=${name}`])).stdout).toBe('');
    expect((await docker(['volume', 'ls', '-q'])).stdout).not.toContain(name);
    expect(await env.leftovers(ids)).toEqual([]);
    expect(await env.links()).not.toContain(`bn${network[0].Id.slice(0, 12)}`);
    expect(await env.firewallRules()).not.toContain(`bn${network[0].Id.slice(0, 12)}`);
    expect(await env.linuxFileSize(`${env.dataRoot}/dns/${network[0].Id}`)).toBeUndefined();
    // No table left: the name server is gone too.
    expect(await env.linuxFileSize(`${env.dataRoot}/dns/aardvark.pid`)).toBeUndefined();
  });

  /** A compose command that keeps running (attached up, logs -f): its output so far, and its end. */
  const composeRunning = (client: (typeof CLIENTS)[number], name: string, args: string[]) => {
    const [file, ...pre] = client === 'v1' ? ['docker-compose'] : ['docker', 'compose'];
    const child = spawn(file!, [...pre, '-p', name, ...args], { cwd: project.path, env: { ...process.env, ...dockerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const ended = new Promise<number>((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve(code ?? 128))));
    return { child, output: () => output, ended };
  };

  it.each(CLIENTS)('streams every service in an attached up with compose %s, and Ctrl+C stops the stack', async (client) => {
    const name = `attached${client}`;
    const port = await freePort(env.publishIp);
    const site = await env.makeHostFolder(`site-${client}`);
    await writeFile(join(site.local, 'index.html'), 'a page from a bind mount\n');
    // Compose v2 built for Linux takes a Windows path for a relative one (on Windows it sends it as
    // is, as v1 does here): it gets the folder as the distro sees it.
    const source = client === 'v2' && host === 'wsl' ? wslLinuxPath(site.path)! : site.path;
    await writeFile(join(project.path, 'attached.yml'), attachedFile(env.publishIp, port, source));
    const file = ['-f', 'attached.yml'];

    const up = composeRunning(client, name, [...file, 'up', '--no-color']);
    await expect.poll(async () => (await httpGet(env.publishIp, port).catch(() => '')), { timeout: 60_000, interval: 200 }).toContain('a page from a bind mount');
    const logs = composeRunning(client, name, [...file, 'logs', '-f', '--no-color']);
    // Each service's own lines, tagged with it: cache's greeting, and web's log of the request above.
    await expect.poll(() => up.output(), { timeout: 30_000 }).toMatch(/cache.*\| cache up/);
    await expect.poll(() => up.output(), { timeout: 30_000 }).toMatch(/web.*\| .*response:200/);
    await expect.poll(() => logs.output(), { timeout: 30_000 }).toMatch(/web.*\| .*response:200/);

    up.child.kill('SIGINT');
    await up.ended;
    expect(up.output()).toContain('Gracefully stopping');
    expect((await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${name}`])).stdout).toBe('');
    expect((await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${name}`])).stdout.trim().split('\n')).toHaveLength(2);
    // Following ends by itself once every container of the stack has stopped.
    expect(await logs.ended).toBe(0);
    expect((await compose(client, name, [...file, 'down', '-t', '1'])).code).toBe(0);
  });

  it.each(CLIENTS)('shows Berth\'s one line when compose %s publishes a busy port, and leaves nothing running', async (client) => {
    const name = `busy${client}`;
    const holder = createServer();
    const port = await freePort(env.publishIp);
    await new Promise<void>((resolve) => holder.listen(port, env.publishIp, resolve));
    try {
      await writeFile(join(project.path, 'busy.yml'), `services:\n  web:\n    image: hello\n    ports: ["${env.publishIp}:${port}:80"]\n`);
      const up = await compose(client, name, ['-f', 'busy.yml', 'up', '-d']);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toContain(`port ${port}/tcp on ${env.publishIp} is already in use: stop it, or publish another port`);
      const ids = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${name}`])).stdout.trim().split('\n').filter(Boolean);
      // As with Docker, the container stays made but not started, holding no namespace, veth or mount.
      expect(ids).toHaveLength(1);
      expect((await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${name}`])).stdout).toBe('');
      expect(await env.leftovers(ids)).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect((await compose(client, name, ['-f', 'busy.yml', 'down', '-t', '1'])).code).toBe(0);
  });
});
