import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { makeTar, packFiles, sha256, type TestEntry } from '../../e2e/fixtures/tar-builder.js';
import type { BerthError } from '../../shared/berth-error.js';
import type { ErrorCode } from '../../shared/errors.js';
import { LocalHost } from '../host/local/local-host.js';
import { EXPANSION_RATIO_FLOOR_BYTES, MAX_EXPANSION_RATIO } from './decompress.js';
import { MAX_ZSTD_WINDOW_BYTES } from './zstd-stream.js';
import { ImageStore } from './image-store.js';
import { MAX_DOCUMENT_BYTES, MediaType } from './manifest.js';

/*
 * Hostile images end to end: each is served by a real registry (or, where a real registry would
 * refuse to hold it, by a small v2 server below) and pulled, or loaded from an OCI archive, into
 * one store. Every refusal must be one clear line; afterwards nothing may exist outside the store,
 * the store holds nothing half done or of the refused image, and a good image still pulls.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TAG = 'v1';
// Bombs expand to this much: far past the ratio floor, and more than a test machine should write.
const BOMB_BYTES = 10 * GiB;
const BOMB_MEMBER_BYTES = 64 * MiB;
// What the v2 server streams for oversized documents: more than a client that buffers could hide.
const HUGE_DOCUMENT_BYTES = 64 * MiB;
// A hang bound for tests that push a GiB through gunzip, sha256 and tar on a shared machine.
const BOMB_TIMEOUT_MS = 240_000;

let root: string;
let outside: string;
let escapeTarget: string;
let etcProbe: string;
let archives: string;
let home: string;
let dataRoot: string;
let store: ImageStore;
let registry: TestRegistry;
let hostile: HostileServer;
let goodReference: string;
let rootEntries: string[];
let passwd: { content: Buffer; nlink: number };

/** A path that climbs out of any directory and lands on `absolute`. */
function climbTo(absolute: string, levels = 16): string {
  return '../'.repeat(levels) + absolute.replace(/^\/+/, '');
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function expectOneClearLine(err: BerthError, code: ErrorCode, pattern: RegExp): void {
  expect(err.code).toBe(code);
  expect(err.message).toMatch(pattern);
  expect(err.message).not.toMatch(/[\n\r]/);
  expect(err.message.length).toBeLessThan(400);
}

/**
 * Nothing outside the store changed; the store holds no image, blob, layer or temp file (every
 * test leaves it empty); and a good image still pulls, lists and unpacks, then goes cleanly.
 */
async function expectIntact(): Promise<void> {
  expect(entries(outside)).toEqual(['keep']);
  expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('untouched');
  expect(statSync(join(outside, 'keep')).nlink).toBe(1);
  expect(existsSync(etcProbe)).toBe(false);
  expect(readFileSync('/etc/passwd')).toEqual(passwd.content);
  expect(statSync('/etc/passwd').nlink).toBe(passwd.nlink);
  expect(entries(root)).toEqual(rootEntries);

  expect(await store.list()).toEqual([]);
  expect(entries(join(home, 'content/sha256'))).toEqual([]);
  expect(entries(join(home, 'content/ingest'))).toEqual([]);
  expect(entries(join(dataRoot, 'layers/tmp'))).toEqual([]);
  expect(entries(join(dataRoot, 'layers')).filter((name) => name !== 'tmp')).toEqual([]);

  const good = await store.pull(goodReference);
  expect((await store.list()).map((image) => image.names)).toEqual([[goodReference]]);
  expect(existsSync(join(store.layerPaths(good)[0] as string, 'bin/busybox'))).toBe(true);
  await store.remove(goodReference);
  expect(entries(join(home, 'content/sha256'))).toEqual([]);
  expect(entries(join(dataRoot, 'layers')).filter((name) => name !== 'tmp')).toEqual([]);
}

// ---- images -------------------------------------------------------------------------------

interface Layer {
  blob: Buffer;
  diffId: string;
  mediaType?: string;
}

interface Parts {
  config: Buffer;
  manifest: Buffer;
  layers: Layer[];
}

async function gzipLayer(list: TestEntry[]): Promise<Layer> {
  const plain = await makeTar(list);
  return { blob: gzipSync(plain), diffId: sha256(plain) };
}

function configFor(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], ...extra }, rootfs: { type: 'layers', diff_ids: diffIds } }));
}

function manifestFor(config: Buffer, layers: Layer[], configSize = config.length): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: configSize },
      layers: layers.map((layer) => ({ mediaType: layer.mediaType ?? MediaType.ociLayerGzip, digest: sha256(layer.blob), size: layer.blob.length })),
    }),
  );
}

function imageOf(layers: Layer[], config = configFor(layers.map((layer) => layer.diffId))): Parts {
  return { config, manifest: manifestFor(config, layers), layers };
}

// ---- the real registry, pushed to through the distribution API -----------------------------

function send(method: string, url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function uploadBlob(repository: string, bytes: Buffer): Promise<void> {
  const started = await send('POST', `http://${registry.host}/v2/${repository}/blobs/uploads/`, '');
  if (started.status !== 202 || !started.location) throw new Error(`upload did not start: ${started.status}`);
  const location = new URL(started.location, `http://${registry.host}`);
  location.searchParams.set('digest', sha256(bytes));
  const done = await send('PUT', location.toString(), bytes, { 'content-type': 'application/octet-stream' });
  if (done.status !== 201) throw new Error(`upload failed: ${done.status}`);
}

/** Pushes the image as `repository:v1`; the registry checks blob digests, never layer contents. */
async function push(repository: string, parts: Parts): Promise<string> {
  for (const layer of parts.layers) await uploadBlob(repository, layer.blob);
  await uploadBlob(repository, parts.config);
  const put = await send('PUT', `http://${registry.host}/v2/${repository}/manifests/${TAG}`, parts.manifest, { 'content-type': MediaType.ociManifest });
  if (put.status !== 201) throw new Error(`manifest push failed: ${put.status}`);
  return `${registry.host}/${repository}:${TAG}`;
}

// ---- a v2 server for what a real registry will not hold ------------------------------------

interface Streamed {
  /** Body bytes the client took before it hung up. */
  written: number;
  finished: boolean;
}

interface HostileServer {
  host: string;
  routes: Map<string, (response: http.ServerResponse) => void>;
  close(): Promise<void>;
}

async function startHostileServer(): Promise<HostileServer> {
  const routes = new Map<string, (response: http.ServerResponse) => void>();
  const server = http.createServer((request, response) => {
    request.resume();
    if (request.url === '/v2/') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
      return;
    }
    const route = request.method === 'GET' ? routes.get(request.url ?? '') : undefined;
    if (!route) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"errors":[{"code":"NOT_FOUND"}]}');
      return;
    }
    route(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function bytesRoute(body: Buffer, contentType = 'application/octet-stream'): (response: http.ServerResponse) => void {
  return (response) => {
    response.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
    response.end(body);
  };
}

/** Streams `total` bytes of JSON-ish padding, made as they are sent, counting what got out. */
function hugeRoute(total: number, declareLength: boolean, stats: Streamed): (response: http.ServerResponse) => void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return (response) => {
    response.writeHead(200, { 'content-type': MediaType.ociManifest, ...(declareLength ? { 'content-length': String(total) } : {}) });
    let closed = false;
    response.on('close', () => (closed = true));
    const more = (): void => {
      while (!closed && stats.written < total) {
        stats.written += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', more);
          return;
        }
      }
      if (closed) return;
      stats.finished = true;
      response.end();
    };
    more();
  };
}

/** Serves the image as `repository:v1` and its manifest by digest, blobs as `blobs` overrides. */
function serve(repository: string, parts: Parts, blobs: Record<string, Buffer> = {}): string {
  const base = `/v2/${repository}`;
  hostile.routes.set(`${base}/manifests/${TAG}`, bytesRoute(parts.manifest, MediaType.ociManifest));
  hostile.routes.set(`${base}/manifests/${sha256(parts.manifest)}`, bytesRoute(parts.manifest, MediaType.ociManifest));
  for (const blob of [parts.config, ...parts.layers.map((layer) => layer.blob)]) {
    hostile.routes.set(`${base}/blobs/${sha256(blob)}`, bytesRoute(blobs[sha256(blob)] ?? blob));
  }
  return `${hostile.host}/${repository}:${TAG}`;
}

// ---- OCI archives --------------------------------------------------------------------------


/** An OCI archive of the image, named `hostile/<name>:v1`; `blobs` overrides a blob's bytes. */
async function archiveOf(name: string, parts: Parts, blobs: Record<string, Buffer> = {}): Promise<string> {
  const files: Record<string, Buffer | string> = {
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: sha256(parts.manifest),
          size: parts.manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': `hostile/${name}:${TAG}` },
        },
      ],
    }),
  };
  for (const blob of [parts.manifest, parts.config, ...parts.layers.map((layer) => layer.blob)]) {
    files[`blobs/sha256/${sha256(blob).slice(7)}`] = blobs[sha256(blob)] ?? blob;
  }
  const path = join(archives, `${name}.tar`);
  writeFileSync(path, await packFiles(files));
  return path;
}

// ---- bombs ---------------------------------------------------------------------------------

/** The 512-byte tar header of a file `size` bytes long (base-256 size past 8 GiB, as GNU tar reads it). */
async function tarHeader(name: string, size: number): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, size, mode: 0o644, mtime: new Date(0) });
  const first = await pack[Symbol.asyncIterator]().next();
  pack.destroy();
  return Buffer.from(first.value as Uint8Array);
}

/**
 * A gzip stream of a tar whose one file is `BOMB_BYTES` of zeros: gzip members may follow one
 * another, so one member of 64 MiB of zeros, repeated, makes ~10 MiB that inflate to 10 GiB.
 */
async function gzipBomb(name: string): Promise<Buffer> {
  const zeros = gzipSync(Buffer.alloc(BOMB_MEMBER_BYTES), { level: 9 });
  return Buffer.concat([gzipSync(await tarHeader(name, BOMB_BYTES)), ...Array<Buffer>(BOMB_BYTES / BOMB_MEMBER_BYTES).fill(zeros)]);
}

/** The same in zstd: frames may follow one another too. */
async function zstdBomb(name: string): Promise<Buffer> {
  const zstd = (input: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input, maxBuffer: 64 * MiB });
  const zeros = zstd(Buffer.alloc(BOMB_MEMBER_BYTES));
  return Buffer.concat([zstd(await tarHeader(name, BOMB_BYTES)), ...Array<Buffer>(BOMB_BYTES / BOMB_MEMBER_BYTES).fill(zeros)]);
}

/**
 * A zstd frame of a few bytes whose header asks for a ~1.9 GiB window, then RLE blocks: a decoder
 * would allocate the window up front.
 */
function zstdWindowBomb(blocks: number): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 << 3) | 7]);
  const block = (last: boolean): Buffer => {
    const value = (128 * 1024 * 8) | (1 << 1) | (last ? 1 : 0);
    return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0]);
  };
  return Buffer.concat([header, ...Array.from({ length: blocks }, (_, i) => block(i === blocks - 1))]);
}

// ---- setup ---------------------------------------------------------------------------------

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
  outside = join(root, 'outside');
  escapeTarget = join(outside, 'escape-target');
  etcProbe = `/etc/${root.split('/').pop() ?? 'berth-hostile'}`;
  archives = join(root, 'archives');
  home = join(root, 'store/home');
  dataRoot = join(root, 'store/data');
  for (const dir of [outside, archives, home, dataRoot, join(root, 'capped')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(outside, 'keep'), 'untouched');
  passwd = { content: readFileSync('/etc/passwd'), nlink: statSync('/etc/passwd').nlink };
  store = new ImageStore({ host: new LocalHost(dataRoot), home, platform: { os: 'linux', architecture: 'amd64' } });

  const layout = join(root, 'layout');
  await buildBusyboxImage(layout, 'good', { cmd: ['sh'] });
  registry = await startRegistry();
  goodReference = await registry.push(layout, 'good', 'good/app');
  hostile = await startHostileServer();
  rootEntries = entries(root);
});

afterAll(async () => {
  await hostile?.close();
  await registry?.stop();
  // Layer dirs may hold odd modes and whiteout devices: rm as root removes them.
  if (root) execFileSync('rm', ['-rf', root]);
  if (etcProbe) execFileSync('rm', ['-f', etcProbe]);
});

// ---- layer contents ------------------------------------------------------------------------

/** Pulls and loads a layer the policy must refuse, checking the store after each. */
async function expectLayerRefused(name: string, list: TestEntry[], pattern: RegExp): Promise<void> {
  const parts = imageOf([await gzipLayer(list)]);
  const pulled = await errorOf(store.pull(await push(`hostile/${name}`, parts)));
  expectOneClearLine(pulled, 'UNSAFE_LAYER', pattern);
  await expectIntact();

  const loaded = await errorOf(store.load(await archiveOf(name, parts)));
  expectOneClearLine(loaded, 'UNSAFE_LAYER', pattern);
  await expectIntact();
}

/** Pulls and loads a layer the policy tames rather than refuses; `check` sees its unpacked dir. */
async function expectLayerTamed(name: string, layers: Layer[], check: (dirs: string[]) => void): Promise<void> {
  const parts = imageOf(layers);
  const reference = await push(`hostile/${name}`, parts);
  const pulled = await store.pull(reference);
  check(store.layerPaths(pulled));
  await store.remove(reference);
  await expectIntact();

  const [loaded] = await store.load(await archiveOf(name, parts));
  expect(loaded?.names).toEqual([`docker.io/hostile/${name}:${TAG}`]);
  check(store.layerPaths(loaded!));
  await store.remove(loaded!.id);
  await expectIntact();
}

describe('layer entries that reach outside the layer are refused', () => {
  it.each([
    ['dotdot', () => [{ name: 'ok', content: 'fine' }, { name: climbTo(escapeTarget), content: 'escaped' }]],
    ['dotdot-mid-path', () => [{ name: `ok/${'../'.repeat(16)}${escapeTarget.slice(1)}`, content: 'escaped' }]],
    // Too long for ustar: the name travels in a pax record, which tar-stream applies first.
    ['dotdot-pax', () => [{ name: climbTo(escapeTarget, 100), content: 'escaped' }]],
    ['dotdot-newline', () => [{ name: `../escape\nINFO all good`, content: 'escaped' }]],
    ['dotdot-dir', () => [{ name: `${climbTo(outside)}/made/`, type: 'directory' as const }]],
  ])('%s: a ../ path', async (name, list) => {
    await expectLayerRefused(name, list(), /^unsafe entry ".*" in layer [0-9a-f]{12} of .*: path escapes the layer through "\.\."$/);
  });

  it.each([
    ['symlink-absolute', () => [{ name: 'esc', type: 'symlink' as const, linkname: outside }, { name: 'esc/escape-target', content: 'escaped' }]],
    ['symlink-relative', () => [{ name: 'esc', type: 'symlink' as const, linkname: climbTo(outside) }, { name: 'esc/escape-target', content: 'escaped' }]],
    ['symlink-dir', () => [{ name: 'esc', type: 'symlink' as const, linkname: outside }, { name: 'esc/made/', type: 'directory' as const }]],
    [
      'symlink-hardlink',
      () => [{ name: 'f', content: 'x' }, { name: 'esc', type: 'symlink' as const, linkname: outside }, { name: 'esc/escape-target', type: 'link' as const, linkname: 'f' }],
    ],
    ['symlink-whiteout', () => [{ name: 'esc', type: 'symlink' as const, linkname: outside }, { name: 'esc/.wh.keep' }]],
  ])('%s: a write through a symlink of the layer', async (name, list) => {
    await expectLayerRefused(name, list(), /: path goes through the symlink "esc" of the same layer$/);
  });

  it('a hard link whose target goes through a symlink', async () => {
    await expectLayerRefused(
      'hardlink-via-symlink',
      [{ name: 'esc', type: 'symlink', linkname: '/etc' }, { name: 'stolen', type: 'link', linkname: 'esc/passwd' }],
      /^unsafe entry "stolen" in .*: path goes through the symlink "esc" of the same layer$/,
    );
  });

  it('a symlink replaced by a file (GNU tar would write through it at the end)', async () => {
    await expectLayerRefused(
      'symlink-replaced',
      [{ name: 'esc', type: 'symlink', linkname: escapeTarget }, { name: 'esc', content: 'escaped' }],
      /^unsafe entry "esc" in .*: it replaces a symlink of the same layer$/,
    );
  });

  it.each([
    ['hardlink-etc-passwd', () => '/etc/passwd', /hard link target "\/etc\/passwd" is not an earlier entry of the layer$/],
    ['hardlink-dotdot', () => climbTo(join(outside, 'keep')), /hard link target "(\.\.\/)+.*" escapes the layer$/],
  ])('%s: a hard link to a file outside the layer', async (name, target, pattern) => {
    await expectLayerRefused(name, [{ name: 'stolen', type: 'link', linkname: target() }], pattern);
  });

  it.each([
    ['truncated-gzip', (plain: Buffer) => gzipSync(plain).subarray(0, 300 * 1024)],
    ['truncated-tar', (plain: Buffer) => plain.subarray(0, 300 * 1024)],
  ])('%s: a layer that breaks off in the middle of a file', async (name, cut) => {
    // The blob is what its digest says; only its contents end early. This once escaped as an
    // uncaught exception (the tar entry being written had no error listener).
    const plain = await makeTar([{ name: 'big.bin', content: randomBytes(1 * MiB) }]);
    const layer: Layer = { blob: cut(plain), diffId: sha256(plain) };
    const parts = imageOf([layer]);
    const pattern = /^layer [0-9a-f]{12} of .* (could not be read|is not a valid layer): .*(unexpected end of file|Unexpected end of data)$/;
    expectOneClearLine(await errorOf(store.pull(await push(`hostile/${name}`, parts))), 'UNSAFE_LAYER', pattern);
    await expectIntact();
    expectOneClearLine(await errorOf(store.load(await archiveOf(name, parts))), 'UNSAFE_LAYER', pattern);
    await expectIntact();
  });

  it('an invalid whiteout', async () => {
    await expectLayerRefused('whiteout-dot', [{ name: 'etc/.wh..' }], /: whiteout names no file$/);
  });
});

describe('layer entries the policy tames stay inside the layer', () => {
  it('absolute paths land under the layer directory', async () => {
    const layer = await gzipLayer([
      { name: escapeTarget, content: 'inside' },
      { name: etcProbe, content: 'inside' },
    ]);
    await expectLayerTamed('absolute', [layer], ([dir]) => {
      expect(readFileSync(join(dir as string, escapeTarget), 'utf8')).toBe('inside');
      expect(readFileSync(join(dir as string, etcProbe), 'utf8')).toBe('inside');
      expect(existsSync(escapeTarget)).toBe(false);
      expect(existsSync(etcProbe)).toBe(false);
    });
  });

  it('device nodes and fifos are dropped, with hard links to them', async () => {
    const layer = await gzipLayer([
      { name: 'dev/', type: 'directory' },
      { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'dev/pipe', type: 'fifo' },
      { name: 'disk', type: 'link', linkname: 'dev/sda' },
      { name: escapeTarget, type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'dev/regular', content: 'kept' },
    ]);
    await expectLayerTamed('devices', [layer], ([dir]) => {
      expect(entries(join(dir as string, 'dev'))).toEqual(['regular']);
      expect(existsSync(join(dir as string, 'disk'))).toBe(false);
      expect(existsSync(join(dir as string, escapeTarget))).toBe(false);
    });
  });

  it('setuid and setgid bits are kept (the policy: images need su and ping), inside the layer only', async () => {
    const layer = await gzipLayer([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/su', mode: 0o4755, content: 'su' },
      { name: 'bin/wall', mode: 0o2755, content: 'wall' },
    ]);
    await expectLayerTamed('setuid', [layer], ([dir]) => {
      expect(statSync(join(dir as string, 'bin/su')).mode & 0o7777).toBe(0o4755);
      expect(statSync(join(dir as string, 'bin/wall')).mode & 0o7777).toBe(0o2755);
    });
  });

  it("a symlink out of one layer is not followed by the next layer's files", async () => {
    // Each layer unpacks into an empty directory of its own, so no earlier symlink is there to follow.
    const lower = await gzipLayer([{ name: 'esc', type: 'symlink', linkname: outside }]);
    const upper = await gzipLayer([{ name: 'esc/', type: 'directory' }, { name: 'esc/escape-target', content: 'inside' }]);
    await expectLayerTamed('symlink-across-layers', [lower, upper], ([bottom, top]) => {
      expect(lstatSync(join(bottom as string, 'esc')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(top as string, 'esc/escape-target'), 'utf8')).toBe('inside');
      expect(existsSync(escapeTarget)).toBe(false);
    });
  });
});

// ---- documents -----------------------------------------------------------------------------

describe('manifests and configs over the size limit are refused without being buffered', () => {
  const limitText = `larger than the ${MAX_DOCUMENT_BYTES} bytes allowed`;

  it.each([
    ['with a content-length', true],
    ['chunked', false],
  ])('a 64 MiB manifest, %s', async (_how, declareLength) => {
    const stats: Streamed = { written: 0, finished: false };
    const repository = `huge/manifest-${declareLength ? 'declared' : 'chunked'}`;
    hostile.routes.set(`/v2/${repository}/manifests/${TAG}`, hugeRoute(HUGE_DOCUMENT_BYTES, declareLength, stats));
    const err = await errorOf(store.pull(`${hostile.host}/${repository}:${TAG}`));
    expectOneClearLine(err, 'REGISTRY_ERROR', new RegExp(`^manifest of .*${repository}:${TAG} is ${limitText}$`));
    // The client hung up long before the end: it never held the whole document.
    expect(stats.finished).toBe(false);
    expect(stats.written).toBeLessThan(HUGE_DOCUMENT_BYTES / 2);
    await expectIntact();
  });

  it('a 64 MiB manifest an index points at', async () => {
    const stats: Streamed = { written: 0, finished: false };
    const target = `sha256:${'ab'.repeat(32)}`;
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: target, size: HUGE_DOCUMENT_BYTES, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    hostile.routes.set(`/v2/huge/index/manifests/${TAG}`, bytesRoute(Buffer.from(index), MediaType.ociIndex));
    hostile.routes.set(`/v2/huge/index/manifests/${target}`, hugeRoute(HUGE_DOCUMENT_BYTES, false, stats));
    const err = await errorOf(store.pull(`${hostile.host}/huge/index:${TAG}`));
    expectOneClearLine(err, 'REGISTRY_ERROR', new RegExp(`^manifest of .* is ${limitText}$`));
    expect(stats.written).toBeLessThan(HUGE_DOCUMENT_BYTES / 2);
    await expectIntact();
  });

  it('a 10 MiB config its descriptor owns up to, from a real registry: refused before it is asked for', async () => {
    const layer = await gzipLayer([{ name: 'f', content: 'x' }]);
    const config = configFor([layer.diffId], { Labels: { padding: 'x'.repeat(10 * MiB) } });
    const err = await errorOf(store.pull(await push('huge/config', imageOf([layer], config))));
    expectOneClearLine(err, 'REGISTRY_ERROR', new RegExp(`^config of .*huge/config:${TAG} is ${limitText} \\(its descriptor says ${config.length}\\)$`));
    await expectIntact();
  });

  it('a config that runs past its descriptor to 64 MiB', async () => {
    const stats: Streamed = { written: 0, finished: false };
    const layer = await gzipLayer([{ name: 'f', content: 'x' }]);
    const parts = imageOf([layer]);
    serve('huge/lying-config', parts);
    hostile.routes.set(`/v2/huge/lying-config/blobs/${sha256(parts.config)}`, hugeRoute(HUGE_DOCUMENT_BYTES, false, stats));
    const err = await errorOf(store.pull(`${hostile.host}/huge/lying-config:${TAG}`));
    expectOneClearLine(err, 'REGISTRY_ERROR', new RegExp(`^config of .* is ${limitText}$`));
    expect(stats.written).toBeLessThan(HUGE_DOCUMENT_BYTES / 2);
    await expectIntact();
  });

  it.each([
    ['manifest', (parts: Parts) => ({ ...parts, manifest: Buffer.concat([parts.manifest.subarray(0, -1), Buffer.alloc(10 * MiB, 0x20), Buffer.from('}')]) })],
    ['config', (parts: Parts) => imageOf(parts.layers, configFor([parts.layers[0]?.diffId ?? ''], { Labels: { padding: 'x'.repeat(10 * MiB) } }))],
  ])('a 10 MiB %s in an archive', async (what, inflate) => {
    const parts = inflate(imageOf([await gzipLayer([{ name: 'f', content: 'x' }])]));
    const err = await errorOf(store.load(await archiveOf(`huge-${what}`, parts)));
    expectOneClearLine(err, 'INVALID_ARGUMENT', /^archive huge-\w+\.tar: sha256:[0-9a-f]{64} is larger than the \d+ bytes allowed for a manifest or config$/);
    await expectIntact();
  });
});

// ---- digests -------------------------------------------------------------------------------

describe('blobs that do not match their digest are refused and leave nothing behind', () => {
  it('a layer whose bytes are not the ones its digest names', async () => {
    const layer = await gzipLayer([{ name: 'f', content: 'the real layer' }]);
    const spoiled = Buffer.from(layer.blob);
    spoiled[spoiled.length >> 1] = (spoiled[spoiled.length >> 1] ?? 0) ^ 0xff;
    const reference = serve('digest/layer', imageOf([layer]), { [sha256(layer.blob)]: spoiled });
    const err = await errorOf(store.pull(reference));
    expectOneClearLine(err, 'DIGEST_MISMATCH', new RegExp(`^layer [0-9a-f]{12} of .* hashes to ${sha256(spoiled)}, not ${sha256(layer.blob)}$`));
    await expectIntact();
  });

  it('a layer that runs past the size its descriptor gives', async () => {
    const layer = await gzipLayer([{ name: 'f', content: 'the real layer' }]);
    const reference = serve('digest/longer', imageOf([layer]), { [sha256(layer.blob)]: Buffer.concat([layer.blob, Buffer.alloc(1 * MiB)]) });
    const err = await errorOf(store.pull(reference));
    expectOneClearLine(err, 'DIGEST_MISMATCH', new RegExp(`^layer [0-9a-f]{12} of .* is larger than the ${layer.blob.length} bytes its descriptor says$`));
    await expectIntact();
  });

  it('a config whose bytes are not the ones its digest names', async () => {
    const parts = imageOf([await gzipLayer([{ name: 'f', content: 'x' }])]);
    const reference = serve('digest/config', parts, { [sha256(parts.config)]: configFor([], { Cmd: ['evil'] }) });
    const err = await errorOf(store.pull(reference));
    expectOneClearLine(err, 'DIGEST_MISMATCH', /^config of .* hashes to sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}$/);
    await expectIntact();
  });

  it('a manifest pulled by a digest it does not have', async () => {
    const parts = imageOf([await gzipLayer([{ name: 'f', content: 'x' }])]);
    serve('digest/manifest', parts);
    const claimed = `sha256:${'12'.repeat(32)}`;
    hostile.routes.set(`/v2/digest/manifest/manifests/${claimed}`, bytesRoute(parts.manifest, MediaType.ociManifest));
    const err = await errorOf(store.pull(`${hostile.host}/digest/manifest@${claimed}`));
    expectOneClearLine(err, 'DIGEST_MISMATCH', new RegExp(`^manifest of .* hashes to ${sha256(parts.manifest)}, not ${claimed}$`));
    await expectIntact();
  });

  it('a layer that unpacks to another diff id than its config promises, pulled and loaded', async () => {
    const layer = await gzipLayer([{ name: 'f', content: 'x' }]);
    const lie = sha256(Buffer.from('some other layer'));
    const parts = imageOf([layer], configFor([lie]));
    const pattern = new RegExp(`^layer [0-9a-f]{12} of .* unpacks to ${layer.diffId}, but its config promises ${lie}$`);
    expectOneClearLine(await errorOf(store.pull(await push('digest/diff-id', parts))), 'DIGEST_MISMATCH', pattern);
    await expectIntact();
    expectOneClearLine(await errorOf(store.load(await archiveOf('diff-id', parts))), 'DIGEST_MISMATCH', pattern);
    await expectIntact();
  });

  it('an archive blob whose bytes are not the ones its name says', async () => {
    const layer = await gzipLayer([{ name: 'f', content: 'x' }]);
    const parts = imageOf([layer]);
    const path = await archiveOf('digest-name', parts, { [sha256(layer.blob)]: gzipSync(Buffer.from('something else')) });
    const err = await errorOf(store.load(path));
    expectOneClearLine(err, 'DIGEST_MISMATCH', new RegExp(`^archive digest-name\\.tar: blobs/sha256/${sha256(layer.blob).slice(7)} hashes to sha256:[0-9a-f]{64}$`));
    await expectIntact();
  });
});

// ---- decompression bombs -------------------------------------------------------------------

describe('decompression bombs are refused before they fill the disk', () => {
  const bombPattern = new RegExp(`is a decompression bomb: .* of it expanded past ${EXPANSION_RATIO_FLOOR_BYTES / GiB} GiB, more than ${MAX_EXPANSION_RATIO} times as much$`);

  it('a 10 MiB gzip layer of 10 GiB of zeros, pulled and loaded', async () => {
    const bomb: Layer = { blob: await gzipBomb('zeros.bin'), diffId: sha256(Buffer.from('never known: the bomb is never read to its end')) };
    expect(bomb.blob.length).toBeLessThan(12 * MiB);
    const parts = imageOf([bomb]);
    const pulled = await errorOf(store.pull(await push('bomb/gzip', parts)));
    expectOneClearLine(pulled, 'UNSAFE_LAYER', new RegExp(`^layer [0-9a-f]{12} of .*bomb/gzip:${TAG} ${bombPattern.source}`));
    await expectIntact();
    const loaded = await errorOf(store.load(await archiveOf('bomb-gzip', parts)));
    expectOneClearLine(loaded, 'UNSAFE_LAYER', new RegExp(`^layer [0-9a-f]{12} of archive bomb-gzip\\.tar ${bombPattern.source}`));
    await expectIntact();
  }, BOMB_TIMEOUT_MS);

  it('a zstd layer of 10 GiB of zeros', async () => {
    const bomb: Layer = { blob: await zstdBomb('zeros.bin'), diffId: sha256(Buffer.from('never known')), mediaType: MediaType.ociLayerZstd };
    const err = await errorOf(store.pull(await push('bomb/zstd', imageOf([bomb]))));
    expectOneClearLine(err, 'UNSAFE_LAYER', new RegExp(`^layer [0-9a-f]{12} of .*bomb/zstd:${TAG} ${bombPattern.source}`));
    await expectIntact();
  }, BOMB_TIMEOUT_MS);

  it('a zstd layer of a few hundred bytes that asks for a 1.9 GiB window', async () => {
    const bomb: Layer = { blob: zstdWindowBomb(100), diffId: sha256(Buffer.from('never known')), mediaType: MediaType.ociLayerZstd };
    const err = await errorOf(store.pull(await push('bomb/zstd-window', imageOf([bomb]))));
    expectOneClearLine(err, 'UNSAFE_LAYER', new RegExp(`is zstd-compressed with a 1\\.9 GiB window, more than the ${MAX_ZSTD_WINDOW_BYTES / MiB} MiB Berth reads$`));
    await expectIntact();
  });

  it('multi-frame zstd with a skippable frame and checksums still reads', async () => {
    // The frame scanner the window check needs must not trip over what real zstd writers emit.
    const plain = await makeTar([{ name: 'a', content: 'first frame' }, { name: 'b', content: randomBytes(300 * 1024) }]);
    const cut = 1024;
    const zstd = (input: Buffer): Buffer => execFileSync('zstd', ['-q', '-c', '--check'], { input });
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
    const layer: Layer = { blob: Buffer.concat([zstd(plain.subarray(0, cut)), skippable, zstd(plain.subarray(cut))]), diffId: sha256(plain), mediaType: MediaType.ociLayerZstd };
    await expectLayerTamed('zstd-frames', [layer], ([dir]) => {
      expect(readFileSync(join(dir as string, 'a'), 'utf8')).toBe('first frame');
      expect(statSync(join(dir as string, 'b')).size).toBe(300 * 1024);
    });
  });

  it('a gzipped archive whose one file inflates to 10 GiB', async () => {
    const path = join(archives, 'bomb.tar.gz');
    writeFileSync(path, await gzipBomb(`blobs/sha256/${'00'.repeat(32)}`));
    const err = await errorOf(store.load(path));
    expectOneClearLine(err, 'UNSAFE_LAYER', new RegExp(`^archive bomb\\.tar\\.gz ${bombPattern.source}`));
    await expectIntact();
  }, BOMB_TIMEOUT_MS);

  it('a layer past the absolute limit a store is given, whatever its ratio', async () => {
    const capped = new ImageStore({
      host: new LocalHost(join(root, 'capped/data')),
      home: join(root, 'capped/home'),
      platform: { os: 'linux', architecture: 'amd64' },
      maxLayerBytes: 32 * MiB,
    });
    // Under the ratio floor: only the absolute limit can stop it.
    const layer = await gzipLayer([{ name: 'big.bin', content: Buffer.alloc(48 * MiB) }]);
    const err = await errorOf(capped.pull(await push('bomb/capped', imageOf([layer]))));
    expectOneClearLine(err, 'UNSAFE_LAYER', /^layer [0-9a-f]{12} of .* decompresses to more than 32 MiB, the limit for one layer$/);
    expect(entries(join(root, 'capped/data/layers')).filter((name) => name !== 'tmp')).toEqual([]);
    expect(entries(join(root, 'capped/data/layers/tmp'))).toEqual([]);
    expect(entries(join(root, 'capped/home/content/sha256'))).toEqual([]);
    expect(entries(join(root, 'capped/home/content/ingest'))).toEqual([]);
    await expectIntact();
  });
});
