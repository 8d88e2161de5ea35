import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { packFiles } from '../../e2e/fixtures/tar-builder.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, exportOciArchive, readLayoutBlob, readLayoutImage, type LayoutImage } from '../../build/oci-image.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from './image-store.js';

let root: string;
let layout: string;
let image: LayoutImage;
let stores = 0;

function newStore(): { store: ImageStore; home: string } {
  const dir = join(root, `store-${stores++}`);
  const home = join(dir, 'home');
  return { store: new ImageStore({ host: new LocalHost(join(dir, 'data')), home }), home };
}


/** A `docker save` archive of the layout's image: legacy layout, uncompressed layer tars. */
async function dockerSave(repoTags: string[]): Promise<Buffer> {
  const files: Record<string, Buffer | string> = {};
  const layers: string[] = [];
  for (const [i, layer] of image.manifest.layers.entries()) {
    const dir = `layer${i}`;
    files[`${dir}/VERSION`] = '1.0';
    files[`${dir}/json`] = JSON.stringify({ id: dir });
    files[`${dir}/layer.tar`] = gunzipSync(await readLayoutBlob(layout, layer.digest));
    layers.push(`${dir}/layer.tar`);
  }
  const configName = `${image.manifest.config.digest.slice(7)}.json`;
  files[configName] = await readLayoutBlob(layout, image.manifest.config.digest);
  files['repositories'] = '{}';
  files['manifest.json'] = JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layers }]);
  return packFiles(files);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-load-'));
  layout = join(root, 'layout');
  await buildBusyboxImage(layout, 'v1', { cmd: ['echo', 'saved'], files: { '/srv/hello.txt': 'hello\n' } });
  image = await readLayoutImage(layout, 'v1');
});

afterAll(() => {
  if (root) execFileSync('rm', ['-rf', root]);
});

describe('docker save archives', () => {
  it('loads images with their RepoTags and drops the files no image uses', async () => {
    const archive = join(root, 'saved.tar');
    writeFileSync(archive, await dockerSave(['saved/app:v1', 'busybox:saved']));
    const { store, home } = newStore();
    const [loaded, ...rest] = await store.load(archive);
    expect(rest).toEqual([]);
    expect(loaded?.id).toBe(image.manifest.config.digest);
    expect(loaded?.names).toEqual(['docker.io/saved/app:v1', 'docker.io/library/busybox:saved']);
    expect(loaded?.layers).toEqual(image.config.rootfs.diff_ids);
    expect(loaded?.config.cmd).toEqual(['echo', 'saved']);
    const top = store.layerPaths(loaded!).at(-1) as string;
    expect(readFileSync(join(top, 'srv/hello.txt'), 'utf8')).toBe('hello\n');
    // Config, synthesised manifest and the layer tars; not VERSION, json or repositories.
    expect(readdirSync(join(home, 'content/sha256'))).toHaveLength(2 + image.manifest.layers.length);
    expect((await store.resolve('busybox:saved'))?.id).toBe(loaded?.id);
  });

  it('loads a gzipped archive', async () => {
    const archive = join(root, 'saved.tar.gz');
    writeFileSync(archive, gzipSync(await dockerSave(['zipped:v1'])));
    const { store } = newStore();
    const [loaded] = await store.load(archive);
    expect(loaded?.names).toEqual(['docker.io/library/zipped:v1']);
  });
});

describe('OCI archives', () => {
  it('refuses a blob whose content does not match its name, keeping nothing', async () => {
    const good = join(root, 'good.oci.tar');
    await exportOciArchive(layout, 'v1', good);
    const extract = tar.extract();
    const files: Record<string, Buffer> = {};
    const read = (async () => {
      for await (const entry of extract) {
        const parts: Buffer[] = [];
        for await (const chunk of entry) parts.push(Buffer.from(chunk as Uint8Array));
        if (entry.header.type === 'file') files[entry.header.name] = Buffer.concat(parts);
      }
    })();
    extract.end(readFileSync(good));
    await read;
    const config = `blobs/sha256/${image.manifest.config.digest.slice(7)}`;
    expect(files[config]).toBeDefined();
    files[config] = Buffer.from('{"tampered":true}');
    const bad = join(root, 'bad.oci.tar');
    writeFileSync(bad, await packFiles(files));

    const { store, home } = newStore();
    const err = await store.load(bad).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect((err as Error).message).toContain(config);
    expect(existsSync(join(home, 'content/sha256')) ? readdirSync(join(home, 'content/sha256')) : []).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('says what is wrong with a file that is no archive', async () => {
    const junk = join(root, 'junk.tar');
    writeFileSync(junk, 'not a tar at all, just some text that goes on for a while'.repeat(20));
    const err = await newStore().store.load(junk).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const missing = await newStore().store.load(join(root, 'nope.tar')).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((missing as Error).message).toContain('does not exist');
  });
});
