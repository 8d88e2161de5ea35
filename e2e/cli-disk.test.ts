import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../shared/containers.js';
import type { DiskUsage } from '../shared/disk-usage.js';
import type { Image } from '../shared/images.js';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker } from './fixtures/docker-cli.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

// Where the disk went and getting it back, on both hosts: berth system df and the prunes, and the
// same through Docker's API (docker system df, docker image prune). Nothing in use is ever removed.

const MIB = 1024 * 1024;
const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: MIB, GiB: 1024 * MIB };

/** Bytes from a size as berth prints it (12.1MiB); NaN for anything else. */
function sizeOf(text: string | undefined): number {
  const match = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(text ?? '');
  return match ? Number(match[1]) * (UNITS[match[2]!] ?? NaN) : NaN;
}

describe.each(TEST_HOSTS)('disk usage and prunes, Linux on the %s host', { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  const docker = (args: string[]) => runDocker(args, { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: env.env.DOCKER_CONFIG!, DOCKER_CLI_HINTS: 'false' });
  const run = async (args: string[], input?: string) => {
    const result = await berth(env.env, args, input === undefined ? {} : { input });
    expect(result.code, result.stderr).toBe(0);
    return result;
  };
  const df = async () => JSON.parse((await run(['system', 'df', '--json'])).stdout) as DiskUsage;
  const reclaimed = (stdout: string) => /Total reclaimed space: (.*)$/m.exec(stdout)?.[1];
  const names = async () => (JSON.parse((await run(['ps', '-a', '--json'])).stdout) as Container[]).map((c) => c.name).sort();

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    serve = await startServe(env.env);
    await run(['run', '--name', 'wrote', 'hello', 'sh', '-c', 'dd if=/dev/zero of=/three bs=1M count=3 2>/dev/null; echo wrote three']);
    await run(['volume', 'create', 'kept']);
    await run(['volume', 'create', 'spare']);
    await run(['run', '-d', '--name', 'busy', '-v', 'kept:/data', 'hello', 'sh', '-c', 'dd if=/dev/zero of=/data/one bs=1M count=1 2>/dev/null; sleep 300']);
  });

  afterAll(async () => {
    if (serve) {
      await berth(env.env, ['rm', '-f', 'busy', 'wrote']);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('measures each container, volume and image, and the build cache', async () => {
    // The running one's write lands in its volume, not its writable layer.
    await expect.poll(async () => (await df()).volumes.find((v) => v.name === 'kept')?.size, { timeout: 20_000 }).toBeGreaterThanOrEqual(MIB);
    const usage = await df();
    const byName = new Map(usage.containers.map((c) => [c.name, c]));
    expect(byName.get('wrote')?.sizeRw).toBeGreaterThanOrEqual(3 * MIB);
    expect(byName.get('wrote')?.logSize).toBeGreaterThan('wrote three'.length);
    expect(byName.get('busy')?.sizeRw).toBeLessThan(MIB);
    expect(usage.volumes.find((v) => v.name === 'kept')).toMatchObject({ containers: 1 });
    expect(usage.volumes.find((v) => v.name === 'spare')).toMatchObject({ containers: 0 });
    const hello = usage.images.find((i) => i.names.includes('docker.io/library/hello:latest'));
    expect(hello?.containers).toBe(2);
    expect(hello?.size).toBeGreaterThan(0);
    expect(usage.imagesSize).toBeGreaterThanOrEqual(hello?.size ?? Infinity);
    expect(usage.imagesReclaimable).toBe(0);

    const table = (await run(['system', 'df'])).stdout;
    expect(table).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/m);
    expect(table).toMatch(/^Containers +2 +1 /m);
    expect(table).toMatch(/^Local Volumes +2 +1 /m);
    expect((await run(['system', 'df', '-v'])).stdout).toMatch(/^[0-9a-f]{12} +hello +3\.\d\dMiB +\d+B +exited +wrote$/m);

    // Docker's own table from the same numbers.
    const summary = await docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
    expect(summary.stdout.split('\n')).toEqual(expect.arrayContaining(['Images 1 1', 'Containers 2 1', 'Local Volumes 2 1']));
    const verbose = await docker(['system', 'df', '-v', '--format', '{{json .}}']);
    const containers = (JSON.parse(verbose.stdout) as { Containers: { Names: string; Size: string }[] }).Containers;
    expect(containers.find((c) => c.Names === 'wrote')?.Size).toMatch(/^3\.\d+MB$/);
  });

  it('says what a container prune would free, removes nothing on no, and only stopped containers on yes', async () => {
    const declined = await run(['container', 'prune'], 'n\n');
    expect(declined.stderr).toMatch(/WARNING! This will remove 1 stopped containers, freeing 3\.\d\dMiB\./);
    expect(await names()).toEqual(['busy', 'wrote']);
    // A filter Berth does not apply is refused by name, not ignored.
    const filtered = await docker(['container', 'prune', '-f', '--filter', 'label=keep=no']);
    expect(filtered.stderr).toContain("Berth's prune does not apply the filter 'label' yet: nothing was removed");
    expect(await names()).toEqual(['busy', 'wrote']);

    const pruned = await run(['container', 'prune'], 'y\n');
    const wroteFree = /freeing (.*)\./.exec(pruned.stderr)?.[1];
    expect(pruned.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n/);
    expect(reclaimed(pruned.stdout)).toBe(wroteFree);
    expect(await names()).toEqual(['busy']);
    expect((await berth(env.env, ['container', 'prune', '-f'])).stdout).toBe('Total reclaimed space: 0B\n');
  });

  it('prunes unused volumes: unnamed ones by default, named ones with -a, never one in use', async () => {
    const volumes = async () => (await run(['volume', 'ls', '-q'])).stdout.split('\n').filter((name) => name !== '');
    const anonymous = (await run(['volume', 'create'])).stdout.trim();
    expect((await run(['volume', 'prune', '-f'])).stdout).toMatch(new RegExp(`^Deleted Volumes:\n${anonymous}\n\nTotal reclaimed space: \\d`));
    expect(await volumes()).toEqual(['kept', 'spare']);
    expect((await run(['volume', 'prune', '-a', '-f'])).stdout).toMatch(/^Deleted Volumes:\nspare\n\nTotal reclaimed space: /);
    expect(await volumes()).toEqual(['kept']);
  });

  it('removes dangling images through Docker, then everything unused with system prune -a, freeing what its dry run said', async () => {
    const context = await env.makeHostFolder('two-builds');
    for (const count of [2, 1]) {
      await writeFile(join(context.local, 'Dockerfile'), `FROM hello\nRUN dd if=/dev/zero of=/filler bs=1M count=${count} 2>/dev/null\n`);
      await run(['build', '-t', 'twice:1', context.local]);
    }
    const images = JSON.parse((await run(['images', '--json'])).stdout) as Image[];
    const dangling = images.filter((image) => image.names.length === 0);
    expect(dangling).toHaveLength(1);
    expect((await df()).buildCacheSize).toBeGreaterThan(2 * MIB);

    const pruned = await docker(['image', 'prune', '-f']);
    expect(pruned.stdout).toContain(`deleted: ${dangling[0]?.id}`);
    // Its 2 MiB layer unpacked, and its blob as stored.
    expect(pruned.stdout).toMatch(/Total reclaimed space: [2-9]\.\d+MB/);
    expect((JSON.parse((await run(['images', '--json'])).stdout) as Image[]).map((image) => image.names)).toEqual([['docker.io/library/hello:latest'], ['docker.io/library/twice:1']]);

    // Once busy stops, everything but the named volume is unused: the dry run counts it as gone already.
    await run(['stop', '-t', '1', 'busy']);
    const declined = await run(['system', 'prune', '-a', '--volumes'], 'n\n');
    const promised = /freeing (.*)\./.exec(declined.stderr)?.[1];
    expect(promised).toBeDefined();
    expect(await names()).toEqual(['busy']);
    const done = await run(['system', 'prune', '-a', '--volumes'], 'y\n');
    expect(done.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Images:\n(deleted: sha256:[0-9a-f]{64}\n){2}\nEmptied the build cache: /);
    // The build cache's empty skeleton stays: within a hundredth of what was promised.
    expect(Math.abs(sizeOf(reclaimed(done.stdout)) - sizeOf(promised))).toBeLessThanOrEqual(sizeOf(promised) / 100);
    const after = await df();
    expect({ images: after.images, containers: after.containers, volumes: after.volumes.map((v) => v.name) }).toEqual({ images: [], containers: [], volumes: ['kept'] });
    expect(after.buildCacheSize).toBeLessThan(MIB);
  });
});
