import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../build/oci-image.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { httpGet, isFree } from './fixtures/ports.js';
import { startRegistry, type TestRegistry } from './fixtures/registry.js';
import { makeTempDir, type TempDir } from './fixtures/temp-dir.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

describe.each(TEST_HOSTS)('berth command against berth serve, Linux on the %s host', { timeout: 180_000 }, (host) => {
  let env: TestEngineEnv;
  let registry: TestRegistry;
  let layout: TempDir;
  let serve: ChildProcess | undefined;
  let image: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    registry = await startRegistry();
    layout = await makeTempDir('berth-cli-layout-');
    await buildBusyboxImage(layout.path, 'v1', {
      exposedPorts: ['80/tcp'],
      cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www'],
      files: { '/var/www/index.html': 'hello via cli\n' },
    });
    image = await registry.push(layout.path, 'v1', 'cli/httpd');
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'web']);
      await stopServe(serve);
    }
    await registry?.stop();
    await layout?.remove();
    await env?.cleanup();
  });

  it('says clearly when no engine is running', async () => {
    const result = await berth(env.env, ['ps']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^berth: no Berth engine is running .*berth serve/);
  });

  it('pulls, runs -d, serves a page, stops, and rm leaves nothing behind', async () => {
    serve = await startServe(env.env);
    const pulled = await berth(env.env, ['pull', image]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain('Digest: sha256:');

    const run = await berth(env.env, ['run', '-d', '--name', 'web', image]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = await berth(env.env, ['ps']);
    expect(ps.stdout).toMatch(/CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES/);
    expect(ps.stdout).toMatch(new RegExp(`${id.slice(0, 12)}.*Up .*web`));

    // The container's own address is reachable from here only when Linux is this machine; in WSL it
    // is inside the VM, and the published port below is the way in.
    if (host === 'local') {
      const inspect = JSON.parse((await berth(env.env, ['inspect', 'web'])).stdout) as [{ network: { address: string } }];
      expect(await httpGet(inspect[0].network.address, 80)).toBe('hello via cli\n');
    }
    expect(ps.stdout).toContain(`${env.publishIp}:80->80/tcp`);
    const port = await berth(env.env, ['port', 'web']);
    expect(port).toMatchObject({ code: 0, stdout: `80/tcp -> ${env.publishIp}:80 (auto_expose)\n` });
    expect(await httpGet(env.publishIp, 80)).toBe('hello via cli\n');

    const stop = await berth(env.env, ['stop', '-t', '1', 'web']);
    expect(stop).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await berth(env.env, ['ps', '-a'])).stdout).toMatch(/Exited \(137\)/);

    expect(await isFree(env.publishIp, 80)).toBe(true);
    expect(await berth(env.env, ['rm', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    expect(await env.leftovers([id])).toEqual([]);
  });

  it('runs in the foreground, prints the output and exits with the container code', async () => {
    const result = await berth(env.env, ['run', '--name', 'fg', image, 'sh', '-c', 'echo from-inside; exit 5']);
    expect(result.stdout).toBe('from-inside\n');
    expect(result.code).toBe(5);
    expect((await berth(env.env, ['rm', 'fg'])).code).toBe(0);
  });

  it('keeps stdout and stderr apart in the foreground and through logs', async () => {
    const result = await berth(env.env, ['run', '--name', 'streams', image, 'sh', '-c', 'echo o; echo e >&2; exit 3']);
    expect(result).toMatchObject({ code: 3, stdout: 'o\n', stderr: 'e\n' });
    expect(await berth(env.env, ['logs', 'streams'])).toMatchObject({ code: 0, stdout: 'o\n', stderr: 'e\n' });
    const stamped = await berth(env.env, ['logs', '-t', '--since', '10m', 'streams']);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z o\n$/);
    expect((await berth(env.env, ['logs', '--until', '10m', 'streams'])).stdout).toBe('');
    expect((await berth(env.env, ['rm', 'streams'])).code).toBe(0);
  });

  it('pipes its stdin into a container run with -i: the process reads it to its end, and 3 MB arrive whole', async () => {
    const lines = await berth(env.env, ['run', '-i', '--rm', image, 'sh', '-c', 'cat; echo read-all >&2; exit 4'], { input: 'one\ntwo\n' });
    expect(lines).toMatchObject({ code: 4, stdout: 'one\ntwo\n', stderr: 'read-all\n' });
    const blob = randomBytes(3 * 1024 * 1024);
    const summed = await berth(env.env, ['run', '-i', '--rm', image, 'md5sum'], { input: blob });
    expect(summed.code).toBe(0);
    expect(summed.stdout.split(' ')[0]).toBe(createHash('md5').update(blob).digest('hex'));
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout.trim()).toBe('');
  });

  it('creates without starting, waits, renames, and with --rm leaves nothing once it exits', async () => {
    const created = await berth(env.env, ['create', '--name', 'later', image, 'sh', '-c', 'exit 4']);
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect((await berth(env.env, ['ps', '-a'])).stdout).toMatch(/Created\s.*later/);
    expect(await berth(env.env, ['rename', 'later', 'renamed'])).toMatchObject({ code: 0 });
    expect(await berth(env.env, ['start', 'renamed'])).toMatchObject({ code: 0, stdout: 'renamed\n' });
    expect(await berth(env.env, ['wait', 'renamed'])).toMatchObject({ code: 0, stdout: '4\n' });
    expect(await berth(env.env, ['rename', 'renamed', 'renamed'])).toMatchObject({ code: 2, stderr: 'berth: container renamed already has that name\n' });
    // start -a shows the output of the run it starts, and answers its code.
    expect(await berth(env.env, ['start', '-a', 'renamed'])).toMatchObject({ code: 4, stdout: '' });
    expect((await berth(env.env, ['rm', 'renamed'])).code).toBe(0);
    expect((await berth(env.env, ['create', '--name', 'talks', image, 'sh', '-c', 'echo hi; echo oops >&2; exit 7'])).code).toBe(0);
    expect(await berth(env.env, ['start', '-a', 'talks'])).toMatchObject({ code: 7, stdout: 'hi\n', stderr: 'oops\n' });
    // Again: this run's output only, not the last one's too (it attaches before the start, as Docker does).
    expect(await berth(env.env, ['start', '-a', 'talks'])).toMatchObject({ code: 7, stdout: 'hi\n', stderr: 'oops\n' });
    expect((await berth(env.env, ['logs', 'talks'])).stdout).toBe('hi\nhi\n');
    expect((await berth(env.env, ['rm', 'talks'])).code).toBe(0);

    const removed = await berth(env.env, ['run', '--rm', '--name', 'gone', image, 'sh', '-c', 'exit 6']);
    expect(removed.code).toBe(6);
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout).toBe('');
    const conflict = await berth(env.env, ['run', '--rm', '--restart', 'always', image]);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toMatch(/^berth: conflicting options: --rm and --restart always/);
    expect(await env.leftovers([id])).toEqual([]);

    const events = await berth(env.env, ['events', '--since', '10m', '--until', '0s', '--filter', 'event=rename']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(new RegExp(`^\\S+Z container rename ${id} \\(image=${image.replace(/[./:]/g, '\\$&')}, name=renamed, oldName=later\\)\n$`));
    expect(await berth(env.env, ['events', '--filter', 'colour=red'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^berth: invalid filter "colour=red": use event=ACTION/) });
  });

  it('gives one clear line for bad input', async () => {
    const badRef = await berth(env.env, ['run', '-d', 'Busybox']);
    expect(badRef.code).toBe(125);
    expect(badRef.stderr.trim().split('\n')).toHaveLength(1);
    expect(badRef.stderr).toMatch(/invalid reference "Busybox"/);

    const sleeper = await berth(env.env, ['run', '-d', '--name', 'sleeper', image, 'sleep', '60']);
    expect(sleeper.code).toBe(0);
    const badSignal = await berth(env.env, ['kill', '-s', 'NOPE', 'sleeper']);
    expect(badSignal).toMatchObject({ code: 1, stderr: 'Error: invalid signal "NOPE": use a name like TERM or KILL, or a number 1-64\n' });
    expect((await berth(env.env, ['rm', '-f', 'sleeper'])).code).toBe(0);

    const notFound = await berth(env.env, ['run', image, 'no-such-command']);
    expect(notFound.code).toBe(127);

    const badFlag = await berth(env.env, ['run', '--frobnicate', image]);
    expect(badFlag).toMatchObject({ code: 2, stderr: 'berth: unknown flag: --frobnicate\n' });

    const missing = await berth(env.env, ['run', '-d', `${registry.host}/cli/nope:v9`]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/cli\/nope:v9/);
    expect((await berth(env.env, ['ps', '-a', '-q'])).stdout).toBe('');
  });
});

describe('berth serve on a first start', () => {
  /** `berth serve` on a home of `name` under a test engine's own, made first by `prepare` when given. */
  async function serveAt(name: string, prepare: (home: string) => Promise<unknown>, test: (home: string, env: Record<string, string>) => Promise<void>): Promise<void> {
    const engineEnv = await makeTestEngineEnv();
    const home = join(engineEnv.config.home, name);
    const env = { ...engineEnv.env, BERTH_HOME: home };
    let serve: ChildProcess | undefined;
    try {
      await prepare(home);
      serve = await startServe(env);
      await test(home, env);
    } finally {
      if (serve) await stopServe(serve);
      await engineEnv.cleanup();
    }
  }

  it('makes a BERTH_HOME that does not exist yet, owner-only, serves from it, and refuses a second engine there', async () => {
    await serveAt(join('first', 'start'), async () => {}, async (home, fresh) => {
      expect((await stat(home)).mode & 0o777).toBe(0o700);
      expect(await berth(fresh, ['ps'])).toMatchObject({ code: 0 });
      // A second engine on the same home is refused in one line, and the first serves on.
      const second = await berth(fresh, ['serve']);
      expect(second.code).toBe(1);
      expect(second.stderr.trim().split('\n')).toEqual([`berth: an engine already serves ${home} (socket ${join(home, 'engine.sock')}): stop it first, or set BERTH_HOME`]);
      expect(await berth(fresh, ['ps'])).toMatchObject({ code: 0 });
    });
  });

  it('tightens a BERTH_HOME made open to others to 0700 before serving, and makes its sockets 0600 as it binds them', async () => {
    const openToAll = async (home: string) => {
      await mkdir(home, { mode: 0o755 });
      await chmod(home, 0o777);
    };
    await serveAt('loose', openToAll, async (home, loose) => {
      expect((await stat(home)).mode & 0o777).toBe(0o700);
      expect(await berth(loose, ['ps'])).toMatchObject({ code: 0 });
      for (const socket of ['engine.sock', 'docker.sock']) expect((await stat(join(home, socket))).mode & 0o777).toBe(0o600);
    });
  });
});
