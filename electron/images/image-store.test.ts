import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, exportOciArchive, readLayoutImage, type LayoutImage } from '../../build/oci-image.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import type { PullProgress } from '../../shared/images.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from './image-store.js';
import { startProxy, type ProxyDecision, type TestProxy } from '../../e2e/fixtures/fault-proxy.js';

let root: string;
let layout: string;
let registry: TestRegistry;
let small: LayoutImage;
let other: LayoutImage;
const proxies: TestProxy[] = [];
let stores = 0;

/** A store with its own home and host data root, so tests never share state by accident. */
function newStore(extra: Partial<ConstructorParameters<typeof ImageStore>[0]> = {}): { store: ImageStore; home: string; dataRoot: string } {
  const dir = join(root, `store-${stores++}`);
  const home = join(dir, 'home');
  const dataRoot = join(dir, 'data');
  return { store: new ImageStore({ host: new LocalHost(dataRoot), home, ...extra }), home, dataRoot };
}

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}


beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-images-'));
  layout = join(root, 'layout');
  await buildBusyboxImage(layout, 'small', {
    cmd: ['httpd', '-f', '-p', '80'],
    env: ['GREETING=hi'],
    exposedPorts: ['80/tcp'],
    labels: { purpose: 'test' },
    workingDir: '/var/www',
    stopSignal: 'SIGQUIT',
  });
  await buildBusyboxImage(layout, 'other', { files: { '/etc/motd': 'other\n' } });
  small = await readLayoutImage(layout, 'small');
  other = await readLayoutImage(layout, 'other');
  registry = await startRegistry();
  await registry.push(layout, 'small', 'test/busybox');
  await registry.push(layout, 'other', 'test/busybox');
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await registry?.stop();
  // Layer dirs may hold whiteout devices: rm as root removes them.
  if (root) execFileSync('rm', ['-rf', root]);
});

describe('pulling from a registry', () => {
  it('pulls, unpacks and records an image, then finds it cached', async () => {
    const { store, home } = newStore();
    const events: PullProgress[] = [];
    const image = await store.pull(`${registry.host}/test/busybox:small`, (p) => events.push(p));

    expect(image.id).toBe(small.manifest.config.digest);
    expect(image.manifestDigest).toBe(small.manifestDescriptor.digest);
    expect(image.names).toEqual([`${registry.host}/test/busybox:small`]);
    expect(image.layers).toEqual(small.config.rootfs.diff_ids);
    expect(image.config).toMatchObject({
      cmd: ['httpd', '-f', '-p', '80'],
      exposedPorts: ['80/tcp'],
      labels: { purpose: 'test' },
      workingDir: '/var/www',
      stopSignal: 'SIGQUIT',
    });
    expect(image.config.env).toContain('GREETING=hi');

    const [base] = store.layerPaths(image);
    expect(base).toBeDefined();
    expect(statSync(join(base as string, 'bin/busybox')).isFile()).toBe(true);
    expect(readFileSync(join(base as string, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');

    expect(files(join(home, 'images'))).toEqual([`${image.id.slice(7)}.json`]);
    expect(files(join(home, 'content/sha256'))).toContain(small.manifest.layers[0]?.digest.slice(7));
    const layerEvents = events.filter((e) => e.layer === small.manifest.layers[0]?.digest);
    expect(layerEvents[0]?.status).toBe('waiting');
    expect(layerEvents.some((e) => e.status === 'downloading')).toBe(true);
    expect(layerEvents.at(-1)).toMatchObject({ status: 'done', total: small.manifest.layers[0]?.size });

    const again: PullProgress[] = [];
    const second = await store.pull(`${registry.host}/test/busybox:small`, (p) => again.push(p));
    expect(second.id).toBe(image.id);
    expect(again.filter((e) => e.status !== 'waiting').every((e) => e.status === 'cached')).toBe(true);
    expect(await store.list()).toHaveLength(1);
  });

  it('resolves by name, id, id prefix and digest reference', async () => {
    const { store } = newStore();
    const image = await store.pull(`${registry.host}/test/busybox:small`);
    expect((await store.resolve(`${registry.host}/test/busybox:small`))?.id).toBe(image.id);
    expect((await store.resolve(image.id))?.id).toBe(image.id);
    expect((await store.resolve(image.id.slice(7, 19)))?.id).toBe(image.id);
    expect((await store.resolve(image.id.slice(0, 19)))?.id).toBe(image.id);
    expect((await store.resolve(`${registry.host}/test/busybox@${image.manifestDigest}`))?.id).toBe(image.id);
    expect(await store.resolve(`${registry.host}/test/busybox:nope`)).toBeUndefined();
    expect(await store.resolve('busybox')).toBeUndefined();
    await expect(store.resolve('Bad:Name')).rejects.toMatchObject({ code: 'INVALID_REFERENCE' });
  });

  it('pulls by digest', async () => {
    const { store } = newStore();
    const reference = `${registry.host}/test/busybox@${small.manifestDescriptor.digest}`;
    const image = await store.pull(reference);
    expect(image.names).toEqual([reference]);
    expect(image.id).toBe(small.manifest.config.digest);
  });

  it('reports a missing tag as IMAGE_NOT_FOUND and leaves nothing behind', async () => {
    const { store, home, dataRoot } = newStore();
    const err = await errorOf(store.pull(`${registry.host}/test/busybox:missing`));
    expect(err.code).toBe('IMAGE_NOT_FOUND');
    expect(err.message).toContain('test/busybox:missing');
    expect(files(join(home, 'images'))).toEqual([]);
    expect(files(join(home, 'content/sha256'))).toEqual([]);
    expect(files(join(dataRoot, 'layers')).filter((n) => n !== 'tmp')).toEqual([]);
  });

  it('reports a stopped registry as REGISTRY_ERROR naming it', async () => {
    const gone = await startRegistry();
    const host = gone.host;
    await gone.stop();
    const { store } = newStore();
    const err = await errorOf(store.pull(`${host}/test/busybox:small`));
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain(host);
  });

  it('honours pull policies', async () => {
    const { store } = newStore();
    const reference = `${registry.host}/test/busybox:small`;
    expect((await errorOf(store.ensure(reference, 'never'))).code).toBe('IMAGE_NOT_FOUND');
    const pulled = await store.ensure(reference, 'missing');
    const events: PullProgress[] = [];
    expect((await store.ensure(reference, 'missing', (p) => events.push(p))).id).toBe(pulled.id);
    expect(events).toEqual([]);
    expect((await store.ensure(reference, 'never')).id).toBe(pulled.id);
    expect((await store.ensure(pulled.id, 'always')).id).toBe(pulled.id);
    expect((await store.ensure(pulled.id.slice(7, 19), 'missing')).id).toBe(pulled.id);
    expect((await errorOf(store.ensure(`sha256:${'0'.repeat(64)}`, 'missing'))).code).toBe('IMAGE_NOT_FOUND');
    await store.ensure(reference, 'always', (p) => events.push(p));
    expect(events.length).toBeGreaterThan(0);
  });

  it('clears what a crashed engine left half done before its first pull', async () => {
    const { store, home, dataRoot } = newStore();
    mkdirSync(join(dataRoot, 'layers/tmp/abc.123/etc'), { recursive: true });
    mkdirSync(join(home, 'content/ingest'), { recursive: true });
    writeFileSync(join(home, 'content/ingest/stream.0011'), 'half an archive');
    writeFileSync(join(home, 'content/ingest/' + 'ab'.repeat(32) + '.partial'), 'recent partial download');
    await store.pull(`${registry.host}/test/busybox:small`);
    expect(files(join(dataRoot, 'layers/tmp'))).toEqual([]);
    expect(files(join(home, 'content/ingest'))).toEqual(['ab'.repeat(32) + '.partial']);
  });

  it('re-unpacks a missing layer from stored blobs', async () => {
    const { store } = newStore();
    const image = await store.pull(`${registry.host}/test/busybox:small`);
    const [base] = store.layerPaths(image);
    execFileSync('rm', ['-rf', base as string]);
    await store.ensure(`${registry.host}/test/busybox:small`, 'never');
    expect(existsSync(join(base as string, 'bin/busybox'))).toBe(true);
  });

  it('moves a tag to the new image and removes names, then images, blobs and unused layers', async () => {
    const { store, home } = newStore();
    const a = await store.pull(`${registry.host}/test/busybox:small`);
    const b = await store.pull(`${registry.host}/test/busybox:other`);
    // Both share the busybox base layer.
    expect(a.layers[0]).toBe(b.layers[0]);
    const [base] = store.layerPaths(a);

    const twoNames = await store.pull(`${registry.host}/test/busybox@${small.manifestDescriptor.digest}`);
    expect(twoNames.names).toHaveLength(2);
    const afterFirst = await store.remove(`${registry.host}/test/busybox:small`);
    expect(afterFirst.names).toEqual([`${registry.host}/test/busybox@${small.manifestDescriptor.digest}`]);

    const removed = await store.remove(a.id.slice(7, 20));
    expect(removed.names).toEqual([]);
    expect(await store.resolve(a.id)).toBeUndefined();
    expect(existsSync(join(home, 'content/sha256', a.id.slice(7)))).toBe(false);
    expect(existsSync(join(home, 'content/sha256', a.manifestDigest.slice(7)))).toBe(false);
    // The shared base layer stays for b.
    expect(existsSync(join(base as string, 'bin/busybox'))).toBe(true);
    expect(existsSync(join(home, 'content/sha256', (other.manifest.layers[0]?.digest ?? '').slice(7)))).toBe(true);

    await store.remove(`${registry.host}/test/busybox:other`);
    expect(await store.list()).toEqual([]);
    expect(existsSync(base as string)).toBe(false);
    expect(files(join(home, 'content/sha256'))).toEqual([]);
    expect((await errorOf(store.remove('nothing-here'))).code).toBe('IMAGE_NOT_FOUND');
  });

  it('untags an image a container uses but refuses to delete it', async () => {
    const { store, home } = newStore();
    const tag = `${registry.host}/test/busybox:small`;
    const byDigest = `${registry.host}/test/busybox@${small.manifestDescriptor.digest}`;
    await store.pull(tag);
    const image = await store.pull(byDigest);
    const [base] = store.layerPaths(image);
    const asked: string[] = [];
    const inUse = (id: string): boolean => {
      asked.push(id);
      return true;
    };

    expect((await store.remove(tag, inUse)).names).toEqual([byDigest]);
    expect(asked).toEqual([]);

    for (const target of [byDigest, image.id, image.id.slice(7, 19)]) {
      const err = await errorOf(store.remove(target, inUse));
      expect(err.code).toBe('IMAGE_IN_USE');
      expect(err).toMatchObject({ message: `image ${target} is used by a container`, fix: 'remove the container first' });
    }
    expect(asked.every((id) => id === image.id)).toBe(true);
    expect((await store.resolve(image.id))?.names).toEqual([byDigest]);
    expect(existsSync(join(base as string, 'bin/busybox'))).toBe(true);
    expect(existsSync(join(home, 'content/sha256', image.id.slice(7)))).toBe(true);

    expect((await store.remove(byDigest, () => false)).names).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(existsSync(base as string)).toBe(false);
  });
});

describe('faults between Berth and the registry', () => {
  const layerPath = (image: LayoutImage): string => `/blobs/${image.manifest.layers[0]?.digest ?? ''}`;

  it('refuses a corrupted blob with DIGEST_MISMATCH and stores nothing, then pulls fine', async () => {
    const proxy = await startProxy(registry.host, (req) => (req.url?.endsWith(layerPath(small)) ? { action: 'corrupt' } : { action: 'forward' }));
    proxies.push(proxy);
    const { store, home, dataRoot } = newStore();
    const err = await errorOf(store.pull(`${proxy.host}/test/busybox:small`));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(files(join(home, 'content/sha256'))).not.toContain(small.manifest.layers[0]?.digest.slice(7));
    expect(files(join(home, 'content/ingest'))).toEqual([]);
    expect(files(join(home, 'images'))).toEqual([]);
    expect(files(join(dataRoot, 'layers')).filter((n) => n !== 'tmp')).not.toContain(small.config.rootfs.diff_ids[0]?.slice(7));

    const image = await store.pull(`${registry.host}/test/busybox:small`);
    expect(image.id).toBe(small.manifest.config.digest);
  });

  it('reports a server dying mid-blob as REGISTRY_ERROR and stores no blob', async () => {
    const proxy = await startProxy(registry.host, (req) => (req.url?.endsWith(layerPath(small)) ? { action: 'truncate' } : { action: 'forward' }));
    proxies.push(proxy);
    const { store, home } = newStore();
    const err = await errorOf(store.pull(`${proxy.host}/test/busybox:small`));
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(files(join(home, 'content/sha256'))).not.toContain(small.manifest.layers[0]?.digest.slice(7));
    // It tried again from where the connection broke.
    expect(proxy.requests.some((r) => r.path.endsWith(layerPath(small)) && typeof r.headers.range === 'string')).toBe(true);

    const image = await store.pull(`${registry.host}/test/busybox:small`);
    expect(image.id).toBe(small.manifest.config.digest);
  });

  it('unpacks a layer while it downloads, and keeps nothing of it when the download then breaks off', async () => {
    // The registry sends half of the layer blob, then nothing more until the connection is closed.
    const proxy = await startProxy(registry.host, (req) => (req.url?.endsWith(layerPath(small)) ? { action: 'stall' } : { action: 'forward' }));
    const { store, dataRoot } = newStore();
    const pulling = errorOf(store.pull(`${proxy.host}/test/busybox:small`));
    const unpacking = join(dataRoot, 'layers', 'tmp');
    const unpacked = (): string[] => (existsSync(unpacking) ? readdirSync(unpacking).flatMap((dir) => readdirSync(join(unpacking, dir))) : []);
    // Bounded: 200 polls of 50 ms. Files of the first half are there before the download ends.
    for (let poll = 0; poll < 200 && unpacked().length === 0; poll++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unpacked()).toContain('bin');
    await proxy.close();
    expect((await pulling).code).toBe('REGISTRY_ERROR');
    expect(readdirSync(join(dataRoot, 'layers')).filter((name) => name !== 'tmp')).toEqual([]);
    expect(unpacked()).toEqual([]);
  });

  it('resumes a broken download with a Range request', async () => {
    let broken = 0;
    const proxy = await startProxy(registry.host, (req) => {
      if (req.url?.endsWith(layerPath(small)) && broken === 0) {
        broken++;
        return { action: 'truncate' };
      }
      return { action: 'forward' };
    });
    proxies.push(proxy);
    const { store } = newStore();
    const image = await store.pull(`${proxy.host}/test/busybox:small`);
    expect(image.id).toBe(small.manifest.config.digest);
    const blobRequests = proxy.requests.filter((r) => r.path.endsWith(layerPath(small)));
    expect(blobRequests).toHaveLength(2);
    expect(blobRequests[1]?.headers.range).toMatch(/^bytes=\d+-$/);
  });
});

describe('bearer token auth', () => {
  it('gets a token from the realm, retries, and keeps it from a redirect to another host', async () => {
    const tokens: { service: string | null; scopes: string[]; authorization: string | undefined }[] = [];
    const tokenServer = await startProxy(registry.host, (req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      tokens.push({ service: url.searchParams.get('service'), scopes: url.searchParams.getAll('scope'), authorization: req.headers.authorization });
      return { action: 'answer', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'sesame', expires_in: 300 }) };
    });
    proxies.push(tokenServer);
    // Blob downloads are sent on to a "storage" host that must never see the token.
    const storage = await startProxy(registry.host, () => ({ action: 'forward' }));
    proxies.push(storage);
    const front = await startProxy(registry.host, (req): ProxyDecision => {
      if (req.headers.authorization !== 'Bearer sesame') {
        return {
          action: 'answer',
          status: 401,
          headers: {
            'www-authenticate': `Bearer realm="http://${tokenServer.host}/token",service="berth-test",scope="repository:test/busybox:pull"`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
        };
      }
      if (req.url?.includes('/blobs/')) return { action: 'answer', status: 307, headers: { location: `http://${storage.host}${req.url}` } };
      return { action: 'forward' };
    });
    proxies.push(front);

    const { store } = newStore({ credentials: async (domain) => (domain === front.host ? { username: 'me', password: 'secret' } : undefined) });
    const image = await store.pull(`${front.host}/test/busybox:small`);
    expect(image.id).toBe(small.manifest.config.digest);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens[0]).toMatchObject({ service: 'berth-test', scopes: ['repository:test/busybox:pull'] });
    expect(tokens[0]?.authorization).toBe(`Basic ${Buffer.from('me:secret').toString('base64')}`);
    expect(storage.requests.length).toBeGreaterThan(0);
    expect(storage.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(front.requests.some((r) => r.headers.authorization === 'Bearer sesame')).toBe(true);
  });

  it('reports a refused token as REGISTRY_UNAUTHORIZED', async () => {
    const tokenServer = await startProxy(registry.host, () => ({ action: 'answer', status: 401, body: '{}' }));
    proxies.push(tokenServer);
    const front = await startProxy(registry.host, () => ({
      action: 'answer',
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="http://${tokenServer.host}/token",service="s"` },
    }));
    proxies.push(front);
    const { store } = newStore();
    const err = await errorOf(store.pull(`${front.host}/test/busybox:small`));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toContain(front.host);
  });
});

describe('pushing with bearer tokens', () => {
  it('asks the token server for a push scope, sends the blobs under it, and checks a login without a scope', async () => {
    const tokens: { scopes: string[]; account: string | null; authorization: string | undefined }[] = [];
    const tokenServer = await startProxy(registry.host, (req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      tokens.push({ scopes: url.searchParams.getAll('scope'), account: url.searchParams.get('account'), authorization: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from('me:secret').toString('base64')}`) return { action: 'answer', status: 401, body: '{}' };
      const token = url.searchParams.getAll('scope').some((scope) => scope.endsWith(':pull,push')) ? 'may-push' : 'may-pull';
      return { action: 'answer', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) };
    });
    proxies.push(tokenServer);
    const front = await startProxy(registry.host, (req): ProxyDecision => {
      const reads = req.method === 'GET' || req.method === 'HEAD';
      if (req.headers.authorization === 'Bearer may-push' || (reads && req.headers.authorization === 'Bearer may-pull')) return { action: 'forward' };
      return {
        action: 'answer',
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="http://${tokenServer.host}/token",service="berth-test"`, 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
      };
    });
    proxies.push(front);

    const { store } = newStore();
    const image = await store.pull(`${registry.host}/test/busybox:small`);
    await store.tag(image.id, [`${front.host}/test/pushed:1`]);
    const refused = await errorOf(store.push(`${front.host}/test/pushed:1`));
    expect(refused.code).toBe('REGISTRY_UNAUTHORIZED');

    const statuses: string[] = [];
    const pushed = await store.push(`${front.host}/test/pushed:1`, (p) => statuses.push(p.status), { username: 'me', password: 'secret' });
    expect(pushed.digest).toBe(image.manifestDigest);
    expect(statuses).toContain('pushed');
    expect(tokens.some((t) => t.scopes.includes('repository:test/pushed:pull,push') && t.authorization?.startsWith('Basic '))).toBe(true);
    const back = await newStore().store.pull(`${registry.host}/test/pushed:1`);
    expect(back.id).toBe(image.id);

    tokens.length = 0;
    await store.checkLogin(front.host, { username: 'me', password: 'secret' });
    expect(tokens).toEqual([{ scopes: [], account: 'me', authorization: `Basic ${Buffer.from('me:secret').toString('base64')}` }]);
    const wrong = await errorOf(store.checkLogin(front.host, { username: 'me', password: 'nope' }));
    expect(wrong.code).toBe('REGISTRY_UNAUTHORIZED');
  });
});

describe('loading archives', () => {
  it('loads an OCI archive offline, naming tag-only images after the repository asked for', async () => {
    const archive = join(root, 'small.oci.tar');
    await exportOciArchive(layout, 'small', archive);
    const { store, dataRoot } = newStore();
    const [unnamed] = await store.load(archive);
    expect(unnamed?.id).toBe(small.manifest.config.digest);
    expect(unnamed?.names).toEqual([]);
    const [named] = await store.load(archive, { repository: 'docker.io/library/hello' });
    expect(named?.names).toEqual(['docker.io/library/hello:small']);
    expect(existsSync(join(store.layerPaths(named!)[0] as string, 'bin/busybox'))).toBe(true);
    expect(files(join(dataRoot, 'layers')).filter((n) => n !== 'tmp')).toHaveLength(1);
  });

  it('loads a bundled image for ensure without any registry', async () => {
    const archive = join(root, 'bundled.oci.tar');
    await exportOciArchive(layout, 'small', archive);
    const { store } = newStore({ bundled: { 'berth/hello:small': archive } });
    const image = await store.ensure('berth/hello:small', 'missing');
    expect(image.names).toEqual(['docker.io/berth/hello:small']);
    expect((await store.ensure('docker.io/berth/hello:small', 'never')).id).toBe(image.id);
  });

  it('pulls a bundled reference from its archive and anything else from the registry', async () => {
    const archive = join(root, 'bundled-hello.oci.tar');
    await exportOciArchive(layout, 'small', archive);
    // docker.io is never reachable from tests: a pull that went there would fail.
    const { store } = newStore({ bundled: { 'docker.io/library/hello:latest': archive } });
    const hello = await store.pull('hello');
    expect(hello.id).toBe(small.manifest.config.digest);
    expect(hello.names).toContain('docker.io/library/hello:latest');
    expect(existsSync(join(store.layerPaths(hello)[0] as string, 'bin/busybox'))).toBe(true);
    expect((await store.pull('docker.io/library/hello:latest')).id).toBe(hello.id);

    const pulled = await store.pull(`${registry.host}/test/busybox:other`);
    expect(pulled.id).toBe(other.manifest.config.digest);
    expect(pulled.names).toEqual([`${registry.host}/test/busybox:other`]);
  });

  it('holds an image a run has resolved against remove and prune until its container is recorded, then lets them take it', async () => {
    const { store } = newStore();
    const tag = `${registry.host}/test/busybox:small`;
    const { image, release } = await store.ensureHeld(tag, 'missing');
    const unused = () => false;
    // Nothing records a container yet, and still neither an rmi nor a prune -a takes the image.
    expect((await errorOf(store.remove(image.id, unused))).code).toBe('IMAGE_IN_USE');
    expect((await store.prune({ all: true, dryRun: false }, unused)).removed).toEqual([]);
    expect((await store.resolve(image.id))?.id).toBe(image.id);
    // Two runs of one image: it is free once both are through, and a release twice counts once.
    const second = await store.ensureHeld(image.id, 'missing');
    release();
    release();
    expect((await errorOf(store.remove(image.id, unused))).code).toBe('IMAGE_IN_USE');
    second.release();
    expect((await store.remove(tag, unused)).names).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('ensures again an image removed before a run could hold it', async () => {
    const { store } = newStore();
    const tag = `${registry.host}/test/busybox:small`;
    await store.pull(tag);
    // The remove is queued first, so it runs between the run's resolving the image and its hold.
    const [removed, held] = await Promise.all([store.remove(tag, () => false), store.ensureHeld(tag, 'missing')]);
    expect(removed.names).toEqual([]);
    expect((await store.resolve(held.image.id))?.names).toEqual([tag]);
    held.release();
  });
});
