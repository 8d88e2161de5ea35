import { describe, expect, it } from 'vitest';
import { checkConfigType, checkLayers, MediaType, parseConfig, parseManifest, selectPlatform, toImageConfig, type ImageIndex } from './manifest.js';
import { parseChallenges } from './registry-auth.js';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function entry(n: number, platform?: { os: string; architecture: string; variant?: string }, annotations?: Record<string, string>) {
  return { mediaType: MediaType.ociManifest, digest: d(n), size: 100, ...(platform ? { platform } : {}), ...(annotations ? { annotations } : {}) };
}

describe('selectPlatform', () => {
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      entry(1, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
      entry(2, { os: 'linux', architecture: 'arm', variant: 'v7' }),
      entry(3, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(4, { os: 'linux', architecture: 'amd64' }),
      entry(5, { os: 'windows', architecture: 'amd64' }),
      entry(6, { os: 'unknown', architecture: 'unknown' }),
    ],
  };

  it('picks linux/amd64', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(d(4));
  });

  it('prefers the exact variant, then any', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest).toBe(d(3));
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe(d(3));
  });

  it('never picks an attestation, even when asked for unknown/unknown', () => {
    expect(() => selectPlatform(index, { os: 'unknown', architecture: 'unknown' }, 'img')).toThrow(/img has no image for unknown\/unknown/);
  });

  it('names what is available when nothing fits', () => {
    let message = '';
    try {
      selectPlatform(index, { os: 'linux', architecture: 's390x' }, 'busybox:latest');
    } catch (err) {
      message = (err as Error).message;
      expect(err).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    }
    expect(message).toBe('busybox:latest has no image for linux/s390x (available: linux/arm/v7, linux/arm64/v8, linux/amd64, windows/amd64)');
  });
});

describe('parseManifest', () => {
  const manifest = { schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: d(1), size: 5 }, layers: [{ mediaType: MediaType.ociLayerGzip, digest: d(2), size: 9 }] };

  it('tells manifests from indexes by media type or shape', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(manifest)), MediaType.dockerManifest, 'x').kind).toBe('manifest');
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), undefined, 'x').kind).toBe('index');
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] })), 'text/plain', 'x').kind).toBe('index');
  });

  it('refuses schema 1, malformed JSON and bad digests', () => {
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), MediaType.dockerSchema1Signed, 'x')).toThrow(/schema 1/);
    expect(() => parseManifest(Buffer.from('{'), undefined, 'x')).toThrow(/not valid JSON/);
    const evil = { ...manifest, layers: [{ mediaType: MediaType.ociLayer, digest: 'sha256:../../etc/passwd', size: 1 }] };
    expect(() => parseManifest(Buffer.from(JSON.stringify(evil)), undefined, 'x')).toThrow(/layers.0.digest/);
  });

  it('refuses artifacts that are no container image', () => {
    const parsed = parseManifest(Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' } })), undefined, 'chart');
    if (parsed.kind !== 'manifest') throw new Error('not a manifest');
    expect(() => checkConfigType(parsed.manifest, 'chart')).toThrow(/chart is not a container image/);
  });
});

describe('image config', () => {
  it("reads Docker's nulls as empty values", () => {
    const config = parseConfig(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Env: ['A=1'], Entrypoint: null, Cmd: ['sh'], Labels: null, Volumes: null, ExposedPorts: { '80/tcp': {}, '53/udp': {} }, User: 'nobody', StopSignal: 'SIGINT' },
          rootfs: { type: 'layers', diff_ids: [d(3)] },
        }),
      ),
      'x',
    );
    expect(toImageConfig(config)).toEqual({
      env: ['A=1'],
      entrypoint: [],
      cmd: ['sh'],
      workingDir: '',
      user: 'nobody',
      exposedPorts: ['80/tcp', '53/udp'],
      labels: {},
      stopSignal: 'SIGINT',
      volumes: [],
    });
  });

  it("reads Docker's HEALTHCHECK, its nanoseconds as milliseconds and its zeros as defaults", () => {
    const config = parseConfig(
      Buffer.from(JSON.stringify({
        config: { Healthcheck: { Test: ['CMD-SHELL', 'wget -q -O- localhost'], Interval: 5e9, Timeout: 0, StartPeriod: 25e8, Retries: 4 } },
        rootfs: { type: 'layers', diff_ids: [d(3)] },
      })),
      'x',
    );
    expect(toImageConfig(config).healthcheck).toEqual({ test: ['CMD-SHELL', 'wget -q -O- localhost'], intervalMs: 5000, startPeriodMs: 2500, retries: 4 });
  });

  it('requires as many diff ids as layers, and no foreign layers', () => {
    const config = parseConfig(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d(3)] } })), 'x');
    expect(() => checkLayers([], config, 'img')).toThrow(/img lists 0 layers but its config names 1 diff ids/);
    expect(() => checkLayers([{ mediaType: MediaType.dockerLayerForeign, digest: d(4), size: 1 }], config, 'img')).toThrow(/foreign layer/);
  });
});

describe('parseChallenges', () => {
  it('reads bearer parameters, quoted or not', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
    expect(parseChallenges('Basic realm=Registry')).toEqual([{ scheme: 'basic', params: { realm: 'Registry' } }]);
  });

  it('reads several challenges', () => {
    const challenges = parseChallenges('Basic realm="r", Bearer realm="http://t/x", service="s"');
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(challenges[1]?.params).toEqual({ realm: 'http://t/x', service: 's' });
  });

  it('returns nothing for no header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
  });
});
