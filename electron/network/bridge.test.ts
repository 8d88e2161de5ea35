import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { InterceptingHost } from '../../e2e/fixtures/intercepting-host.js';
import type { ExecResult } from '../host/host.js';
import { LocalHost } from '../host/local/local-host.js';
import { ensureBridge, removeBridge } from './bridge.js';

const capable =
  process.getuid?.() === 0 &&
  spawnSync('ip', ['-V']).status === 0 &&
  spawnSync('iptables', ['-w', '5', '-t', 'nat', '-S', 'POSTROUTING']).status === 0;
const host = new LocalHost(tmpdir());
/** A Linux side without iptables: the firewall's script runs with a PATH where it is not found. */
const noIptables = new InterceptingHost(host, (argv) => (argv[3] === 'berth-firewall' ? ['env', 'PATH=/nonexistent', '/bin/sh', ...argv.slice(1)] : undefined));
const token = randomBytes(3).toString('hex');
let subnet = '';
const made: string[] = [];

function bridgeName(): string {
  const name = `bt${token}${made.length}`;
  made.push(name);
  return name;
}

async function run(argv: string[]): Promise<ExecResult> {
  return host.exec(argv, { timeoutMs: 10_000 });
}

/** A /24 in 10.200-250.x.0 that nothing on this machine routes yet. */
async function freeSubnet(): Promise<string> {
  const routes = (await run(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout.toString();
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = `10.${200 + randomInt(51)}.${randomInt(256)}`;
    if (!routes.includes(`${base}.`)) return `${base}.0/24`;
  }
  throw new Error('no free test subnet found');
}

async function rulesMentioning(name: string): Promise<string[]> {
  const nat = (await run(['iptables', '-w', '5', '-t', 'nat', '-S', 'POSTROUTING'])).stdout.toString();
  const filter = (await run(['iptables', '-w', '5', '-t', 'filter', '-S', 'FORWARD'])).stdout.toString();
  return `${nat}\n${filter}`.split('\n').filter((line) => line.includes(name) || line.includes(`${subnet} `));
}

describe('bridge names', () => {
  it('refuses names the kernel or ip would not take', async () => {
    for (const name of ['way-too-long-bridge', '', 'has space', 'a/b']) {
      const err = await errorOf(ensureBridge(host, { name, subnet: '10.88.0.0/24' }));
      expect(err.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('refuses a malformed subnet, naming it', async () => {
    const err = await errorOf(ensureBridge(host, { name: 'btx', subnet: '10.88.0.1/24' }));
    expect(err.message).toContain('host bits set');
  });
});

describe.skipIf(!capable)('bridge on this machine', () => {
  beforeAll(async () => {
    subnet = await freeSubnet();
  });

  afterAll(async () => {
    for (const name of made) {
      await removeBridge(host, { name, subnet }).catch(() => {});
      await run(['ip', 'link', 'del', name]);
    }
  });

  it('creates the bridge once, with its gateway, NAT and forwarding rules', async () => {
    const name = bridgeName();
    const first = await ensureBridge(host, { name, subnet });
    const gateway = subnet.replace(/\.0\/24$/, '.1');
    expect(first).toEqual({ name, subnet, gateway, prefixLength: 24, warnings: [] });
    const second = await ensureBridge(host, { name, subnet });
    expect(second.warnings).toEqual([]);

    const shown = (await run(['ip', '-o', '-4', 'addr', 'show', 'dev', name])).stdout.toString();
    expect(shown.match(/inet /g)).toHaveLength(1);
    expect(shown).toContain(`${gateway}/24`);
    const link = (await run(['ip', '-d', '-o', 'link', 'show', 'dev', name])).stdout.toString();
    expect(link).toContain('bridge');
    expect(link).toMatch(/<[^>]*\bUP\b/);
    expect((await host.readFile('/proc/sys/net/ipv4/ip_forward')).toString().trim()).toBe('1');

    const rules = await rulesMentioning(name);
    expect(rules.filter((rule) => rule.includes('MASQUERADE'))).toEqual([
      `-A POSTROUTING -s ${subnet} ! -o ${name} -j MASQUERADE`,
    ]);
    // Within the bridge first, then kept from user-defined networks' bridges, then out and back.
    expect(rules.filter((rule) => rule.includes('FORWARD'))).toEqual([
      `-A FORWARD -i ${name} -o ${name} -j ACCEPT`,
      `-A FORWARD -i ${name} -o bn+ -j DROP`,
      `-A FORWARD -i ${name} -j ACCEPT`,
      `-A FORWARD -o ${name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ]);

    await removeBridge(host, { name, subnet });
    expect((await run(['ip', 'link', 'show', 'dev', name])).code).not.toBe(0);
    expect(await rulesMentioning(name)).toEqual([]);
    await removeBridge(host, { name, subnet });
  });

  it('removes the rules that are left when one is already gone', async () => {
    const name = bridgeName();
    await ensureBridge(host, { name, subnet });
    expect((await run(['iptables', '-w', '5', '-D', 'FORWARD', '-i', name, '-o', name, '-j', 'ACCEPT'])).code).toBe(0);
    expect(await rulesMentioning(name)).toHaveLength(4);
    await removeBridge(host, { name, subnet });
    expect(await rulesMentioning(name)).toEqual([]);
  });

  it('keeps going without NAT when iptables is missing, and says so', async () => {
    const name = bridgeName();
    const info = await ensureBridge(noIptables, { name, subnet });
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toContain('iptables is not available');
    expect((await run(['ip', 'link', 'show', 'dev', name])).code).toBe(0);
    await removeBridge(noIptables, { name, subnet });
    expect((await run(['ip', 'link', 'show', 'dev', name])).code).not.toBe(0);
  });

  it('refuses to take over or remove an interface that is not a bridge', async () => {
    const name = bridgeName();
    const peer = `${name}p`;
    expect((await run(['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer])).code).toBe(0);
    try {
      const err = await errorOf(ensureBridge(host, { name, subnet }));
      expect(err.code).toBe('NETWORK_ERROR');
      expect(err.message).toContain('a veth, not a bridge');
      const removal = await errorOf(removeBridge(host, { name, subnet }));
      expect(removal.message).toContain('not a bridge');
      expect((await run(['ip', 'link', 'show', 'dev', name])).code).toBe(0);
    } finally {
      await run(['ip', 'link', 'del', name]);
    }
  });
});
