import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { BerthError } from '../../../shared/berth-error.js';
import type { Command, CommandContext } from '../command.js';
import { copyName, packLocal, unpackLocal } from '../local-archive.js';
import { flagSet, parseFlags } from '../parse-flags.js';

/** `CONTAINER:PATH`; a local path has no colon before its first slash (so `./a:b` and `C:\x` stay local). */
function containerSide(arg: string): { container: string; path: string } | undefined {
  const colon = arg.indexOf(':');
  if (colon <= 0 || /[\\/]/.test(arg.slice(0, colon)) || /^[A-Za-z]$/.test(arg.slice(0, colon))) return undefined;
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

const localStat = (path: string) => stat(path).catch(() => undefined);

/** Container to here, with Docker's rules: into a folder that exists, or as the new name of one that does not. */
async function copyOut(from: { container: string; path: string }, dest: string, context: CommandContext): Promise<void> {
  const api = await context.client();
  const source = await api.call('containers.files.stat', { id: from.container, path: from.path });
  const found = await localStat(dest);
  let dir = dest;
  let top: string | undefined;
  if (!found) {
    if (/[\\/]$/.test(dest)) throw new BerthError('PATH_NOT_FOUND', `destination folder ${dest} does not exist`);
    if (!(await localStat(dirname(dest)))?.isDirectory()) throw new BerthError('PATH_NOT_FOUND', `no folder ${dirname(dest)} to copy into`);
    [dir, top] = [dirname(dest), posix.basename(dest.replace(/\\/g, '/'))];
  } else if (!found.isDirectory()) {
    if (source.type === 'directory') throw new BerthError('INVALID_ARGUMENT', `cannot copy the folder ${from.path} to the file ${dest}`);
    [dir, top] = [dirname(dest), posix.basename(dest.replace(/\\/g, '/'))];
  }
  // A folder's content (`dir/.`) copied to a new name makes that folder first.
  if (top !== undefined && copyName(from.path) === '.') {
    dir = join(dir, top);
    top = undefined;
  }
  const archive = new PassThrough();
  const written = unpackLocal(archive, dir, top, `the copy of ${from.container}:${from.path}`);
  written.catch(() => archive.destroy());
  await api
    .call('containers.files.get', { id: from.container, path: from.path }, (chunk) => archive.write(Buffer.from(chunk.base64, 'base64')))
    .finally(() => archive.end());
  await written;
}

/** Here to the container: into a folder there, or under a new name in the folder above it. */
async function copyIn(source: string, to: { container: string; path: string }, copyOwner: boolean, context: CommandContext): Promise<void> {
  if (!(await localStat(source))) throw new BerthError('PATH_NOT_FOUND', `no such file or folder: ${source}`);
  const api = await context.client();
  const target = await api.call('containers.files.stat', { id: to.container, path: to.path }).catch((err: unknown) => {
    if (BerthError.from(err).code === 'PATH_NOT_FOUND') return undefined;
    throw err;
  });
  const into = target?.type === 'directory' || (target?.type === 'symlink' && /\/$/.test(to.path));
  const folder = into ? to.path : posix.dirname(to.path);
  const top = into ? copyName(source) : posix.basename(to.path.replace(/\/+$/, ''));
  const temp = await mkdtemp(join(tmpdir(), 'berth-cp-'));
  try {
    const file = join(temp, 'copy.tar');
    await packLocal(source, top, file);
    await api.call('containers.files.put', { id: to.container, path: folder, source: { kind: 'archive', file }, copyOwner });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export const cpCommands: Record<string, Command> = {
  cp: {
    usage: 'cp [-a] CONTAINER:SRC_PATH DEST_PATH | cp [-a] SRC_PATH CONTAINER:DEST_PATH',
    summary: 'Copy files or folders between a container and this machine',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'archive', short: 'a' }], false);
      const [src, dest, ...extra] = parsed.positionals;
      if (!src || !dest || extra.length > 0) {
        context.err(`"cp" needs a source and a destination: berth ${this.usage}`);
        return 2;
      }
      const from = containerSide(src);
      const to = containerSide(dest);
      if ((from && to) || (!from && !to)) {
        context.err(`berth: one of "${src}" and "${dest}" must be a container path (CONTAINER:PATH), and only one`);
        return 2;
      }
      try {
        if (from) await copyOut(from, dest, context);
        else await copyIn(src, to!, flagSet(parsed, 'archive'), context);
        return 0;
      } catch (err) {
        context.err(`Error: ${BerthError.from(err).line}`);
        return 1;
      }
    },
  },
};
