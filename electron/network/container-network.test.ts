import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { InterceptingHost } from '../../e2e/fixtures/intercepting-host.js';
import type { ExecOptions, ExecResult } from '../host/host.js';
import { LocalHost } from '../host/local/local-host.js';
import { ensureBridge, removeBridge } from './bridge.js';
import { attach, connectInterface, detach, disconnectInterface, type InterfaceSpec } from './container-network.js';
import { listLeftovers } from './leftovers.js';
import { networkNames, vethName } from './network-names.js';

const capable = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const host = new LocalHost(tmpdir());

// Everything this file makes carries the token, so parallel test files cannot confuse its checks.
const token = randomBytes(3).toString('hex');
const bridge = `bt${token}`;
let subnetBase = '';
let subnet = '';
const ids: string[] = [];

function containerId(): string {
  const id = token + ids.length.toString(16).padStart(2, '0') + randomBytes(28).toString('hex');
  ids.push(id);
  return id;
}

function addressOf(n: number): string {
  return `${subnetBase}.${n}`;
}

async function run(argv: string[], options?: ExecOptions): Promise<ExecResult> {
  return host.exec(argv, { timeoutMs: 10_000, ...options });
}

/** Namespaces and links carrying this file's token. */
async function snapshot(): Promise<{ netns: string[]; links: string[] }> {
  const netns = (await run(['ip', 'netns', 'list'])).stdout.toString();
  const links = (await run(['ip', '-o', 'link'])).stdout.toString();
  const mine = (text: string): string[] =>
    text
      .split('\n')
      .filter((line) => line.includes(token))
      .sort();
  return { netns: mine(netns), links: mine(links) };
}

/** A /24 in 10.200-250.x.0 that nothing on this machine routes yet. */
async function freeSubnetBase(): Promise<string> {
  const routes = (await run(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout.toString();
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = `10.${200 + randomInt(51)}.${randomInt(256)}`;
    if (!routes.includes(`${base}.`)) return base;
  }
  throw new Error('no free test subnet found');
}


/** Starts a one-shot busybox nc listener inside a namespace; resolves with what it received. */
function listen(netns: string, port: number): { received: Promise<string>; stop: () => void } {
  const proc = host.spawn(['ip', 'netns', 'exec', netns, 'busybox', 'nc', '-l', '-p', String(port)]);
  const chunks: Buffer[] = [];
  proc.stdout?.on('data', (b: Buffer) => chunks.push(b));
  const guard = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const received = proc.exited.then(() => {
    clearTimeout(guard);
    return Buffer.concat(chunks).toString();
  });
  return { received, stop: () => proc.kill('SIGKILL') };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends text over TCP from the host's namespace, retrying while the listener starts. */
async function sendFromHost(address: string, port: number, text: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: address, port, timeout: 2_000 });
        socket.once('error', reject);
        socket.once('timeout', () => socket.destroy(new Error('connect timed out')));
        socket.once('connect', () => socket.end(text, () => resolve()));
      });
      return;
    } catch (err) {
      if (attempt >= 50) throw err;
      await sleep(20);
    }
  }
}

/** Sends text over TCP from inside one namespace, retrying while the listener starts. */
async function sendFromNetns(netns: string, address: string, port: number, text: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const sent = await run(['ip', 'netns', 'exec', netns, 'busybox', 'nc', '-w', '2', address, String(port)], {
      input: text,
    });
    if (sent.code === 0) return;
    if (attempt >= 50) throw new Error(`nc from ${netns} failed: ${sent.stderr.toString()}`);
    await sleep(20);
  }
}

/** eth0 on the file's bridge (or another), with the default route. */
function eth0(address: string, bridgeName = bridge): InterfaceSpec {
  return { name: 'eth0', bridge: bridgeName, subnet, gateway: addressOf(1), address, defaultRoute: true };
}

async function ping(fromNetns: string | undefined, address: string): Promise<number> {
  const argv = ['busybox', 'ping', '-c', '1', '-W', '2', address];
  return (await run(fromNetns ? ['ip', 'netns', 'exec', fromNetns, ...argv] : argv)).code;
}


describe.skipIf(!capable)('container network on a real bridge', () => {
  let before: { netns: string[]; links: string[] };

  beforeAll(async () => {
    subnetBase = await freeSubnetBase();
    subnet = `${subnetBase}.0/24`;
    before = await snapshot();
    await ensureBridge(host, { name: bridge, subnet });
  });

  afterAll(async () => {
    // Safety net when a test failed part-way; all of it is idempotent.
    for (const id of ids) await detach(host, id).catch(() => {});
    await removeBridge(host, { name: bridge, subnet }).catch(() => {});
  });

  it('connects containers to each other and to the host', async () => {
    const a = containerId();
    const b = containerId();
    const netA = await attach(host, a, [eth0(addressOf(2))]);
    const netB = await attach(host, b, [eth0(addressOf(3))]);
    expect(netA).toEqual({ netns: networkNames(a).netns, netnsPath: `/run/netns/${networkNames(a).netns}` });
    expect(networkNames(a).vethHost.length).toBeLessThanOrEqual(15);
    expect((await host.stat(netA.netnsPath)) !== undefined).toBe(true);

    const inside = (await run(['ip', '-n', netB.netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout.toString();
    expect(inside).toContain(`${addressOf(3)}/24`);
    const route = (await run(['ip', '-n', netB.netns, 'route', 'show', 'default'])).stdout.toString();
    expect(route).toContain(`via ${addressOf(1)} dev eth0`);

    expect(await ping(netA.netns, addressOf(3))).toBe(0);
    expect(await ping(netB.netns, addressOf(1))).toBe(0);
    expect(await ping(undefined, addressOf(2))).toBe(0);

    const port = 20_000 + randomInt(20_000);
    const fromHost = listen(netB.netns, port);
    try {
      await sendFromHost(addressOf(3), port, `hello from host ${token}`);
      expect(await fromHost.received).toBe(`hello from host ${token}`);
    } finally {
      fromHost.stop();
    }

    const fromA = listen(netB.netns, port);
    try {
      await sendFromNetns(netA.netns, addressOf(3), port, `hello from a ${token}`);
      expect(await fromA.received).toBe(`hello from a ${token}`);
    } finally {
      fromA.stop();
    }

    const left = await listLeftovers(host);
    expect(left.netns).toEqual(expect.arrayContaining([netA.netns, netB.netns]));
    expect(left.veths).toEqual(expect.arrayContaining([networkNames(a).vethHost, networkNames(b).vethHost]));

    await detach(host, a);
    await detach(host, b);
    const after = await listLeftovers(host);
    expect(after.netns).not.toContain(netA.netns);
    expect(after.veths).not.toContain(networkNames(b).vethHost);
  });

  it('attaches and detaches with one command each', async () => {
    const counting = new InterceptingHost(host);
    const id = containerId();
    const started = performance.now();
    await attach(counting, id, [eth0(addressOf(10))]);
    const attachMs = performance.now() - started;
    expect(counting.execCount).toBe(1);
    counting.execCount = 0;
    await detach(counting, id);
    expect(counting.execCount).toBe(1);
    // A hang guard, not a benchmark: attach is ~10 ms here.
    expect(attachMs).toBeLessThan(2_000);
  });

  it('refuses an address the subnet does not allow before running anything', async () => {
    const counting = new InterceptingHost(host);
    const id = containerId();
    for (const address of ['10.199.0.5', addressOf(1), addressOf(255), 'not-an-address']) {
      const err = await errorOf(attach(counting, id, [eth0(address)]));
      expect(['NETWORK_ERROR', 'INVALID_ARGUMENT']).toContain(err.code);
    }
    expect(counting.execCount).toBe(0);
  });

  it('undoes a half-made attach when the bridge does not exist', async () => {
    const id = containerId();
    const names = networkNames(id);
    const err = await errorOf(
      attach(host, id, [eth0(addressOf(20), `bx${token}`)]),
    );
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toContain(`bx${token}`);
    const left = await listLeftovers(host);
    expect(left.netns).not.toContain(names.netns);
    expect(left.veths).not.toContain(names.vethHost);
    expect(await host.stat(`/run/netns/${names.netns}`)).toBeUndefined();
  });

  it('leaves a namespace it did not make alone when its name is taken', async () => {
    const id = containerId();
    await attach(host, id, [eth0(addressOf(30))]);
    const err = await errorOf(attach(host, id, [eth0(addressOf(31))]));
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toContain('File exists');
    expect(await ping(undefined, addressOf(30))).toBe(0);
    await detach(host, id);
  });

  it('detaches idempotently', async () => {
    const id = containerId();
    await detach(host, id);
    await attach(host, id, [eth0(addressOf(40))]);
    await detach(host, id);
    await detach(host, id);
    const left = await listLeftovers(host);
    expect(left.netns).not.toContain(networkNames(id).netns);
  });

  it('puts one container on two bridges, moves its default route when one goes, and removes every veth with it', async () => {
    const second = `bu${token}`;
    const otherBase = await freeSubnetBase();
    const other: InterfaceSpec = { name: 'eth1', bridge: second, subnet: `${otherBase}.0/24`, gateway: `${otherBase}.1`, address: `${otherBase}.2`, defaultRoute: false };
    await ensureBridge(host, { name: second, subnet: other.subnet });
    const id = containerId();
    const { netns } = networkNames(id);
    try {
      await attach(host, id, [eth0(addressOf(50))]);
      await connectInterface(host, id, other);
      expect(vethName(id, 'eth1')).toMatch(/^vc[0-9a-f]{12}$/);
      expect((await listLeftovers(host)).veths).toEqual(expect.arrayContaining([networkNames(id).vethHost, vethName(id, 'eth1')]));
      expect(await ping(netns, other.gateway)).toBe(0);
      await disconnectInterface(host, id, 'eth0', other.gateway);
      const route = (await run(['ip', '-n', netns, 'route', 'show', 'default'])).stdout.toString();
      expect(route).toContain(`via ${other.gateway} dev eth1`);
      expect((await listLeftovers(host)).veths).not.toContain(networkNames(id).vethHost);
      await detach(host, id, ['eth1']);
      const left = await listLeftovers(host);
      expect(left.veths).not.toContain(vethName(id, 'eth1'));
      expect(left.netns).not.toContain(netns);
    } finally {
      await detach(host, id, ['eth0', 'eth1']).catch(() => {});
      await removeBridge(host, { name: second, subnet: other.subnet });
    }
  });

  it('leaves nothing behind once the bridge is removed', async () => {
    for (const id of ids) await detach(host, id);
    await removeBridge(host, { name: bridge, subnet });
    expect(await snapshot()).toEqual(before);
  });
});
