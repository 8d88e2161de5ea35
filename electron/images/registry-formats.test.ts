import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { buildBusyboxImage, readLayoutBlob, readLayoutImage, runCommand, type LayoutImage } from '../../build/oci-image.js';
import { canHashPasswords, startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from './image-store.js';
import { MediaType } from './manifest.js';
import { makeTar, sha256 } from '../../e2e/fixtures/tar-builder.js';

let root: string;
let layout: string;
let registry: TestRegistry;
let image: LayoutImage;
let arm: LayoutImage;
let stores = 0;

function newStore(extra: Partial<ConstructorParameters<typeof ImageStore>[0]> = {}): ImageStore {
  const dir = join(root, `store-${stores++}`);
  return new ImageStore({ host: new LocalHost(join(dir, 'data')), home: join(dir, 'home'), platform: { os: 'linux', architecture: 'amd64' }, ...extra });
}

function getManifest(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const accept = [MediaType.ociManifest, MediaType.dockerManifest].join(', ');
    const req = request(`http://${registry.host}${path}`, { headers: { accept }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function send(method: string, url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const target = url.startsWith('http') ? url : `http://${registry.host}${url}`;
    const req = request(target, { method, headers, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function put(path: string, mediaType: string, body: string): Promise<number> {
  return (await send('PUT', path, body, { 'content-type': mediaType })).status;
}

/** Uploads a blob through the distribution API (POST, then PUT with the digest). */
async function uploadBlob(repository: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const started = await send('POST', `/v2/${repository}/blobs/uploads/`, '');
  if (started.status !== 202 || !started.location) throw new Error(`upload did not start: ${started.status}`);
  const location = new URL(started.location, `http://${registry.host}`);
  location.searchParams.set('digest', digest);
  const done = await send('PUT', location.toString(), bytes, { 'content-type': 'application/octet-stream' });
  if (done.status !== 201) throw new Error(`upload failed: ${done.status}`);
  return digest;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-formats-'));
  layout = join(root, 'layout');
  await buildBusyboxImage(layout, 'v1', { cmd: ['sh'], labels: { which: 'amd64' } });
  await buildBusyboxImage(layout, 'arm', { cmd: ['sh'], labels: { which: 'arm64' } });
  image = await readLayoutImage(layout, 'v1');
  arm = await readLayoutImage(layout, 'arm');
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (root) execFileSync('rm', ['-rf', root]);
});

describe('manifest formats', () => {
  it('pulls Docker schema 2 manifests', async () => {
    await runCommand('skopeo', ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false', '--format', 'v2s2', `oci:${layout}:v1`, `docker://${registry.host}/fmt/docker:v1`]);
    expect(await getManifest('/v2/fmt/docker/manifests/v1')).toContain(MediaType.dockerLayerGzip);
    const pulled = await newStore().pull(`${registry.host}/fmt/docker:v1`);
    expect(pulled.id).toBe(image.manifest.config.digest);
    expect(pulled.config.labels).toEqual({ which: 'amd64' });
  });

  it('pulls zstd-compressed and uncompressed layers, whatever the media type says', async () => {
    const tar = gunzipSync(await readLayoutBlob(layout, image.manifest.layers[0]?.digest ?? ''));
    const zstd = execFileSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 64 * 1024 * 1024 });
    const extra = await makeTar([{ name: 'extra.txt', content: 'plain layer' }]);
    const config = Buffer.from(JSON.stringify({ ...image.config, rootfs: { type: 'layers', diff_ids: [sha256(tar), sha256(extra)] } }));
    const layers = [
      { mediaType: MediaType.ociLayerZstd, digest: await uploadBlob('fmt/zstd', zstd), size: zstd.length },
      // Labelled gzip but sent plain: the bytes decide.
      { mediaType: MediaType.ociLayerGzip, digest: await uploadBlob('fmt/zstd', extra), size: extra.length },
    ];
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: await uploadBlob('fmt/zstd', config), size: config.length },
      layers,
    };
    expect(await put('/v2/fmt/zstd/manifests/v1', MediaType.ociManifest, JSON.stringify(manifest))).toBe(201);

    const store = newStore();
    const pulled = await store.pull(`${registry.host}/fmt/zstd:v1`);
    expect(pulled.layers).toEqual([sha256(tar), sha256(extra)]);
    const [base, top] = store.layerPaths(pulled);
    expect(existsSync(join(base as string, 'bin/busybox'))).toBe(true);
    expect(readFileSync(join(top as string, 'extra.txt'), 'utf8')).toBe('plain layer');
  });

  it('picks linux/amd64 from an index and skips attestation entries', async () => {
    await registry.push(layout, 'v1', 'fmt/multi');
    await registry.push(layout, 'arm', 'fmt/multi');
    const descriptor = (d: LayoutImage, platform: object, annotations?: object) => ({
      mediaType: MediaType.ociManifest,
      digest: d.manifestDescriptor.digest,
      size: d.manifestDescriptor.size,
      platform,
      ...(annotations ? { annotations } : {}),
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        // An attestation first: a careless pick would take it.
        descriptor(arm, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
        descriptor(arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
        descriptor(image, { os: 'linux', architecture: 'amd64' }),
      ],
    });
    expect(await put('/v2/fmt/multi/manifests/latest', MediaType.ociIndex, index)).toBe(201);

    const amd = await newStore().pull(`${registry.host}/fmt/multi:latest`);
    expect(amd.config.labels).toEqual({ which: 'amd64' });
    expect(amd.manifestDigest).toBe(image.manifestDescriptor.digest);
    expect(amd.indexDigest).toMatch(/^sha256:/);

    const armPulled = await newStore({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }).pull(`${registry.host}/fmt/multi`);
    expect(armPulled.config.labels).toEqual({ which: 'arm64' });

    const err = await newStore({ platform: { os: 'linux', architecture: 's390x' } }).pull(`${registry.host}/fmt/multi`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect((err as Error).message).toContain('linux/arm64/v8, linux/amd64');
  });
});

describe('basic auth', () => {
  it('uses the credentials it is given and says when there are none', async (context) => {
    if (!(await canHashPasswords())) context.skip();
    const locked = await startRegistry({ htpasswd: { user: 'alice', password: 'wonderland' } });
    try {
      await locked.push(layout, 'v1', 'private/app');
      const denied = await newStore().pull(`${locked.host}/private/app:v1`).catch((e: unknown) => e);
      expect(denied).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      const wrong = await newStore({ credentials: async (domain) => (domain === locked.host ? { username: 'alice', password: 'nope' } : undefined) })
        .pull(`${locked.host}/private/app:v1`)
        .catch((e: unknown) => e);
      expect(wrong).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      // The account given with the pull goes before any saved one.
      const pulled = await newStore({ credentials: async () => ({ username: 'alice', password: 'nope' }) }).pull(`${locked.host}/private/app:v1`, undefined, { username: 'alice', password: 'wonderland' });
      expect(pulled.id).toBe(image.manifest.config.digest);
    } finally {
      await locked.stop();
    }
  });
});
