import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import tar from 'tar-stream';

export interface ImageSpec {
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  /** e.g. ['80/tcp'] */
  exposedPorts?: string[];
  labels?: Record<string, string>;
  /** absolute path inside the image -> content (mode 0644; parents created) */
  files?: Record<string, string | Buffer>;
  stopSignal?: string;
}

const BUSYBOX = '/bin/busybox';
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Fixed timestamps make identical specs produce identical digests, so rebuilds are no-ops downstream.
const EPOCH = '2000-01-01T00:00:00Z';
const EPOCH_DATE = new Date(EPOCH);

const BASE_DIRS: ReadonlyMap<string, number> = new Map([
  ['bin', 0o755],
  ['etc', 0o755],
  ['root', 0o700],
  ['tmp', 0o1777],
  ['var', 0o755],
  ['var/www', 0o755],
]);

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** Runs a tool and returns its stdout; the error names the command and carries its stderr. */
export function runCommand(file: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim() || error.message;
          reject(new Error(`command failed: ${[file, ...args].join(' ')}: ${detail}`, { cause: error }));
          return;
        }
        resolvePromise(stdout);
      },
    );
  });
}

/**
 * Creates (or adds a tag to) an OCI image layout at layoutDir: one layer with /bin/busybox plus a
 * symlink /bin/<applet> for each applet, /etc/passwd and /etc/group, /tmp, /root, /var/www; then a
 * second layer with spec.files when given.
 */
export function buildBusyboxImage(layoutDir: string, tag: string, spec: ImageSpec): Promise<void> {
  return serializePerLayout(layoutDir, () => build(layoutDir, tag, spec));
}

/** Writes an OCI archive (tar of a layout holding just this tag), as skopeo's oci-archive transport does. */
export async function exportOciArchive(layoutDir: string, tag: string, archivePath: string): Promise<void> {
  await mkdir(dirname(resolve(archivePath)), { recursive: true });
  // Written beside the target then renamed, so a reader never sees a half-written archive.
  const partial = `${archivePath}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await runCommand('skopeo', ['copy', '--insecure-policy', '--quiet', `oci:${layoutDir}:${tag}`, `oci-archive:${partial}:${tag}`]);
    await rename(partial, archivePath);
  } finally {
    await rm(partial, { force: true });
  }
}

// umoci rewrites index.json without locking: builds into one layout must not overlap.
const layoutQueues = new Map<string, Promise<unknown>>();

function serializePerLayout<T>(layoutDir: string, work: () => Promise<T>): Promise<T> {
  const key = resolve(layoutDir);
  const previous = layoutQueues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  const settled = next.catch(() => undefined);
  layoutQueues.set(key, settled);
  void settled.then(() => {
    if (layoutQueues.get(key) === settled) layoutQueues.delete(key);
  });
  return next;
}

async function build(layoutDir: string, tag: string, spec: ImageSpec): Promise<void> {
  const filesLayer = spec.files && Object.keys(spec.files).length > 0 ? await filesLayerTar(spec.files) : undefined;
  const base = await baseLayerTar();
  await ensureLayout(layoutDir);

  // Built under a scratch tag and only then moved onto `tag`, so a failed build leaves the old image.
  const scratch = `berth-build-${randomBytes(6).toString('hex')}`;
  const image = `${layoutDir}:${scratch}`;
  const work = await mkdtemp(join(tmpdir(), 'berth-oci-'));
  try {
    await runCommand('umoci', ['new', '--image', image]);
    await addLayer(image, join(work, 'base.tar'), base, 'busybox base');
    if (filesLayer) await addLayer(image, join(work, 'files.tar'), filesLayer, 'files');
    await runCommand('umoci', ['config', '--image', image, '--no-history', ...configArgs(spec)]);
    await runCommand('umoci', ['tag', '--image', image, tag]);
  } finally {
    await rm(work, { recursive: true, force: true });
    await runCommand('umoci', ['rm', '--image', image]).catch(() => undefined);
  }
  await runCommand('umoci', ['gc', '--layout', layoutDir]);
}

async function ensureLayout(layoutDir: string): Promise<void> {
  if (await exists(join(layoutDir, 'oci-layout'))) return;
  if (await exists(layoutDir)) {
    const entries = await readdir(layoutDir);
    if (entries.length > 0) throw new Error(`${layoutDir} exists and is not an OCI image layout`);
    // umoci init refuses an existing directory, even an empty one.
    await rm(layoutDir, { recursive: true });
  } else {
    await mkdir(dirname(resolve(layoutDir)), { recursive: true });
  }
  await runCommand('umoci', ['init', '--layout', layoutDir]);
}

async function addLayer(image: string, tarPath: string, content: Buffer, createdBy: string): Promise<void> {
  await writeFile(tarPath, content);
  await runCommand('umoci', [
    'raw', 'add-layer', '--image', image,
    `--history.created=${EPOCH}`, `--history.created_by=${createdBy}`,
    tarPath,
  ]);
}

function configArgs(spec: ImageSpec): string[] {
  // `--flag=value` keeps values that start with '-' (as in `httpd -f`) from being read as flags.
  const args = [`--created=${EPOCH}`, `--config.env=${DEFAULT_PATH}`];
  for (const env of spec.env ?? []) args.push(`--config.env=${env}`);
  // Like the usual busybox image, an image that says nothing to run starts a shell.
  const cmd = spec.cmd ?? (spec.entrypoint ? [] : ['sh']);
  for (const part of cmd) args.push(`--config.cmd=${part}`);
  for (const part of spec.entrypoint ?? []) args.push(`--config.entrypoint=${part}`);
  for (const port of spec.exposedPorts ?? []) args.push(`--config.exposedports=${port}`);
  for (const [key, value] of Object.entries(spec.labels ?? {})) args.push(`--config.label=${key}=${value}`);
  if (spec.workingDir !== undefined) args.push(`--config.workingdir=${spec.workingDir}`);
  if (spec.user !== undefined) args.push(`--config.user=${spec.user}`);
  if (spec.stopSignal !== undefined) args.push(`--config.stopsignal=${spec.stopSignal}`);
  return args;
}

// The base layer is the same for every image: build it once per process.
let baseLayer: Promise<Buffer> | undefined;

function baseLayerTar(): Promise<Buffer> {
  baseLayer ??= makeBaseLayerTar().catch((error: unknown) => {
    baseLayer = undefined;
    throw error;
  });
  return baseLayer;
}

async function makeBaseLayerTar(): Promise<Buffer> {
  const busybox = await readFile(BUSYBOX).catch((error: unknown) => {
    throw new Error(`${BUSYBOX} is missing: install the busybox-static package`, { cause: error });
  });
  if (hasInterpreter(busybox)) {
    throw new Error(`${BUSYBOX} is dynamically linked and cannot run inside an image: install busybox-static`);
  }
  const applets = (await runCommand(BUSYBOX, ['--list']))
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name !== '' && name !== 'busybox' && !name.includes('/'));

  const entries: TarEntry[] = [];
  for (const [dir, mode] of BASE_DIRS) entries.push({ name: `${dir}/`, type: 'directory', mode });
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, content: busybox });
  for (const applet of applets) entries.push({ name: `bin/${applet}`, type: 'symlink', mode: 0o777, linkname: 'busybox' });
  entries.push({ name: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.from(PASSWD) });
  entries.push({ name: 'etc/group', type: 'file', mode: 0o644, content: Buffer.from(GROUP) });
  return packTar(entries);
}

async function filesLayerTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const fileEntries: TarEntry[] = [];
  const parents = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    if (!path.startsWith('/')) throw new Error(`image file path must be absolute: ${path}`);
    const name = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
    if (name === '' || name === '.') throw new Error(`image file path names no file: ${path}`);
    for (let dir = posix.dirname(name); dir !== '.'; dir = posix.dirname(dir)) parents.add(dir);
    fileEntries.push({
      name,
      type: 'file',
      mode: 0o644,
      content: typeof content === 'string' ? Buffer.from(content) : content,
    });
  }
  // Parents keep the base layer's modes, so that e.g. a file in /tmp leaves /tmp world-writable.
  const dirEntries: TarEntry[] = [...parents]
    .sort()
    .map((dir) => ({ name: `${dir}/`, type: 'directory', mode: BASE_DIRS.get(dir) ?? 0o755 }));
  return packTar([...dirEntries, ...fileEntries]);
}

type TarEntry =
  | { name: string; type: 'directory'; mode: number }
  | { name: string; type: 'file'; mode: number; content: Buffer }
  | { name: string; type: 'symlink'; mode: number; linkname: string };

async function packTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<void>((resolveAll, reject) => {
    pack.on('data', (chunk: unknown) => {
      if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      else reject(new Error('tar packer produced a non-binary chunk'));
    });
    pack.on('end', () => resolveAll());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const header = { name: entry.name, mode: entry.mode, mtime: EPOCH_DATE, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    await new Promise<void>((resolveEntry, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolveEntry());
      if (entry.type === 'file') pack.entry({ ...header, type: 'file' }, entry.content, done);
      else if (entry.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: entry.linkname }, done);
      else pack.entry({ ...header, type: 'directory' }, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** True when an ELF executable names a program interpreter, i.e. needs a dynamic loader. */
function hasInterpreter(elf: Buffer): boolean {
  const is64 = elf[4] === 2;
  const little = elf[5] === 1;
  if (elf.readUInt32BE(0) !== 0x7f454c46) return false;
  const u16 = (at: number): number => (little ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number): number => (little ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const u64 = (at: number): number => Number(little ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at));
  const phoff = is64 ? u64(0x20) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) break;
    if (u32(at) === PT_INTERP) return true;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface LayoutImage {
  manifestDescriptor: Descriptor;
  manifest: { schemaVersion: number; mediaType?: string; config: Descriptor; layers: Descriptor[] };
  config: {
    created?: string;
    architecture: string;
    os: string;
    config?: {
      User?: string;
      ExposedPorts?: Record<string, object>;
      Env?: string[];
      Entrypoint?: string[];
      Cmd?: string[];
      WorkingDir?: string;
      Labels?: Record<string, string>;
      StopSignal?: string;
    };
    rootfs: { type: string; diff_ids: string[] };
  };
}

/** Reads the manifest and config a layout's tag points at, for checks in tests. */
export async function readLayoutImage(layoutDir: string, tag: string): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const manifestDescriptor = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!manifestDescriptor) throw new Error(`no tag ${tag} in ${layoutDir}`);
  const manifest = JSON.parse((await readLayoutBlob(layoutDir, manifestDescriptor.digest)).toString('utf8')) as LayoutImage['manifest'];
  const config = JSON.parse((await readLayoutBlob(layoutDir, manifest.config.digest)).toString('utf8')) as LayoutImage['config'];
  return { manifestDescriptor, manifest, config };
}

/** Reads a blob of a layout by digest ('sha256:...'). */
export function readLayoutBlob(layoutDir: string, digest: string): Promise<Buffer> {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex)) {
    return Promise.reject(new Error(`not a digest: ${digest}`));
  }
  return readFile(join(layoutDir, 'blobs', algorithm, hex));
}
