import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import { BerthError } from '../../shared/berth-error.js';
import type { FileListing, PathStat } from '../../shared/files.js';
import type { Host, HostProcess } from '../host/host.js';
import type { ImageStore } from '../images/image-store.js';
import { LayerPolicy } from '../images/layer-policy.js';
import { keepZeroMode } from '../streams/pack-tar.js';
import { readTar, skipEntry } from '../images/tar-reader.js';
import type { KeyedLock } from '../records/keyed-lock.js';
import type { BundlePaths } from '../runtime/bundle.js';
import { agentError, agentLines, agentSpawn, agentStat, entryLine, parseEntryLine, type AgentEntry } from '../runtime/file-agent.js';
import { mountRootfs, unmountRootfs } from '../runtime/rootfs.js';
import { whenDrained } from '../streams/when-drained.js';
import type { ContainerRecord } from './container-record.js';

export interface ContainerFilesDeps {
  host: Host;
  images: ImageStore;
  lock: KeyedLock;
  paths(id: string): BundlePaths;
  current(id: string): ContainerRecord | undefined;
}

/** Docker takes a path without a leading slash from the container's root. */
function absolute(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

function toPathStat(stat: AgentEntry): PathStat {
  return { name: stat.name, type: stat.type === 'link' ? 'file' : stat.type, mode: stat.mode, size: stat.size, mtime: new Date(stat.mtime * 1000).toISOString(), uid: stat.uid, gid: stat.gid, linkTarget: stat.link };
}

/** The name a copied path takes in its archive: its last part, or `.` for Docker's `dir/.` (the folder's content). */
function archiveName(path: string): string {
  if (/\/\.$/.test(path)) return '.';
  return posix.basename(path.replace(/\/+$/, '')) || '/';
}

/** Waits for an agent that streams, and turns its refusal into the error it names. */
async function finished(agent: HostProcess): Promise<void> {
  const errors: Buffer[] = [];
  agent.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
  const code = await agent.exited;
  if (code !== 0) throw agentError(Buffer.concat(errors).toString(), code);
}

/**
 * A container's files, running or stopped: stat, list, read, and copies out of and into it (Docker's
 * archive). Everything happens in the file agent chrooted into the container's root: a running
 * one's through /proc/PID/root (its volumes and folders included); a stopped one's root is mounted
 * for the call, under the container's lock so a start cannot come between.
 */
export class ContainerFiles {
  constructor(private readonly deps: ContainerFilesDeps) {}

  async stat(container: ContainerRecord, path: string): Promise<PathStat> {
    return this.withRoot(container, async (root) => toPathStat(await agentStat(this.deps.host, root, absolute(path))));
  }

  async list(container: ContainerRecord, path: string, limit: number): Promise<FileListing> {
    return this.withRoot(container, async (root) => {
      const [total, ...lines] = await agentLines(this.deps.host, root, 'list', absolute(path), String(limit));
      return { path, entries: lines.map((line) => toPathStat(parseEntryLine(line))), total: Number(total) };
    });
  }

  /** A file's bytes for a preview, refused (FILE_TOO_LARGE) past `maxBytes`. */
  async read(container: ContainerRecord, path: string, maxBytes: number): Promise<Buffer> {
    return this.withRoot(container, async (root) => {
      const agent = agentSpawn(this.deps.host, root, 'read', absolute(path), String(maxBytes));
      const chunks: Buffer[] = [];
      agent.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
      await finished(agent);
      return Buffer.concat(chunks);
    });
  }

  /**
   * Streams `path` out to `sink`: a tar whose one top entry is named by the path's last part (as
   * Docker's GET archive), or with `archive` false a file's bytes alone (through a symlink too). Answers what the path is.
   */
  async get(container: ContainerRecord, path: string, archive: boolean, sink: ByteSink, signal: AbortSignal): Promise<PathStat> {
    return this.withRoot(container, async (root) => {
      const target = absolute(path);
      const stat = toPathStat(await agentStat(this.deps.host, root, target));
      // A symlink's bytes are those of the file it leads to (the agent checks that it is one).
      if (!archive && stat.type !== 'file' && stat.type !== 'symlink') throw new BerthError('PATH_NOT_FILE', `${target} is not a file: download it as an archive`);
      const agent = archive ? agentSpawn(this.deps.host, root, 'pack', target, archiveName(target)) : agentSpawn(this.deps.host, root, 'read', target, String(Number.MAX_SAFE_INTEGER));
      const stop = () => agent.kill();
      signal.addEventListener('abort', stop, { once: true });
      try {
        const done = finished(agent);
        if (archive) await framesToTar(agent.stdout!, sink);
        else await copyTo(agent.stdout! as AsyncIterable<Buffer>, sink);
        await done;
      } finally {
        signal.removeEventListener('abort', stop);
      }
      return stat;
    });
  }

  /**
   * Writes a tar's entries into the folder `path` (which must exist). Entries are checked as a
   * layer's are: no `..`, no absolute names, nothing written through a symlink the archive itself
   * made. Owners become root's unless `copyOwner` (Docker's -a). Answers how many were written.
   */
  putArchive(container: ContainerRecord, path: string, archive: Readable, copyOwner: boolean): Promise<number> {
    return this.unpackInto(container, path, (stdin, dir) => tarToFrames(archive, stdin, copyOwner, `the archive for ${dir}`));
  }

  /** Writes one file, owned by root, into the folder `path`. */
  putFile(container: ContainerRecord, path: string, name: string, bytes: Buffer): Promise<number> {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new BerthError('INVALID_ARGUMENT', `invalid file name "${name.slice(0, 200)}": a name, without "/"`);
    return this.unpackInto(container, path, async (stdin) => {
      await send(stdin, entryLine({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: Math.floor(Date.now() / 1000), size: bytes.length, link: '' }));
      await send(stdin, bytes);
      return 1;
    });
  }

  private async unpackInto(container: ContainerRecord, path: string, feed: (stdin: Writable, dir: string) => Promise<number>): Promise<number> {
    const dir = absolute(path);
    return this.withRoot(container, async (root) => {
      const target = await agentStat(this.deps.host, root, dir).catch((err: unknown) => {
        throw BerthError.from(err).code === 'PATH_NOT_FOUND' ? new BerthError('PATH_NOT_FOUND', `no such folder in the container: ${dir}`) : err;
      });
      // A symlink to a folder is a folder to copy into, as in Docker; the agent checks where it leads.
      if (target.type !== 'directory' && target.type !== 'symlink') throw new BerthError('PATH_NOT_DIRECTORY', `${dir} is not a folder: a copy goes into a folder`);
      const agent = agentSpawn(this.deps.host, root, 'unpack', dir);
      const done = finished(agent);
      // An agent that refuses stops reading: its own error is the one to tell.
      agent.stdin!.on('error', () => {});
      let count: number;
      try {
        count = await feed(agent.stdin!, dir);
      } catch (err) {
        agent.kill();
        await done.catch(() => {});
        throw err;
      } finally {
        agent.stdin!.end();
      }
      await done;
      return count;
    });
  }

  private async withRoot<T>(container: ContainerRecord, task: (root: string) => Promise<T>): Promise<T> {
    if (container.state.status === 'running' && container.state.pid > 0) return task(`/proc/${container.state.pid}/root`);
    return this.deps.lock.run(container.id, async () => {
      const current = this.deps.current(container.id);
      if (!current) throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${container.name}`);
      if (current.state.status === 'running' && current.state.pid > 0) return task(`/proc/${current.state.pid}/root`);
      const image = await this.deps.images.resolve(current.imageId);
      if (!image) throw new BerthError('IMAGE_NOT_FOUND', `image ${current.image} of ${current.name} is gone`);
      const paths = this.deps.paths(current.id);
      await mountRootfs(this.deps.host, paths, this.deps.images.layerPaths(image));
      try {
        return await task(paths.rootfs);
      } finally {
        await unmountRootfs(this.deps.host, paths);
      }
    });
  }
}

/** Where bytes copied out go, at the pace the reader takes them. */
export interface ByteSink {
  write(chunk: Buffer): boolean;
  drained(): Promise<void>;
}

/** A writable (Node's or tar-stream's) as a ByteSink. */
function sinkOf(stream: { write(chunk: Buffer): boolean } & Parameters<typeof whenDrained>[0]): ByteSink {
  return { write: (chunk) => stream.write(chunk), drained: () => whenDrained(stream) };
}

async function copyTo(input: AsyncIterable<Buffer>, sink: ByteSink): Promise<void> {
  for await (const chunk of input) if (!sink.write(chunk)) await sink.drained();
}

/** The agent's frames (a JSON line, then a file's bytes) as a tar, written to `sink`. */
async function framesToTar(input: Readable, sink: ByteSink): Promise<void> {
  const pack = tar.pack();
  const packed = copyTo(pack as AsyncIterable<Buffer>, sink);
  let pending: Buffer = Buffer.alloc(0);
  let body: { entry: ReturnType<tar.Pack['entry']>; left: number; done: Promise<void> } | undefined;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length > 0) {
      if (body) {
        const part = pending.subarray(0, body.left);
        pending = pending.subarray(part.length);
        body.left -= part.length;
        if (!body.entry.write(part)) await whenDrained(body.entry);
        if (body.left === 0) {
          body.entry.end(undefined);
          await body.done;
          body = undefined;
        }
        continue;
      }
      const end = pending.indexOf(10);
      if (end < 0) break;
      const frame = parseEntryLine(pending.subarray(0, end).toString());
      pending = pending.subarray(end + 1);
      const header: Parameters<tar.Pack['entry']>[0] = {
        name: frame.type === 'directory' && frame.name === '.' ? './' : frame.name,
        type: frame.type === 'other' ? 'file' : frame.type,
        mode: keepZeroMode(frame.mode),
        uid: frame.uid,
        gid: frame.gid,
        mtime: new Date(frame.mtime * 1000),
        size: frame.type === 'file' ? frame.size : 0,
        linkname: frame.link,
      };
      let finish!: (err?: Error | null) => void;
      const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
      if (frame.type === 'file' && frame.size > 0) body = { entry: pack.entry(header, finish), left: frame.size, done };
      else {
        if (frame.type === 'file') pack.entry(header, Buffer.alloc(0), finish);
        else pack.entry(header, finish);
        await done;
      }
    }
  }
  if (body || pending.length > 0) throw new BerthError('INTERNAL', 'the copy out of the container ended early');
  pack.finalize();
  await packed;
}

async function send(stdin: Writable, data: Buffer): Promise<void> {
  if (!stdin.write(data)) await whenDrained(stdin);
}

/** A tar's entries as the agent's frames, each admitted by the layer policy first. Answers how many went. */
async function tarToFrames(input: Readable, stdin: Writable, copyOwner: boolean, what: string): Promise<number> {
  const policy = new LayerPolicy(what);
  let count = 0;
  for await (const entry of readTar(input)) {
    const base = posix.basename(entry.header.name.replace(/\/+$/, ''));
    // Layer whiteouts mean nothing in a copy, and would be made into devices.
    if (base.startsWith('.wh.')) throw new BerthError('INVALID_ARGUMENT', `${what} holds "${entry.header.name.slice(0, 200)}": names starting with .wh. are reserved`);
    const admission = policy.admit(entry.header);
    const header = admission.keep ? admission.header : undefined;
    // The folder copied into keeps its own owner and mode.
    if (!header || header.name === '.' || header.type === 'character-device') {
      await skipEntry(entry);
      continue;
    }
    const frame: AgentEntry = {
      name: header.name,
      type: header.type,
      mode: header.mode,
      uid: copyOwner ? header.uid : 0,
      gid: copyOwner ? header.gid : 0,
      mtime: Math.floor(header.mtime.getTime() / 1000),
      size: header.type === 'file' ? (header.size ?? 0) : 0,
      link: header.linkname ?? '',
    };
    await send(stdin, entryLine(frame));
    if (frame.type === 'file') await copyTo(entry as AsyncIterable<Buffer>, sinkOf(stdin));
    else await skipEntry(entry);
    count++;
  }
  return count;
}
