import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from '../electron/engine/engine-config.js';
import { berth, startServe, stopServe } from './fixtures/berth-cli.js';
import { runDocker, type Ran } from './fixtures/docker-cli.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * User-defined networks through the docker CLI: each a bridge of its own, containers on one reach
 * each other and nothing on another, connect and disconnect while they run, and nothing is left.
 */

interface Inspected {
  Id: string;
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] | null; NetworkID: string }> };
}

describe.each(TEST_HOSTS)('docker networks on Berth, Linux on the %s host', { timeout: 240_000 }, (host) => {
  let env: TestEngineEnv;
  let serve: ChildProcess | undefined;
  let dockerEnv: Record<string, string>;
  const docker = (args: string[]): Promise<Ran> => runDocker(args, dockerEnv);
  const inspect = async (name: string): Promise<Inspected> => (JSON.parse((await docker(['inspect', name])).stdout) as Inspected[])[0]!;
  /** Whether `from` gets the page of the httpd at `address` (2 s at most: a dropped packet is a timeout). */
  const reaches = async (from: string, address: string): Promise<boolean> => {
    const got = await docker(['exec', from, 'sh', '-c', 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 "$1" 80', 'get', address]);
    return got.code === 0 && got.stdout.includes('Hello from Berth');
  };

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    dockerEnv = { DOCKER_HOST: `unix://${dockerSocketPath(env.config.home)}`, DOCKER_CONFIG: env.env.DOCKER_CONFIG!, DOCKER_CLI_HINTS: 'false' };
    serve = await startServe(env.env);
    // The bundled image, pulled once for every run below.
    expect((await docker(['pull', 'hello'])).code).toBe(0);
  });

  afterAll(async () => {
    if (serve) {
      for (const name of ['na', 'nb', 'nc', 'nd', 'ne', 'lost']) await berth(env.env, ['rm', '-f', name]);
      for (const name of ['front', 'back', 'spare']) await berth(env.env, ['network', 'rm', name]);
      await stopServe(serve);
    }
    await env?.cleanup();
  });

  it('creates networks with their labels, lists them with filters, and refuses a taken name or subnet', async () => {
    expect((await docker(['network', 'create', '--label', 'berth.test=net', '--label', 'tier=front', 'front'])).code).toBe(0);
    const created = JSON.parse((await docker(['network', 'inspect', 'front'])).stdout) as [{ Id: string; Driver: string; Labels: Record<string, string>; IPAM: { Config: { Subnet: string; Gateway: string }[] } }];
    expect(created[0]).toMatchObject({ Driver: 'bridge', Labels: { 'berth.test': 'net', tier: 'front' } });
    const subnet = created[0].IPAM.Config[0]!.Subnet;
    expect(env.env.BERTH_NETWORK_POOL).toBeDefined();
    expect((await docker(['network', 'ls', '--filter', 'label=tier=front', '--format', '{{.Name}}'])).stdout).toBe('front\n');
    expect((await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n')).toEqual(expect.arrayContaining(['bridge', 'host', 'none', 'front']));

    const again = await docker(['network', 'create', 'front']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('network with name front already exists');
    const clash = await docker(['network', 'create', '--subnet', subnet, 'spare']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain(`overlaps network front (${subnet})`);
    const builtin = await docker(['network', 'rm', 'bridge']);
    expect(builtin.stderr).toContain('bridge is a pre-defined network and cannot be removed');
    expect((await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout).not.toContain('spare');
  });

  it('lets containers on one network reach each other, and keeps other networks and the default bridge apart', async () => {
    expect((await docker(['network', 'create', 'back'])).code).toBe(0);
    for (const [name, network] of [['na', 'front'], ['nb', 'front'], ['nc', 'back'], ['nd', 'bridge']] as const) {
      expect((await docker(['run', '-d', '--name', name, '--network', network, ...(name === 'na' ? ['--network-alias', 'alpha'] : []), 'hello'])).code).toBe(0);
    }
    const a = await inspect('na');
    const front = a.NetworkSettings.Networks['front']!;
    expect(front.Aliases).toEqual(['alpha', a.Id.slice(0, 12)]);
    const addressOf = async (name: string, network: string) => (await inspect(name)).NetworkSettings.Networks[network]!.IPAddress;

    expect(await reaches('nb', front.IPAddress)).toBe(true);
    expect(await reaches('nc', front.IPAddress)).toBe(false);
    expect(await reaches('nd', front.IPAddress)).toBe(false);
    expect(await reaches('na', await addressOf('nd', 'bridge'))).toBe(false);
    expect(await reaches('na', await addressOf('nc', 'back'))).toBe(false);

    // Connected while it runs, a reaches back's containers and they reach it; disconnected, no more.
    expect((await docker(['network', 'connect', '--alias', 'alpha-back', 'back', 'na'])).code).toBe(0);
    const onBack = (await inspect('na')).NetworkSettings.Networks['back']!;
    expect(onBack.Aliases).toContain('alpha-back');
    expect(await reaches('nc', onBack.IPAddress)).toBe(true);
    expect(await reaches('na', await addressOf('nc', 'back'))).toBe(true);
    const twice = await docker(['network', 'connect', 'back', 'na']);
    expect(twice.code).not.toBe(0);
    expect((await docker(['network', 'disconnect', 'back', 'na'])).code).toBe(0);
    expect(Object.keys((await inspect('na')).NetworkSettings.Networks)).toEqual(['front']);
    expect(await reaches('nc', onBack.IPAddress)).toBe(false);
    expect(await reaches('nb', front.IPAddress)).toBe(true);
  });

  it('resolves containers by name, short id and alias on their own networks only, and follows connect and disconnect', async () => {
    const { Id: id, NetworkSettings } = await inspect('na');
    const address = NetworkSettings.Networks['front']!.IPAddress;
    /** What busybox's nslookup in `from` answers for `name` (its own resolver code, through the container's resolv.conf). */
    const lookup = async (from: string, name: string): Promise<string | undefined> => {
      const got = await docker(['exec', from, 'nslookup', name]);
      return got.code === 0 ? /Name:[^\n]*\nAddress( 1)?:\s*([0-9.]+)/.exec(got.stdout)?.[2] : undefined;
    };
    for (const name of ['na', 'alpha', id.slice(0, 12), 'NA']) expect(await lookup('nb', name)).toBe(address);
    // Another network, and the default bridge (no names there, as in Docker), do not see front's names.
    expect(await lookup('nc', 'na')).toBeUndefined();
    expect(await lookup('nc', 'alpha')).toBeUndefined();
    expect(await lookup('nd', 'na')).toBeUndefined();
    // Not even by asking front's name server directly.
    const gateway = NetworkSettings.Networks['front']!.IPAddress.replace(/\.\d+$/, '.1');
    expect((await docker(['exec', 'nc', 'nslookup', '-timeout=1', 'na', gateway])).code).not.toBe(0);

    expect((await docker(['network', 'connect', '--alias', 'see-c', 'back', 'nb'])).code).toBe(0);
    const cOnBack = (await inspect('nc')).NetworkSettings.Networks['back']!.IPAddress;
    expect(await lookup('nb', 'nc')).toBe(cOnBack);
    expect(await lookup('nc', 'see-c')).toBe((await inspect('nb')).NetworkSettings.Networks['back']!.IPAddress);
    expect((await docker(['network', 'disconnect', 'back', 'nb'])).code).toBe(0);
    expect(await lookup('nb', 'nc')).toBeUndefined();

    expect((await docker(['rename', 'nb', 'nb2'])).code).toBe(0);
    expect(await lookup('na', 'nb2')).toBeDefined();
    expect((await docker(['rename', 'nb2', 'nb'])).code).toBe(0);
    expect((await docker(['stop', '-t', '1', 'nb'])).code).toBe(0);
    expect(await lookup('na', 'nb')).toBeUndefined();
    expect((await docker(['start', 'nb'])).code).toBe(0);
    expect(await lookup('na', 'nb')).toBe((await inspect('nb')).NetworkSettings.Networks['front']!.IPAddress);
  });

  it('refuses an alias that names another container on the network, at create and at connect of a stopped container', async () => {
    const made = await docker(['create', '--name', 'ne', '--network', 'front', '--network-alias', 'na', 'hello']);
    expect(made.code).not.toBe(0);
    expect(made.stderr).toContain('alias na is taken on network front: it names container na');
    expect((await docker(['ps', '-aq', '--filter', 'name=^ne$'])).stdout).toBe('');

    expect((await docker(['create', '--name', 'ne', '--network', 'back', 'hello'])).code).toBe(0);
    const connect = await docker(['network', 'connect', '--alias', 'nb', 'front', 'ne']);
    expect(connect.code).not.toBe(0);
    expect(connect.stderr).toContain('alias nb is taken on network front: it names container nb');
    expect(Object.keys((await inspect('ne')).NetworkSettings.Networks)).toEqual(['back']);
    // Sharing another container's alias is fine: compose gives every replica its service's name.
    expect((await docker(['network', 'connect', '--alias', 'alpha', 'front', 'ne'])).code).toBe(0);
    expect((await docker(['rm', 'ne'])).code).toBe(0);
  });

  it('refuses to remove a network in use, and removing it leaves no bridge; prune takes only unused ones', async () => {
    const frontId = (JSON.parse((await docker(['network', 'inspect', 'front'])).stdout) as [{ Id: string }])[0].Id;
    const busy = await docker(['network', 'rm', 'front']);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain('has active endpoints');
    const members = JSON.parse((await docker(['network', 'inspect', 'front'])).stdout) as [{ Containers: Record<string, { Name: string }> }];
    expect(Object.values(members[0].Containers).map((c) => c.Name).sort()).toEqual(['na', 'nb']);

    expect(await env.firewallRules()).toContain(`bn${frontId.slice(0, 12)}`);
    expect((await docker(['rm', '-f', 'na', 'nb'])).code).toBe(0);
    expect((await docker(['network', 'rm', 'front'])).code).toBe(0);
    expect(await env.links()).not.toContain(`bn${frontId.slice(0, 12)}`);
    expect(await env.firewallRules()).not.toContain(`bn${frontId.slice(0, 12)}`);
    const lost = await docker(['run', '-d', '--name', 'lost', '--network', 'front', 'hello']);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain('network front not found');
    expect((await docker(['ps', '-a', '--filter', 'name=lost', '--format', '{{.Names}}'])).stdout).toBe('');

    expect((await docker(['network', 'create', '--label', 'berth.test=prune', 'spare'])).code).toBe(0);
    const pruned = await docker(['network', 'prune', '-f', '--filter', 'label=berth.test=prune']);
    expect(pruned.stdout).toContain('spare');
    expect(pruned.stdout).not.toContain('back');
    const names = (await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout;
    expect(names).toContain('back');
    expect(names).not.toContain('spare');
  });
});
