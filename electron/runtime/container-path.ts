import { posix } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';

/**
 * A path inside a container, checked and normalised: absolute, not `/` itself, and without `..`
 * (which would make the mount point depend on how the image's own directories resolve).
 */
export function containerPath(text: string, what: string, spec: string): string {
  const bad = (why: string) => new BerthError('INVALID_ARGUMENT', `invalid ${what} "${spec}": ${why}`);
  if (!text.startsWith('/')) throw bad(`the container path "${text}" is not absolute`);
  if (text.includes('\0')) throw bad('the container path holds a NUL byte');
  if (text.split('/').includes('..')) throw bad(`the container path "${text}" contains ".."`);
  const normal = posix.normalize(text).replace(/\/+$/, '');
  if (normal === '') throw bad('the container path cannot be "/"');
  return normal;
}

/**
 * Splits `A:B[:C]`. Where host paths are Windows paths (`drives`), A may start with a drive letter
 * that carries a colon of its own (`C:\Users\me\src:/data:ro`); elsewhere `v:/data` is volume v.
 */
export function splitHostFirst(spec: string, drives: boolean): string[] {
  const drive = drives && /^[A-Za-z]:[\\/]/.test(spec) ? 2 : 0;
  const first = spec.indexOf(':', drive);
  if (first < 0) return [spec];
  return [spec.slice(0, first), ...spec.slice(first + 1).split(':')];
}
