import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, exportOciArchive, readLayoutBlob, readLayoutImage } from './oci-image.js';

interface TarItem {
  name: string;
  type: string;
  mode: number;
  linkname: string | null;
  content: Buffer;
}

async function listTar(tarBytes: Buffer): Promise<Map<string, TarItem>> {
  const items = new Map<string, TarItem>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) {
        if (chunk instanceof Uint8Array) parts.push(Buffer.from(chunk));
      }
      const { name, type, mode, linkname } = entry.header;
      items.set(name, { name, type, mode, linkname, content: Buffer.concat(parts) });
    }
  })();
  extract.end(tarBytes);
  await done;
  return items;
}

async function layerItems(layoutDir: string, digest: string): Promise<Map<string, TarItem>> {
  return listTar(gunzipSync(await readLayoutBlob(layoutDir, digest)));
}

describe('buildBusyboxImage', () => {
  let dir = '';
  let layout = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-oci-image-test-'));
    layout = join(dir, 'layout');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds an image with config, a busybox layer and a files layer', async () => {
    const started = performance.now();
    await buildBusyboxImage(layout, 'web', {
      cmd: ['httpd', '-f', '-p', '80'],
      env: ['GREETING=hi, there', 'MODE=a=b'],
      exposedPorts: ['80/tcp', '53/udp'],
      labels: { 'org.example.kind': 'fixture' },
      workingDir: '/var/www',
      user: 'nobody',
      stopSignal: 'SIGINT',
      files: { '/var/www/index.html': '<h1>hi</h1>\n', '/opt/data/blob.bin': Buffer.from([0, 1, 2, 255]) },
    });
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeLessThan(10_000);

    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { mediaType: string; annotations?: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name']).toBe('web');

    const { manifest, config } = await readLayoutImage(layout, 'web');
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(2);
    for (const layer of manifest.layers) expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');

    expect(config.os).toBe('linux');
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.config?.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(config.config?.Cmd).toEqual(['httpd', '-f', '-p', '80']);
    expect(config.config?.Entrypoint).toBeUndefined();
    expect(config.config?.Env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'GREETING=hi, there',
      'MODE=a=b',
    ]);
    expect(config.config?.Labels).toEqual({ 'org.example.kind': 'fixture' });
    expect(config.config?.WorkingDir).toBe('/var/www');
    expect(config.config?.User).toBe('nobody');
    expect(config.config?.StopSignal).toBe('SIGINT');

    const [baseDescriptor, filesDescriptor] = manifest.layers;
    const base = await layerItems(layout, baseDescriptor?.digest ?? '');
    expect(base.get('bin/busybox')?.type).toBe('file');
    expect(base.get('bin/busybox')?.mode).toBe(0o755);
    expect(base.get('bin/busybox')?.content.equals(await readFile('/bin/busybox'))).toBe(true);
    expect(base.get('bin/sh')).toMatchObject({ type: 'symlink', linkname: 'busybox' });
    expect(base.get('bin/httpd')).toMatchObject({ type: 'symlink', linkname: 'busybox' });
    expect(base.get('tmp/')?.mode).toBe(0o1777);
    expect(base.get('var/www/')?.type).toBe('directory');
    expect(base.get('etc/passwd')?.content.toString()).toMatch(/^root:x:0:0:.*\nnobody:x:65534:65534:/);
    expect(base.get('etc/group')?.content.toString()).toMatch(/^root:x:0:\nnobody:x:65534:/);

    const files = await layerItems(layout, filesDescriptor?.digest ?? '');
    expect(files.get('var/www/index.html')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(files.get('var/www/index.html')?.content.toString()).toBe('<h1>hi</h1>\n');
    expect(files.get('opt/data/blob.bin')?.content).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(files.get('opt/')?.type).toBe('directory');
    expect(files.get('var/')?.mode).toBe(0o755);
  });

  it('adds tags to the same layout, replaces a tag, and shares the base layer', async () => {
    await buildBusyboxImage(layout, 'plain', {});
    const plain = await readLayoutImage(layout, 'plain');
    expect(plain.manifest.layers).toHaveLength(1);
    expect(plain.config.config?.Cmd).toEqual(['sh']);

    const web = await readLayoutImage(layout, 'web');
    expect(web.manifest.layers[0]?.digest).toBe(plain.manifest.layers[0]?.digest);

    await buildBusyboxImage(layout, 'plain', { entrypoint: ['sleep'], cmd: ['1000'] });
    const replaced = await readLayoutImage(layout, 'plain');
    expect(replaced.config.config?.Entrypoint).toEqual(['sleep']);
    expect(replaced.config.config?.Cmd).toEqual(['1000']);

    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[];
    };
    const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort();
    expect(tags).toEqual(['plain', 'web']);
  });

  it('gives identical digests for identical specs', async () => {
    const spec = { cmd: ['echo', 'same'], files: { '/etc/motd': 'same\n' } };
    await Promise.all([buildBusyboxImage(layout, 'same-a', spec), buildBusyboxImage(layout, 'same-b', spec)]);
    const a = await readLayoutImage(layout, 'same-a');
    const b = await readLayoutImage(layout, 'same-b');
    expect(a.manifestDescriptor.digest).toBe(b.manifestDescriptor.digest);
  });

  it('rejects relative file paths and leaves the layout usable', async () => {
    await expect(buildBusyboxImage(layout, 'bad', { files: { 'etc/x': 'x' } })).rejects.toThrow(/absolute/);
    await expect(readLayoutImage(layout, 'bad')).rejects.toThrow(/no tag/);
  });

  it('exports an OCI archive', async () => {
    const archive = join(dir, 'out', 'web.oci.tar');
    await exportOciArchive(layout, 'web', archive);
    const items = await listTar(await readFile(archive));
    expect(items.has('oci-layout')).toBe(true);
    const index = JSON.parse(items.get('index.json')?.content.toString() ?? '{}') as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const web = await readLayoutImage(layout, 'web');
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]?.digest).toBe(web.manifestDescriptor.digest);
    expect(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name']).toBe('web');
    expect(items.has(`blobs/sha256/${web.manifest.config.digest.slice('sha256:'.length)}`)).toBe(true);
    expect((await stat(archive)).isFile()).toBe(true);
  });

  it('names the failed command', async () => {
    await expect(exportOciArchive(join(dir, 'missing'), 'x', join(dir, 'x.tar'))).rejects.toThrow(/skopeo copy/);
  });
});
