import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { spawn as spawnPty } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dockerSocketPath, packageRoot, socketPath } from '../electron/engine/engine-config.js';
import { SocketClient } from '../electron/transport/socket/socket-client.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker, type Ran } from './fixtures/docker-cli.js';
import { installUsock } from './fixtures/usock/usock.js';
import { startRegistry } from './fixtures/registry.js';
import { makeTempDir } from './fixtures/temp-dir.js';
import { buildBusyboxImage } from '../build/oci-image.js';
import { closeServer, freePort, holdPort, httpGet, isFree } from './fixtures/ports.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * The docker CLI on this machine's PATH (a client only) against Berth's Docker socket: what a Docker
 * user types, and what they read back, on both hosts.
 */

/** A request straight to the socket, for the protocol's edges that no CLI command reaches. */
function rawRequest(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: 10_000, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(TEST_HOSTS)('the docker CLI against Berth, Linux on the %s host', { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let dockerEnv: Record<string, string>;

  const docker = (args: string[], input?: string): Promise<Ran> => runDocker(args, dockerEnv, input);

  /**
   * The docker CLI in a terminal of its own (for -it); types each of `keys` once the output holds what
   * goes with it. Resolves with all it printed and its exit code.
   */
  const dockerInPty = (args: string[], size = { cols: 100, rows: 30 }, keys: [waitFor: string, type: string][] = []): Promise<{ code: number; output: string }> =>
    new Promise((resolve) => {
      const pty = spawnPty('docker', args, { ...size, env: { ...(process.env as Record<string, string>), ...dockerEnv } });
      let output = '';
      let seen = 0;
      const typeNext = () => {
        const next = keys[0];
        if (!next || output.indexOf(next[0], seen) === -1) return;
        seen = output.indexOf(next[0], seen) + next[0].length;
        keys.shift();
        pty.write(next[1]);
      };
      pty.onData((text) => {
        output += text;
        typeNext();
      });
      const timer = setTimeout(() => pty.kill('SIGKILL'), 60_000);
      pty.onExit(({ exitCode }) => {
        clearTimeout(timer);
        resolve({ code: exitCode, output });
      });
    });

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    // The CLI's config is the one the engine keeps its context in (the test engine's, in its home).
    dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: env.env.DOCKER_CONFIG!, DOCKER_CLI_HINTS: 'false' };
    serve = await startServe(env.env);
  });

  afterAll(async () => {
    if (serve) {
      for (const name of ['web', 'fg', 'evt', 'sleeper', 'blocked', 'holder', 'talker']) await berth(env.env, ['rm', '-f', name]);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('says which engine answers: version and info', async () => {
    const version = await docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}} {{.Server.Platform.Name}}']);
    expect(version).toMatchObject({ code: 0, stdout: '1.44 linux Berth\n' });
    const info = await docker(['info', '--format', '{{.OperatingSystem}}|{{.Swarm.LocalNodeState}}|{{.OSType}}']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^Berth .*\|inactive\|linux\n$/);
  });

  it('runs -d with -p, lists it in ps with its port, serves, and stop and rm leave nothing', async () => {
    const port = await freePort(env.publishIp);
    // The image is not there yet: the CLI is told "No such image", pulls (the bundled hello) and creates again.
    const run = await docker(['run', '-d', '--name', 'web', '-p', `${env.publishIp}:${port}:80`, '--label', 'berth.test=web', 'hello']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim().split('\n').at(-1)!;
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = await docker(['ps', '--filter', 'label=berth.test=web', '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Ports}}']);
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} web Up .* ${env.publishIp.replaceAll('.', '\\.')}:${port}->80/tcp`));
    expect((await docker(['port', 'web', '80'])).stdout).toBe(`${env.publishIp}:${port}\n`);
    expect(await httpGet(env.publishIp, port)).toContain('Hello from Berth');
    const inspect = JSON.parse((await docker(['inspect', 'web'])).stdout) as [{ Id: string; Name: string; State: { Running: boolean }; NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> } }];
    expect(inspect[0]).toMatchObject({ Id: id, Name: '/web', State: { Running: true } });
    // The image's own command shows as Docker shows it (compose's ps reads it): Path and Args are Entrypoint then Cmd.
    const { Path, Args, Config } = inspect[0] as unknown as { Path: string; Args: string[]; Config: { Entrypoint: string[] | null; Cmd: string[] | null } };
    expect(Config.Cmd).not.toBeNull();
    expect([...(Config.Entrypoint ?? []), ...Config.Cmd!]).toEqual([Path, ...Args]);
    expect(inspect[0].NetworkSettings.Ports['80/tcp']).toEqual([{ HostIp: env.publishIp, HostPort: String(port) }]);

    const logs = await docker(['logs', '--tail', '5', 'web']);
    expect(logs.code).toBe(0);
    expect((await docker(['stop', '-t', '1', 'web'])).stdout).toBe('web\n');
    expect((await docker(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}'])).stdout).toMatch(/^Exited \(\d+\) /);
    expect(await isFree(env.publishIp, port)).toBe(true);
    expect((await docker(['rm', 'web'])).stdout).toBe('web\n');
    expect((await docker(['ps', '-aq', '--filter', 'label=berth.test=web'])).stdout).toBe('');
    expect(await env.leftovers([id])).toEqual([]);
  });

  it('publishes -p PORT:80 on both address families, as docker port and ps show', async () => {
    const port = await freePort();
    expect((await docker(['run', '-d', '--name', 'both', '-p', `${port}:80`, 'hello'])).code).toBe(0);
    expect((await docker(['port', 'both', '80'])).stdout).toBe(`0.0.0.0:${port}\n[::]:${port}\n`);
    expect((await docker(['ps', '--filter', 'name=both', '--format', '{{.Ports}}'])).stdout).toBe(`0.0.0.0:${port}->80/tcp, [::]:${port}->80/tcp\n`);
    expect(await httpGet('127.0.0.1', port)).toContain('Hello from Berth');
    expect(await httpGet('::1', port)).toContain('Hello from Berth');
    expect((await docker(['rm', '-f', 'both'])).code).toBe(0);
    expect(await isFree('::', port)).toBe(true);
  });

  it('runs in the foreground with stdout and stderr apart and the exit code, starts again with -a, and --rm leaves nothing', async () => {
    const fg = await docker(['run', '--name', 'fg', 'hello', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(fg).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    // start -a shows this run only, as Docker attaches before it starts.
    expect(await docker(['start', '-a', 'fg'])).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await docker(['logs', 'fg'])).stdout).toBe('out\nout\n');
    expect((await docker(['rm', 'fg'])).code).toBe(0);

    const piped = await docker(['run', '--rm', '-i', 'hello', 'sh', '-c', 'tr a-z A-Z'], 'piped in\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'PIPED IN\n' });
    const before = (await docker(['ps', '-aq'])).stdout;
    expect(await docker(['run', '--rm', 'hello', 'echo', 'gone'])).toMatchObject({ code: 0, stdout: 'gone\n' });
    expect((await docker(['ps', '-aq'])).stdout).toBe(before);
  });

  it('execs with and without a terminal, returning the exit code; run --rm -it returns the code of its shell', async () => {
    expect((await docker(['run', '-d', '--name', 'sleeper', 'hello', 'sleep', '300'])).code).toBe(0);
    expect(await docker(['exec', 'sleeper', 'sh', '-c', 'echo hi; echo e >&2; exit 4'])).toMatchObject({ code: 4, stdout: 'hi\n', stderr: 'e\n' });
    expect(await docker(['exec', '-i', 'sleeper', 'cat'], 'through stdin\n')).toMatchObject({ code: 0, stdout: 'through stdin\n' });
    const tty = await dockerInPty(['exec', '-it', 'sleeper', 'sh', '-c', 'stty size; exit 5'], { cols: 91, rows: 27 });
    expect(tty.code).toBe(5);
    expect(tty.output).toContain('27 91');
    const shell = await dockerInPty(['run', '--rm', '-it', 'hello', 'sh', '-c', 'echo in-a-tty; exit 3']);
    expect(shell.code).toBe(3);
    expect(shell.output).toContain('in-a-tty');
    expect((await docker(['rm', '-f', 'sleeper'])).code).toBe(0);

    // Ctrl+P Ctrl+Q leaves the shell running; attach comes back to it, and its exit code is attach's.
    const detached = await dockerInPty(['run', '-it', '--name', 'sleeper', 'hello', 'sh'], { cols: 90, rows: 25 }, [
      ['/ #', 'echo $((6*7))\r'],
      ['42', 'stty size\r'],
      ['25 90', '\x10\x11'],
    ]);
    expect(detached.code).toBe(0);
    expect((await docker(['ps', '--filter', 'name=sleeper', '--format', '{{.Status}}'])).stdout).toMatch(/^Up /);
    const attached = await dockerInPty(['attach', 'sleeper'], { cols: 90, rows: 25 }, [['/ #', 'exit 3\r']]);
    expect(attached.code).toBe(3);
    expect((await docker(['rm', 'sleeper'])).code).toBe(0);
  });

  it("says what Docker users expect to read: unknown containers, a taken name, a busy port", async () => {
    const unknown = await docker(['inspect', 'no-such-thing']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No such object: no-such-thing');
    expect((await docker(['rm', 'no-such-thing'])).stderr).toContain('No such container: no-such-thing');
    expect((await docker(['stop', 'no-such-thing'])).stderr).toContain('No such container: no-such-thing');

    expect((await docker(['run', '-d', '--name', 'holder', 'hello'])).code).toBe(0);
    const taken = await docker(['run', '-d', '--name', 'holder', 'hello']);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toMatch(/name "holder" is already in use/);

    const port = await freePort(env.publishIp);
    const held = await holdPort(env.publishIp, port);
    try {
      const busy = await docker(['run', '-d', '--name', 'blocked', '-p', `${env.publishIp}:${port}:80`, 'hello']);
      expect(busy.code).toBe(125);
      expect(busy.stderr).toContain(`port ${port}`);
      // As with Docker, the container stays created; nothing is left listening for it.
      expect((await docker(['ps', '-a', '--filter', 'name=blocked', '--format', '{{.Status}}'])).stdout).toBe('Created\n');
    } finally {
      await closeServer(held);
    }
    expect(await isFree(env.publishIp, port)).toBe(true);
    for (const name of ['holder', 'blocked']) expect((await docker(['rm', '-f', name])).code).toBe(0);
  });

  it('follows events, samples stats, loads an archive and sums up disk use', async () => {
    const events = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'event=die', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'], {
      env: { ...process.env, ...dockerEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    events.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await docker(['run', '--name', 'evt', 'hello', 'sh', '-c', 'exit 7'])).code).toBe(7);
      for (let i = 0; i < 100 && !seen.includes('die evt'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toBe('die evt 7\n');
    } finally {
      events.kill();
    }
    // The CLI sends whole seconds: an `until` of now leaves out what happened in this second, as dockerd does.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await docker(['events', '--since', '1m', '--until', '0s', '--filter', 'container=evt', '--format', '{{.Action}}'])).stdout).toBe('create\nstart\ndie\n');
    expect((await docker(['rm', 'evt'])).code).toBe(0);

    expect((await docker(['run', '-d', '--name', 'sleeper', '--memory', '64m', 'hello', 'sleep', '300'])).code).toBe(0);
    const stats = await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}} {{.NetIO}} {{.BlockIO}}', 'sleeper']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^sleeper \d+(\.\d+)?[KM]iB \/ 64MiB 1 \d+(\.\d+)?[kM]?B \/ \d+(\.\d+)?[kM]?B \d+(\.\d+)?[kM]?B \/ \d+(\.\d+)?[kM]?B\n$/);
    expect((await docker(['rm', '-f', 'sleeper'])).code).toBe(0);

    const loaded = await docker(['load', '-i', join(packageRoot(), 'build', 'out', 'hello.oci.tar')]);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(/^Loaded image( ID)?: /);
    const df = await docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    expect(df.stdout).toMatch(/^Images [1-9]\d*\nContainers \d+\nLocal Volumes \d+\nBuild Cache 0\n$/);
  });

  it("lets a container reach Berth's Docker API through a bind-mounted socket (as testcontainers' cleanup container does)", async () => {
    const tools = await env.makeHostFolder('docker-socket-tools');
    await installUsock(tools.local);
    // In Berth's own Linux (the WSL distro) the well-known path is Berth's, as in Docker Desktop's VM;
    // on a Linux machine the socket in Berth's home is the one to mount.
    const source = host === 'wsl' ? '/var/run/docker.sock' : dockerSocketPath(env.config.home);
    const answer = await docker(
      ['run', '--rm', '-i', '-v', `${source}:/var/run/docker.sock`, '-v', `${tools.path}:/tools:ro`, 'hello', '/tools/usock', 'connect', '/var/run/docker.sock'],
      'GET /v1.44/containers/json?all=1 HTTP/1.0\r\n\r\n',
    );
    expect(answer.stderr).not.toMatch(/Error/);
    expect(answer.code).toBe(0);
    expect(answer.stdout).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    // It sees itself, running: the same engine from inside.
    expect(answer.stdout).toContain('"State":"running"');
  });

  it('pulls from a registry showing its progress, lists images, follows logs with a tail, shows top, kills and removes', async () => {
    const registry = await startRegistry();
    const layout = await makeTempDir('berth-docker-layout-');
    try {
      await buildBusyboxImage(layout.path, 'v1', { cmd: ['sh', '-c', 'i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done'] });
      const image = await registry.push(layout.path, 'v1', 'docker/talker');
      const pulled = await docker(['pull', image]);
      expect(pulled.code).toBe(0);
      expect(pulled.stdout).toMatch(/Pull complete|Already exists/);
      expect(pulled.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}\n/);
      expect((await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout).toContain(`${image}\n`);

      expect((await docker(['run', '-d', '--name', 'talker', image])).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const top = await docker(['top', 'talker']);
      expect(top.stdout).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
      expect(top.stdout).toMatch(/\nroot\s+\d+\s+\d+\s+0\s+\d\d:\d\d\s+\?\s+00:00:\d\d\s+sh -c i=0/);

      // -f with --tail 2: the last two lines, then each new one, until the container is killed.
      const follow = spawn('docker', ['logs', '-f', '--tail', '2', 'talker'], { env: { ...process.env, ...dockerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let followed = '';
      follow.stdout.on('data', (b: Buffer) => (followed += b.toString()));
      const ended = new Promise<number | null>((resolve) => follow.on('close', resolve));
      try {
        for (let i = 0; i < 100 && followed.split('\n').length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        const lines = followed.split('\n').filter(Boolean).map((line) => Number(line.replace('line-', '')));
        expect(lines.length).toBeGreaterThanOrEqual(4);
        expect(lines[0]).toBeGreaterThanOrEqual(4);
        expect(lines.slice(1)).toEqual(lines.slice(1).map((_, i) => lines[0]! + i + 1));
        expect(await docker(['kill', 'talker'])).toMatchObject({ code: 0, stdout: 'talker\n' });
        expect(await ended).toBe(0);
      } finally {
        follow.kill();
      }
      expect((await docker(['ps', '-a', '--filter', 'name=talker', '--format', '{{.Status}}'])).stdout).toMatch(/^Exited \(137\) /);
      expect((await docker(['top', 'talker'])).stderr).toMatch(/is not running/);
      expect((await docker(['rm', 'talker'])).code).toBe(0);
      const removed = await docker(['rmi', image]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain(`Untagged: ${image}`);
    } finally {
      await registry.stop();
      await layout.remove();
    }
  });

  it('copies files out of and into a container with docker cp, and names a missing path', async () => {
    const dir = await makeTempDir('berth-dockercp-');
    try {
      expect((await docker(['run', '-d', '--name', 'copier', '--hostname', 'copier-host', 'hello', 'sleep', '300'])).code).toBe(0);
      expect((await docker(['cp', 'copier:/etc/hostname', join(dir.path, 'hostname')])).code).toBe(0);
      expect(await readFile(join(dir.path, 'hostname'), 'utf8')).toBe('copier-host\n');
      await writeFile(join(dir.path, 'note.txt'), 'from the host\n');
      expect((await docker(['cp', join(dir.path, 'note.txt'), 'copier:/tmp/renamed.txt'])).code).toBe(0);
      expect((await docker(['exec', 'copier', 'cat', '/tmp/renamed.txt'])).stdout).toBe('from the host\n');
      expect((await docker(['cp', 'copier:/etc', join(dir.path, 'etc-copy')])).code).toBe(0);
      expect(await readFile(join(dir.path, 'etc-copy', 'hostname'), 'utf8')).toBe('copier-host\n');
      const missing = await docker(['cp', 'copier:/no/such/file', dir.path]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('/no/such/file');
    } finally {
      await docker(['rm', '-f', 'copier']);
      await dir.remove();
    }
  });

  it('makes, lists and removes volumes', async () => {
    expect(await docker(['volume', 'create', 'docker-vol'])).toMatchObject({ code: 0, stdout: 'docker-vol\n' });
    expect((await docker(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}'])).stdout).toContain('local docker-vol\n');
    expect(await docker(['volume', 'rm', 'docker-vol'])).toMatchObject({ code: 0, stdout: 'docker-vol\n' });
    expect((await docker(['volume', 'inspect', 'docker-vol'])).stderr).toContain('no such volume');
  });

  it("gives docker run -v /data a volume of the container's own, which docker rm -v takes with it", async () => {
    expect(await docker(['run', '--name', 'anon', '-v', '/data', 'hello', 'sh', '-c', 'echo kept >/data/note'])).toMatchObject({ code: 0 });
    const name = (await docker(['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'anon'])).stdout.trim();
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n')).toContain(name);
    expect(await docker(['rm', '-v', 'anon'])).toMatchObject({ code: 0 });
    expect((await docker(['volume', 'ls', '-q'])).stdout.split('\n')).not.toContain(name);
  });

  it("keeps a docker context, sets it current without touching the rest of the CLI's config, and leaves a socket path it does not own alone", async () => {
    const configDir = env.env.DOCKER_CONFIG!;
    const plain = { DOCKER_HOST: '', DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false' };
    expect((await docker(['context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}}'])).stdout).toContain(`berth unix://${dockerSocketPath(env.config.home)}\n`);
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: 'dTpw' } }, detachKeys: 'ctrl-x' }));
    const client = await SocketClient.connect(socketPath(env.config.home));
    try {
      expect((await client.call('settings.set', { dockerContextCurrent: true })).dockerContextCurrent).toBe(true);
      expect(JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8'))).toEqual({ auths: { '127.0.0.1:5000': { auth: 'dTpw' } }, detachKeys: 'ctrl-x', currentContext: 'berth' });
      const savedDockerEnv = dockerEnv;
      dockerEnv = plain;
      try {
        expect((await docker(['version', '--format', '{{.Server.Platform.Name}}'])).stdout).toBe('Berth\n');
      } finally {
        dockerEnv = savedDockerEnv;
      }
      await client.call('settings.set', { dockerContextCurrent: false });
      expect(JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8'))).toEqual({ auths: { '127.0.0.1:5000': { auth: 'dTpw' } }, detachKeys: 'ctrl-x' });
      // A config the CLI could not read either is the user's to fix: refused, and the setting stays as it was.
      await writeFile(join(configDir, 'config.json'), '{ not json');
      await expect(client.call('settings.set', { dockerContextCurrent: true })).rejects.toThrow(/config\.json is not valid JSON/);
      expect(await readFile(join(configDir, 'config.json'), 'utf8')).toBe('{ not json');
      expect((await client.call('settings.get', {})).dockerContextCurrent).toBe(false);
      await rm(join(configDir, 'config.json'));
    } finally {
      client.close();
    }

    const link = env.env.BERTH_DOCKER_LINK!;
    if (host === 'wsl') {
      expect((await berth(env.env, ['docker-socket'])).stdout).toContain(`${link}: not on this host`);
      return;
    }
    expect((await berth(env.env, ['docker-socket', '--link'])).stdout).toContain(`${link}: links to Berth`);
    expect((await docker(['ps', '-q'])).code).toBe(0);
    expect((await berth(env.env, ['docker-socket', '--unlink'])).stdout).toContain(`${link}: not linked`);
    // Another Docker's socket (here a plain file) is never replaced.
    await writeFile(link, 'not ours');
    const taken = await berth(env.env, ['docker-socket', '--link']);
    expect(taken).toMatchObject({ code: 2 });
    expect(taken.stderr).toMatch(/is already there and is not Berth's/);
    expect(await readFile(link, 'utf8')).toBe('not ours');
    await rm(link);
  });

  it("answers the protocol's edges as dockerd does", async () => {
    const socket = dockerSocketPath(env.config.home);
    const containers = async () => JSON.parse((await rawRequest(socket, 'GET', '/containers/json?all=1')).body) as unknown[];
    const before = (await containers()).length;
    const ping = await rawRequest(socket, 'GET', '/_ping');
    expect(ping).toMatchObject({ status: 200, body: 'OK' });
    expect(ping.headers).toMatchObject({ 'api-version': '1.44', ostype: 'linux' });
    expect(ping.headers.server).toMatch(/^Berth\/.* \(linux\)$/);
    const tooNew = await rawRequest(socket, 'GET', '/v1.99/version');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body)).toEqual({ message: 'client version 1.99 is too new. Maximum supported API version is 1.44' });
    expect((await rawRequest(socket, 'GET', '/v1.24/containers/json')).status).toBe(200);
    const swarm = await rawRequest(socket, 'GET', '/v1.44/swarm');
    expect(swarm.status).toBe(501);
    expect(swarm.headers['content-type']).toBe('application/json');
    expect(JSON.parse(swarm.body).message).toMatch(/swarm mode/);
    const badJson = await rawRequest(socket, 'POST', '/containers/create', '{"Image":');
    expect(badJson.status).toBe(400);
    const badType = await rawRequest(socket, 'POST', '/containers/create', JSON.stringify({ Image: 'hello', Tty: 'yes' }));
    expect(badType.status).toBe(400);
    expect(JSON.parse(badType.body).message).toMatch(/Tty/);
    const badFilter = await rawRequest(socket, 'GET', `/containers/json?filters=${encodeURIComponent('{"colour":["red"]}')}`);
    expect(badFilter.status).toBe(400);
    // Nothing was made by any of them.
    expect(await containers()).toHaveLength(before);
  });
});
