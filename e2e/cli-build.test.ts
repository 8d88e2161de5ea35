import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import type { Image, ImageStep } from '../shared/images.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker } from './fixtures/docker-cli.js';
import { freePort, httpGet } from './fixtures/ports.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

// berth build and Docker's builds on both hosts: buildah builds where Linux runs, from Berth's own
// images, into Berth's store. The context is named as the engine's machine sees it.

const COMPOSE_V2 = '/usr/local/lib/berth-test/cli-plugins/docker-compose';
const DOCKERFILE = `# A page built in one stage and served by another.
ARG BASE=hello
FROM \${BASE} AS build
WORKDIR /src
COPY site/ ./
RUN echo "stage one ran" && echo stamped > stamp.txt

FROM $BASE
ARG GREETING=hello
ENV GREETING=$GREETING
COPY --from=build /src/ /var/www/
USER 65534
HEALTHCHECK --interval=30s CMD ["true"]
EXPOSE 8080
ENTRYPOINT ["httpd", "-f", "-v", "-h", "/var/www"]
CMD ["-p", "8080"]
`;

describe.each(TEST_HOSTS)('berth build, Linux on the %s host', { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let context: { path: string; local: string };
  const buildah = (args: string[]) => env.linuxOutput(['buildah', '--root', `${env.dataRoot}/build/storage`, '--runroot', `${env.dataRoot}/build/run`, '--storage-driver', 'overlay', ...args]);

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    context = await env.makeHostFolder('app');
    await mkdir(join(context.local, 'site'));
    await writeFile(join(context.local, 'Dockerfile'), DOCKERFILE);
    await writeFile(join(context.local, 'site', 'index.html'), '<p>built by Berth</p>\n');
    await writeFile(join(context.local, 'site', 'draft.html'), 'not for the image\n');
    await writeFile(join(context.local, '.dockerignore'), '# drafts stay home\nsite/draft.html\n');
    serve = await startServe(env.env);
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'built']);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('builds a multi-stage Dockerfile from the bundled image, and the image runs at once', async () => {
    const built = await berth(env.env, ['build', '-t', 'app:1', '--build-arg', 'GREETING=from-arg', context.local]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout.split('\n')).toContain('stage one ran');
    expect(built.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged app:1\n$/);

    const images = JSON.parse((await berth(env.env, ['images', '--json'])).stdout) as Image[];
    const app = images.find((image) => image.names.includes('docker.io/library/app:1'));
    expect(app?.config).toMatchObject({ user: '65534', entrypoint: ['httpd', '-f', '-v', '-h', '/var/www'], cmd: ['-p', '8080'], exposedPorts: ['80/tcp', '8080/tcp'] });
    expect(app?.config.healthcheck?.test).toEqual(['CMD', 'true']);

    const port = await freePort(env.publishIp);
    expect((await berth(env.env, ['run', '-d', '--name', 'built', '-p', `${env.publishIp}:${port}:8080`, 'app:1'])).code).toBe(0);
    expect(await httpGet(env.publishIp, port)).toContain('built by Berth');
    expect((await berth(env.env, ['exec', 'built', 'cat', '/var/www/stamp.txt'])).stdout).toBe('stamped\n');
    expect((await berth(env.env, ['exec', 'built', 'sh', '-c', 'echo $GREETING; id -u'])).stdout).toBe('from-arg\n65534\n');
    // .dockerignore kept the draft out of the context.
    expect((await berth(env.env, ['exec', 'built', 'ls', '/var/www'])).stdout.split('\n')).not.toContain('draft.html');

    // How it was made, newest step first: config-only steps take nothing, the COPY its files.
    const steps = (JSON.parse((await berth(env.env, ['history', '--json', 'app:1'])).stdout) as ImageStep[]).map((step) => [step.createdBy, step.size] as const);
    expect(steps[0]![0]).toContain('CMD ["-p", "8080"]');
    expect(steps.find(([by]) => by.includes('EXPOSE'))?.[1]).toBe(0);
    expect(steps.find(([by]) => by.includes('COPY'))?.[1]).toBeGreaterThan(0);
    const table = (await berth(env.env, ['history', 'app:1'])).stdout.split('\n');
    expect(table[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    expect(table[1]).toMatch(new RegExp(`^${app!.id.slice(7, 19)}\\s`));
    expect(table[2]).toMatch(/^<missing>\s/);
  });

  it('reuses every step when nothing changed, and reruns from a changed COPY on', async () => {
    const again = await berth(env.env, ['build', '-t', 'app:1', '--build-arg', 'GREETING=from-arg', context.local]);
    expect(again.code, again.stderr).toBe(0);
    const steps = again.stdout.split('\n').filter((line) => /STEP \d+\/\d+: (?!FROM)/.test(line));
    expect(steps.length).toBeGreaterThan(8);
    expect(again.stdout.match(/Using cache/g)).toHaveLength(steps.length);
    // The RUN's own output is not there: it did not run.
    expect(again.stdout.split('\n')).not.toContain('stage one ran');

    await writeFile(join(context.local, 'site', 'index.html'), '<p>built again</p>\n');
    const changed = await berth(env.env, ['build', '-t', 'app:1', '--build-arg', 'GREETING=from-arg', context.local]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout.split('\n')).toContain('stage one ran');
  });

  it("builds through Docker's API: docker build (classic), -q, docker-py, compose build v1 and v2", async () => {
    const config = env.env.DOCKER_CONFIG!;
    await mkdir(join(config, 'cli-plugins'), { recursive: true });
    await symlink(COMPOSE_V2, join(config, 'cli-plugins', 'docker-compose'));
    const dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' };
    const built = await runDocker(['build', '-t', 'viadocker:1', '--build-arg', 'GREETING=docker', context.local], dockerEnv);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/Successfully built ([0-9a-f]{12})\nSuccessfully tagged viadocker:1\n$/);
    const quiet = await runDocker(['build', '-q', '--build-arg', 'GREETING=docker', context.local], dockerEnv);
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const failing = await env.makeHostFolder('fails-docker');
    await writeFile(join(failing.local, 'Dockerfile'), 'FROM hello\nRUN exit 4\n');
    const failed = await runDocker(['build', failing.local], dockerEnv);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('Dockerfile line 2: RUN exit 4: exit status 4');

    const py = await promisify(execFile)('/usr/bin/python3', ['-c', `import docker, sys
client = docker.DockerClient(base_url='unix://${dockerSocketPath(env.config.home)}')
image, _ = client.images.build(path=sys.argv[1], tag='viapy:1', buildargs={'GREETING': 'py'})
print(image.id)`, context.local]);
    expect(py.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);

    await writeFile(join(context.local, 'compose.yaml'), 'services:\n  web:\n    build: .\n    image: composed:1\n');
    for (const compose of [['docker', 'compose'], ['docker-compose']]) {
      const result = await promisify(execFile)(compose[0]!, [...compose.slice(1), 'build'], { cwd: context.local, env: { ...process.env, ...dockerEnv } });
      expect(result.stdout + result.stderr).toContain('Successfully tagged composed:1');
    }
    const names = (await berth(env.env, ['images'])).stdout;
    for (const name of ['viadocker', 'viapy', 'composed']) expect(names).toContain(name);

    // More names for one image, by berth and by docker; a digest is no tag.
    expect((await berth(env.env, ['tag', 'viadocker:1', '127.0.0.1:5000/team/app:2'])).code).toBe(0);
    expect((await runDocker(['tag', 'viadocker:1', 'other:3'], dockerEnv)).code).toBe(0);
    const ids = await runDocker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], dockerEnv);
    const idOf = (name: string) => ids.stdout.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1];
    expect(idOf('127.0.0.1:5000/team/app:2')).toBe(idOf('viadocker:1'));
    expect(idOf('other:3')).toBe(idOf('viadocker:1'));
    // docker history reads the same steps, newest first.
    const history = await runDocker(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'viadocker:1'], dockerEnv);
    const rows = history.stdout.trim().split('\n').map((line) => line.split('|'));
    expect(rows[0]![0]).toBe(idOf('viadocker:1'));
    expect(rows[1]![0]).toBe('<missing>');
    expect(rows.find(([, by]) => by!.includes('ENV GREETING'))?.[2]).toBe('0B');
    expect(rows.at(-1)![2]).toMatch(/^\d+(\.\d+)?[kM]B$/);
    const digest = await berth(env.env, ['tag', 'viadocker:1', `other@sha256:${'0'.repeat(64)}`]);
    expect(digest.stderr).toContain('names a digest: a tag cannot');
  });

  it('says in one line what is wrong with a bad build, and leaves nothing behind', async () => {
    const bad = async (name: string, dockerfile: string, extra: string[] = []) => {
      const folder = await env.makeHostFolder(name);
      await writeFile(join(folder.local, 'Dockerfile'), dockerfile);
      const result = await berth(env.env, ['build', '-t', `bad-${name}`, ...extra, folder.local]);
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      return result.stderr;
    };
    expect(await bad('typo', 'FROM hello\nRUN true\nFORM hello\n')).toContain('Dockerfile line 3: FORM: Unknown instruction');
    expect(await bad('fails', 'FROM hello\nRUN echo failing; exit 3\n')).toContain('Dockerfile line 2: RUN echo failing; exit 3: exit status 3');
    expect(await bad('missing', 'FROM hello\nCOPY nowhere.txt /\n')).toMatch(/Dockerfile line 2: COPY nowhere.txt \/: .*nowhere.txt.*no such file/);
    expect(await bad('outside', 'FROM hello\n', ['-f', '../Dockerfile'])).toContain('the Dockerfile ../Dockerfile is outside the build context');
    const none = await berth(env.env, ['build', join(context.local, 'no-such-folder')]);
    expect(none.stderr).toContain('is not a folder');

    expect(await buildah(['containers', '--quiet'])).toBe('');
    expect((await env.linuxMounts()).filter((point) => point.startsWith(`${env.dataRoot}/build`))).toEqual([]);
    // No image of a failed build, in Berth's store or the builder's.
    expect(await buildah(['images', '--format', '{{.Name}}'])).not.toContain('bad-');
    expect((await berth(env.env, ['images'])).stdout).not.toContain('bad-');
  });
});
