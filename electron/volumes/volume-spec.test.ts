import { describe, expect, it } from 'vitest';
import { wslLinuxPath } from '../host/wsl/wsl-paths.js';
import { parseVolumeSpec, parseVolumeSpecs } from './volume-spec.js';

const linux = { isAbsolute: (path: string) => path.startsWith('/'), drives: false };
const windows = { isAbsolute: (path: string) => wslLinuxPath(path) !== undefined, drives: true };

describe('parseVolumeSpec', () => {
  it('reads a folder, a volume name and the ro option', () => {
    expect(parseVolumeSpec('/home/me/src:/src', linux)).toEqual({ type: 'bind', source: '/home/me/src', destination: '/src', readOnly: false });
    expect(parseVolumeSpec('cache:/var/cache/app/:ro', linux)).toEqual({ type: 'volume', source: 'cache', destination: '/var/cache/app', readOnly: true });
    expect(parseVolumeSpec('/a:/b:rw', linux).readOnly).toBe(false);
  });

  it('keeps the colon of a Windows drive letter in the source', () => {
    expect(parseVolumeSpec('C:\\Users\\me\\src:/src:ro', windows)).toEqual({ type: 'bind', source: 'C:\\Users\\me\\src', destination: '/src', readOnly: true });
    expect(parseVolumeSpec('d:/work:/work', windows).source).toBe('d:/work');
  });

  it('names the bad part of a bad spec', () => {
    expect(() => parseVolumeSpec('src:/x', linux)).not.toThrow();
    expect(() => parseVolumeSpec('./src:/x', linux)).toThrow(/invalid volume "\.\/src:\/x": the source "\.\/src" is a relative path/);
    expect(() => parseVolumeSpec('C:\\src:/x', linux)).toThrow(/container path "\\src" is not absolute/);
    expect(() => parseVolumeSpec('src', linux)).toThrow(/expected SOURCE:CONTAINER_PATH\[:ro\] or CONTAINER_PATH/);
    expect(() => parseVolumeSpec('/a/../b', linux)).toThrow(/contains "\.\."/);
    expect(() => parseVolumeSpec(':/x', linux)).toThrow(/the source is empty/);
    expect(() => parseVolumeSpec('/a:x', linux)).toThrow(/container path "x" is not absolute/);
    expect(() => parseVolumeSpec('/a:/', linux)).toThrow(/cannot be "\/"/);
    expect(() => parseVolumeSpec('/a://', linux)).toThrow(/cannot be "\/"/);
    expect(() => parseVolumeSpec('/a:/x/../etc', linux)).toThrow(/contains "\.\."/);
    expect(() => parseVolumeSpec('/a:/x:Z', linux)).toThrow(expect.objectContaining({ message: 'invalid volume "/a:/x:Z": unknown option "Z"', fix: 'use ro or rw' }));
    expect(() => parseVolumeSpec('/a:/x:ro,rw', linux)).toThrow(/contradict/);
  });

  it("reads a container path alone as a volume of the container's own, named when the container is made", () => {
    expect(parseVolumeSpec('/data', linux)).toEqual({ type: 'volume', source: '', destination: '/data', readOnly: false, anonymous: true });
    expect(parseVolumeSpec('/data/', windows)).toMatchObject({ type: 'volume', destination: '/data', anonymous: true });
  });

  it('refuses two mounts on one container path', () => {
    expect(() => parseVolumeSpecs(['/a:/x', 'v:/x/'], linux)).toThrow(/\/x is mounted twice/);
  });

  it('reads v:/x as volume v where paths have no drive letters', () => {
    expect(parseVolumeSpec('v:/x', linux)).toMatchObject({ type: 'volume', source: 'v', destination: '/x' });
    expect(() => parseVolumeSpec('v:/x', windows)).toThrow(/expected SOURCE:CONTAINER_PATH/);
  });
});
