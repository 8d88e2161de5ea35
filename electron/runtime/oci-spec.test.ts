import { describe, expect, it } from 'vitest';
import { RunSpec } from '../../shared/containers.js';
import { ImageConfig } from '../../shared/images.js';
import { buildOciSpec, mergeEnv, resolveCommand } from './oci-spec.js';

const image = ImageConfig.parse({
  env: ['PATH=/custom/bin', 'LANG=C'],
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  workingDir: '/srv',
  exposedPorts: ['80/tcp'],
});

describe('resolveCommand (Docker rules)', () => {
  it('runs entrypoint + cmd, and a run command replaces only cmd', () => {
    expect(resolveCommand(RunSpec.parse({ image: 'x' }), image)).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(resolveCommand(RunSpec.parse({ image: 'x', cmd: ['sh'] }), image)).toEqual(['/docker-entrypoint.sh', 'sh']);
  });

  it('a new entrypoint drops the image cmd; an empty one clears the entrypoint', () => {
    expect(resolveCommand(RunSpec.parse({ image: 'x', entrypoint: '/bin/sh' }), image)).toEqual(['/bin/sh']);
    expect(resolveCommand(RunSpec.parse({ image: 'x', entrypoint: '', cmd: ['ls'] }), image)).toEqual(['ls']);
  });

  it('says so when there is nothing to run', () => {
    expect(() => resolveCommand(RunSpec.parse({ image: 'empty' }), ImageConfig.parse({}))).toThrow(/no command: image empty/);
  });
});

describe('mergeEnv', () => {
  it('lets run env override image env by key and keeps the image PATH', () => {
    expect(mergeEnv(image.env, ['LANG=en_US.UTF-8', 'NEW=1'], 'h1')).toEqual([
      'PATH=/custom/bin',
      'HOSTNAME=h1',
      'LANG=en_US.UTF-8',
      'NEW=1',
    ]);
  });

  it('refuses a variable with no name', () => {
    expect(() => mergeEnv([], ['=x'], 'h')).toThrow(/invalid environment variable "=x"/);
  });
});

describe('buildOciSpec', () => {
  const base = {
    image,
    command: ['sh'],
    user: { uid: 1000, gid: 1000, additionalGids: [] },
    hostname: 'abc',
    cgroupsPath: '/berth/abc',
    nofileLimit: 20_000,
    binds: [{ destination: '/etc/hosts', source: '/data/abc/hosts' }],
  };

  it('joins the engine-made network namespace for bridge networking', () => {
    const spec = buildOciSpec({ ...base, spec: RunSpec.parse({ image: 'x' }), network: { mode: 'bridge', netnsPath: '/run/netns/berth-abc' } });
    expect(spec.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/berth-abc' });
    expect(spec.process.cwd).toBe('/srv');
    expect(spec.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [] });
    expect(spec.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 20_000, soft: 20_000 }]);
    expect(spec.mounts).toContainEqual({ destination: '/etc/hosts', type: 'bind', source: '/data/abc/hosts', options: ['rbind', 'rprivate'] });
  });

  it('binds a parent folder before what is mounted inside it, read-only where asked', () => {
    const binds = [
      { destination: '/data/cache', source: '/m/1' },
      { destination: '/data', source: '/m/0', readOnly: true },
    ];
    const spec = buildOciSpec({ ...base, binds, spec: RunSpec.parse({ image: 'x' }), network: { mode: 'none', netnsPath: '' } });
    const user = spec.mounts.filter((m) => m.source.startsWith('/m/'));
    expect(user).toEqual([
      { destination: '/data', type: 'bind', source: '/m/0', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/data/cache', type: 'bind', source: '/m/1', options: ['rbind', 'rprivate'] },
    ]);
  });

  it('shares the host network for host mode and makes an empty one for none', () => {
    const host = buildOciSpec({ ...base, spec: RunSpec.parse({ image: 'x' }), network: { mode: 'host', netnsPath: '' } });
    expect(host.linux.namespaces.map((n) => n.type)).not.toContain('network');
    const none = buildOciSpec({ ...base, spec: RunSpec.parse({ image: 'x' }), network: { mode: 'none', netnsPath: '' } });
    expect(none.linux.namespaces).toContainEqual({ type: 'network' });
  });

  it('writes image labels, overridden by run labels, as annotations', () => {
    const labelled = ImageConfig.parse({ ...image, labels: { team: 'a', tier: 'web' } });
    const spec = buildOciSpec({
      ...base,
      image: labelled,
      spec: RunSpec.parse({ image: 'x', labels: { tier: 'api' } }),
      network: { mode: 'none', netnsPath: '' },
    });
    expect(spec.annotations).toEqual({ team: 'a', tier: 'api' });
  });

  it('refuses a relative working directory', () => {
    expect(() =>
      buildOciSpec({ ...base, spec: RunSpec.parse({ image: 'x', workdir: 'rel' }), network: { mode: 'none', netnsPath: '' } }),
    ).toThrow(/invalid working directory "rel"/);
  });
});
