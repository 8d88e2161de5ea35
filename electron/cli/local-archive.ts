import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BerthError } from '../../shared/berth-error.js';
import { LayerPolicy } from '../images/layer-policy.js';
import { keepZeroMode } from '../streams/pack-tar.js';
import { readTar, skipEntry } from '../images/tar-reader.js';
import { whenDrained } from '../streams/when-drained.js';

/**
 * A local file or folder as a tar written to `file`, its top entry named `top` (as `docker cp`
 * names what it sends by where it goes). Symlinks go as symlinks.
 */
export async function packLocal(path: string, top: string, file: string): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(file, { mode: 0o600 }));
  const add = async (full: string, name: string): Promise<void> => {
    const stat = await lstat(full);
    const common = { name, mode: keepZeroMode(stat.mode & 0o7777), mtime: stat.mtime, uid: stat.uid, gid: stat.gid };
    if (stat.isDirectory()) {
      await entry(pack, { ...common, type: 'directory' });
      for (const child of (await readdir(full)).sort()) await add(join(full, child), `${name}/${child}`);
    } else if (stat.isSymbolicLink()) {
      await entry(pack, { ...common, type: 'symlink', linkname: await readlink(full) });
    } else if (stat.isFile()) {
      let finish!: (err?: Error | null) => void;
      const entered = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
      const sink = pack.entry({ ...common, type: 'file', size: stat.size }, finish);
      for await (const chunk of createReadStream(full)) if (!sink.write(chunk as Buffer)) await whenDrained(sink);
      sink.end(undefined);
      await entered;
    }
    // Sockets, devices and FIFOs are not copied, as Docker's CLI leaves them out too.
  };
  await add(path, top);
  pack.finalize();
  await written;
}

function entry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/**
 * Writes a tar from a container into the local folder `dir`, the top entry renamed to `top` when
 * given (a copy to a new name). Names are checked as a layer's are: nothing lands outside `dir`.
 */
export async function unpackLocal(archive: Readable, dir: string, top: string | undefined, what: string): Promise<void> {
  const policy = new LayerPolicy(what);
  const folders: [string, number, Date][] = [];
  for await (const item of readTar(archive)) {
    const admission = policy.admit(item.header);
    if (!admission.keep || admission.header.name === '.') {
      await skipEntry(item);
      continue;
    }
    const header = admission.header;
    const rename = (path: string) => (top === undefined ? path : [top, ...path.split('/').slice(1)].join('/'));
    const target = join(dir, rename(header.name));
    if (header.type === 'directory') {
      await mkdir(target, { recursive: true });
      folders.push([target, header.mode, header.mtime]);
      await skipEntry(item);
      continue;
    }
    await rm(target, { force: true });
    if (header.type === 'symlink') {
      await symlink(header.linkname ?? '', target);
      await skipEntry(item);
      continue;
    }
    if (header.type === 'link') {
      // A hard link is copied as the file it names, which is already here.
      const source = join(dir, rename(header.linkname ?? ''));
      await pipeline(createReadStream(source), createWriteStream(target));
      await skipEntry(item);
      continue;
    }
    if (header.type !== 'file') {
      await skipEntry(item);
      continue;
    }
    await pipeline(item, createWriteStream(target, { mode: 0o600 }));
    await chmod(target, header.mode);
    await utimes(target, header.mtime, header.mtime);
  }
  // Folders last: writing into them moved their times.
  for (const [target, mode, mtime] of folders.reverse()) {
    await chmod(target, mode);
    await utimes(target, mtime, mtime);
  }
}

/** The last part of a path as a copy names it; `.` for Docker's `dir/.` (the folder's content). */
export function copyName(path: string): string {
  if (/[\\/]\.$/.test(path)) return '.';
  const name = basename(path.replace(/[\\/]+$/, ''));
  if (!name) throw new BerthError('INVALID_ARGUMENT', `invalid path "${path}": it names no file or folder`);
  return name;
}
