import { BerthError } from '../../shared/berth-error.js';

/** Symlinks followed before giving up, as the kernel's ELOOP limit. */
const MAX_LINKS = 40;

/**
 * Resolves `path` (as the container would see it) inside `root`, following symlinks as if root were
 * `/`: an absolute link or `..` never leaves root. Reading an image's own files through the host's
 * path resolution instead would follow a hostile `/etc -> /etc` link to the host's files.
 */
export async function secureJoin(root: string, path: string, readlink: (p: string) => Promise<string | undefined>): Promise<string> {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    const target = await readlink(`${root}/${candidate.join('/')}`);
    if (target === undefined) {
      resolved = candidate;
      continue;
    }
    if (++links > MAX_LINKS) throw new BerthError('RUNTIME_ERROR', `too many symlinks resolving ${path} in the image`);
    if (target.startsWith('/')) resolved = [];
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return `${root}/${resolved.join('/')}`;
}
