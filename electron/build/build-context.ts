import dockerignore from '@balena/dockerignore';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import { packTar, type TarItem } from '../streams/pack-tar.js';

/** Default most bytes of a context folder sent to the builder (BERTH_BUILD_CONTEXT_LIMIT overrides, in MiB). */
export const DEFAULT_CONTEXT_LIMIT = 4 * 2 ** 30;

/** Most files walked in one context: a bound on a folder picked by mistake (a home directory). */
const MAX_ENTRIES = 500_000;

/**
 * The build context of a folder on the engine's machine, as Docker's CLI sends it: a tar of its
 * files less what its .dockerignore leaves out (the Dockerfile and .dockerignore always go). The
 * folder is walked first, so a context over `maxBytes` is refused before a byte is sent.
 */
export async function packContext(dir: string, dockerfile: string, maxBytes: number): Promise<Readable> {
  return packTar(await walkContext(dir, dockerfile, maxBytes));
}

/**
 * The files of a context folder that a build may read, less what its .dockerignore leaves out: a
 * folder that is not one, or over `maxBytes`, is refused here, whether it is then sent or read in place.
 */
export async function walkContext(dir: string, dockerfile: string, maxBytes: number): Promise<TarItem[]> {
  const top = await lstat(dir).catch(() => undefined);
  if (!top?.isDirectory()) throw new BerthError('INVALID_ARGUMENT', `the build context ${dir} is not a folder`);
  const patterns = await readFile(join(dir, '.dockerignore'), 'utf8').then((text) => text.split(/\r?\n/), () => []);
  // A CommonJS module whose types declare a default export: the factory is that default.
  const rules = dockerignore.default().add(patterns.filter((line) => line.trim() !== '' && !line.trim().startsWith('#')));
  // With an exception (!pattern) an ignored folder may still hold files that go: walk into it.
  const hasExceptions = patterns.some((line) => line.trim().startsWith('!'));
  const always = new Set([posix.normalize(dockerfile.replaceAll('\\', '/')), '.dockerignore']);
  const items: TarItem[] = [];
  let bytes = 0;

  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const ignored = !always.has(name) && rules.ignores(name);
      if (ignored && !(entry.isDirectory() && hasExceptions)) continue;
      if (items.length >= MAX_ENTRIES) throw new BerthError('INVALID_ARGUMENT', `the build context ${dir} holds more than ${MAX_ENTRIES} files`, { fix: 'leave folders out in .dockerignore' });
      const path = join(dir, name);
      const info = await lstat(path);
      const header = { name, mode: info.mode & 0o7777, mtime: info.mtime };
      if (entry.isDirectory()) {
        if (!ignored) items.push({ header: { ...header, type: 'directory' } });
        await walk(name);
      } else if (entry.isFile()) {
        bytes += info.size;
        if (bytes > maxBytes) {
          throw new BerthError('INVALID_ARGUMENT', `the build context ${dir} is over ${Math.round(maxBytes / 2 ** 20)} MiB`, { fix: 'leave files out in .dockerignore, or raise BERTH_BUILD_CONTEXT_LIMIT' });
        }
        items.push({ header: { ...header, type: 'file', size: info.size }, body: () => createReadStream(path) });
      } else if (entry.isSymbolicLink()) {
        items.push({ header: { ...header, type: 'symlink', linkname: await readlink(path) } });
      }
    }
  };
  await walk('');
  return items;
}
