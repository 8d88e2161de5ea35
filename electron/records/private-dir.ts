import { chmod, mkdir, stat } from 'node:fs/promises';

/**
 * A folder only its owner may enter: made 0700, or tightened to it when it exists with group or
 * other bits (a BERTH_HOME made by hand), before anything private is put in it.
 */
export async function makePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o700);
}
