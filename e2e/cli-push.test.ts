import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker } from './fixtures/docker-cli.js';
import { makePassStore, type PassStore } from './fixtures/pass-store.js';
import { startRegistry, type TestRegistry } from './fixtures/registry.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

// berth push, login and logout, and Docker's push and /auth, against real docker-registry instances on
// 127.0.0.1 (one open, one with basic auth); skopeo reads what landed.

const ALICE = { user: 'alice', password: 'wonderland' };
const run = promisify(execFile);

/** What skopeo sees of an image in a registry: its manifest's digest and its layers' media types. */
async function inspect(reference: string, creds?: typeof ALICE): Promise<{ digest: string; layers: string[] }> {
  const auth = creds ? ['--creds', `${creds.user}:${creds.password}`] : [];
  const { stdout: raw } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...auth, `docker://${reference}`]);
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', ...auth, `docker://${reference}`]);
  const manifest = JSON.parse(raw) as { layers: { mediaType: string }[] };
  return { digest: (JSON.parse(stdout) as { Digest: string }).Digest, layers: manifest.layers.map((layer) => layer.mediaType) };
}

describe.each(TEST_HOSTS)('berth push, Linux on the %s host', { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let open: TestRegistry;
  let locked: TestRegistry;
  let dockerEnv: Record<string, string>;
  let pass: PassStore;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    [open, locked, pass] = await Promise.all([startRegistry(), startRegistry({ htpasswd: ALICE }), makePassStore()]);
    // With pass installed, the docker CLI keeps accounts in it by default: the engine and the CLI get the same store.
    serve = await startServe({ ...env.env, ...pass.env });
    const context = await env.makeHostFolder('pushed');
    await writeFile(join(context.local, 'Dockerfile'), 'FROM hello\nCOPY note.txt /note.txt\nRUN echo built > /built.txt\n');
    await writeFile(join(context.local, 'note.txt'), 'pushed by Berth\n');
    const built = await berth(env.env, ['build', '-q', '-t', `${open.host}/app:1`, context.local]);
    expect(built.code, built.stderr).toBe(0);
    dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: env.env.DOCKER_CONFIG!, DOCKER_CLI_HINTS: 'false', ...pass.env };
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'pulledback']);
      await stopServe(serve);
    }
    await Promise.all([open?.stop(), locked?.stop(), pass?.remove()]);
    await env?.cleanup();
  });

  it('pushes a built image gzipped, skips what the registry has, and the image pulls back and runs', async () => {
    const pushed = await berth(env.env, ['push', `${open.host}/app:1`]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(new RegExp(`^The push refers to repository \\[${open.host}/app\\]\\n1: digest: (sha256:[0-9a-f]{64}) size: \\d+\\n$`));
    const digest = /digest: (\S+)/.exec(pushed.stdout)![1]!;
    expect(pushed.stderr).toMatch(/: pushed/);
    const seen = await inspect(`${open.host}/app:1`);
    expect(seen.digest).toBe(digest);
    expect(seen.layers.length).toBeGreaterThan(1);
    expect(seen.layers.every((type) => type.endsWith('gzip'))).toBe(true);

    // Nothing is sent twice: the same push, and the image under another tag of the repository.
    const again = await berth(env.env, ['push', `${open.host}/app:1`]);
    expect(again.stdout).toContain(`1: digest: ${digest}`);
    expect(again.stderr).not.toMatch(/: pushed/);
    expect(again.stderr.match(/: exists/g)).toHaveLength(seen.layers.length);
    expect((await berth(env.env, ['tag', `${open.host}/app:1`, `${open.host}/app:2`])).code).toBe(0);
    expect((await berth(env.env, ['push', `${open.host}/app:2`])).stderr).not.toMatch(/: pushed/);

    // Round trip: gone from Berth, pulled from the registry (every layer checked against the config), run.
    expect((await berth(env.env, ['rmi', `${open.host}/app:1`, `${open.host}/app:2`])).code).toBe(0);
    expect((await berth(env.env, ['pull', `${open.host}/app:1`])).code).toBe(0);
    const ran = await berth(env.env, ['run', '--name', 'pulledback', `${open.host}/app:1`, 'cat', '/note.txt', '/built.txt']);
    expect(ran.stdout).toBe('pushed by Berth\nbuilt\n');
  });

  it('says one line for a name with no image and for a registry that is down, and leaves the registry as it was', async () => {
    const missing = await berth(env.env, ['push', `${open.host}/nothing:1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(`no image is named ${open.host}/nothing:1`);

    const down = await startRegistry();
    await down.stop();
    expect((await berth(env.env, ['tag', `${open.host}/app:1`, `${down.host}/app:1`])).code).toBe(0);
    const refused = await berth(env.env, ['push', `${down.host}/app:1`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`registry ${down.host} is unreachable: connection refused`);
    expect((await berth(env.env, ['rmi', `${down.host}/app:1`])).code).toBe(0);
  });

  it('logs in (checked with the registry first), pushes with the account, and logs out', async () => {
    const target = `${locked.host}/private/app:1`;
    expect((await berth(env.env, ['tag', `${open.host}/app:1`, target])).code).toBe(0);
    const anonymous = await berth(env.env, ['push', target]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(new RegExp(`registry ${locked.host} refused .*\\(401.*log in to ${locked.host} first`));

    const wrong = await berth(env.env, ['login', '-u', ALICE.user, '--password-stdin', locked.host], { input: 'nope\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toContain(`registry ${locked.host} refused the account (401`);
    const configPath = join(env.env.DOCKER_CONFIG!, 'config.json');
    expect(await readFile(configPath, 'utf8').catch(() => '')).not.toContain(locked.host);

    const login = await berth(env.env, ['login', '-u', ALICE.user, '--password-stdin', locked.host], { input: `${ALICE.password}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toBe('Login Succeeded\n');
    // Where the docker CLI keeps it, so `docker pull` reads the same account.
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths[locked.host]!.auth, 'base64').toString()).toBe(`${ALICE.user}:${ALICE.password}`);

    const pushed = await berth(env.env, ['push', target]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect((await inspect(target, ALICE)).layers.length).toBeGreaterThan(1);

    const logout = await berth(env.env, ['logout', locked.host]);
    expect(logout.stdout).toBe(`Removed login credentials for ${locked.host}\n`);
    expect(await readFile(configPath, 'utf8')).not.toContain(locked.host);
    expect((await berth(env.env, ['push', target])).code).toBe(1);
    expect((await berth(env.env, ['rmi', target])).code).toBe(0);
  });

  it("pushes through Docker's API: docker login (/auth) and docker push with the CLI's own account, docker-py", async () => {
    // The CLI keeps its account in a config of its own: the engine knows it only from X-Registry-Auth.
    const cliConfig = await mkdtemp(join(tmpdir(), 'berth-cli-config-'));
    try {
      const cli = { ...dockerEnv, DOCKER_CONFIG: cliConfig };
      const bad = await runDocker(['login', '-u', ALICE.user, '--password-stdin', locked.host], cli, 'nope\n');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(`registry ${locked.host} refused the account (401`);
      const good = await runDocker(['login', '-u', ALICE.user, '--password-stdin', locked.host], cli, `${ALICE.password}\n`);
      expect(good.code, good.stderr).toBe(0);
      expect(good.stdout).toContain('Login Succeeded');

      const target = `${locked.host}/viadocker/app:1`;
      expect((await runDocker(['tag', `${open.host}/app:1`, target], cli)).code).toBe(0);
      const pushed = await runDocker(['push', target], cli);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toContain(`The push refers to repository [${locked.host}/viadocker/app]`);
      const digest = /1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed.stdout)?.[1];
      expect((await inspect(target, ALICE)).digest).toBe(digest);
      // The engine has no account of its own for the registry (berth logout above): the CLI's, sent with the push, did it.
      expect((await berth(env.env, ['push', target])).stderr).toContain('(401');

      const py = await run('/usr/bin/python3', ['-c', `import docker, json, sys
client = docker.DockerClient(base_url='unix://${dockerSocketPath(env.config.home)}')
client.images.get(sys.argv[1]).tag(sys.argv[2], tag='py')
# As docker-py sends an account read from a config: the fields it lacks are null.
account = {'username': sys.argv[3], 'password': sys.argv[4], 'email': None, 'serveraddress': sys.argv[5]}
lines = list(client.images.push(sys.argv[2], tag='py', stream=True, decode=True, auth_config=account))
print(json.dumps([line for line in lines if 'aux' in line or 'error' in line]))`, `${open.host}/app:1`, `${locked.host}/viapy`, ALICE.user, ALICE.password, locked.host]);
      const answer = JSON.parse(py.stdout) as { aux?: { Tag: string; Digest: string } }[];
      expect(answer).toHaveLength(1);
      expect(answer[0]?.aux?.Tag).toBe('py');
      expect((await inspect(`${locked.host}/viapy:py`, ALICE)).digest).toBe(answer[0]?.aux?.Digest);
      expect((await berth(env.env, ['rmi', target, `${locked.host}/viapy:py`])).code).toBe(0);
    } finally {
      await rm(cliConfig, { recursive: true, force: true });
    }
  });

  it('keeps the account in the credential helper config.json names (credsStore), as the docker CLI does', async () => {
    const configPath = join(env.env.DOCKER_CONFIG!, 'config.json');
    const before = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...before, credsStore: 'pass' }));
    const login = await berth(env.env, ['login', '-u', ALICE.user, '--password-stdin', locked.host], { input: ALICE.password });
    expect(login.code, login.stderr).toBe(0);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { auths: Record<string, unknown>; credsStore: string };
    // config.json only names the registry; the secret is in the helper's store.
    expect(config.auths[locked.host]).toEqual({});
    expect(config.credsStore).toBe('pass');
    expect(await pass.list()).toEqual({ [locked.host]: ALICE.user });

    const target = `${locked.host}/helper/app:1`;
    expect((await berth(env.env, ['tag', `${open.host}/app:1`, target])).code).toBe(0);
    const pushed = await berth(env.env, ['push', target]);
    expect(pushed.code, pushed.stderr).toBe(0);

    expect((await berth(env.env, ['logout', locked.host])).stdout).toBe(`Removed login credentials for ${locked.host}\n`);
    expect(await pass.list()).toEqual({});
    expect((await berth(env.env, ['rmi', target])).code).toBe(0);
  });
});
