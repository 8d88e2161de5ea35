import { posix } from 'node:path';

/**
 * A Windows path as the distro sees it: WSL mounts each drive at /mnt/<letter>, so C:\Users\me\src is
 * /mnt/c/Users/me/src. A POSIX absolute path is taken as a path inside the distro already.
 */
export function wslLinuxPath(path: string): string | undefined {
  const drive = /^([A-Za-z]):[\\/](.*)$/s.exec(path);
  const linux = drive ? `/mnt/${drive[1]!.toLowerCase()}/${drive[2]!.replaceAll('\\', '/')}` : path.startsWith('/') ? path : undefined;
  if (linux === undefined) return undefined;
  const normal = posix.normalize(linux);
  return normal.length > 1 ? normal.replace(/\/$/, '') : normal;
}
