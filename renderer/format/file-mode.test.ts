import { describe, expect, it } from 'vitest';
import { childPath, modeText, pathCrumbs } from './file-mode.js';

describe('file modes and paths as the Files tab shows them', () => {
  it('writes modes as ls -l does, setuid, setgid and sticky included', () => {
    expect(modeText('directory', 0o755)).toBe('drwxr-xr-x');
    expect(modeText('file', 0o644)).toBe('-rw-r--r--');
    expect(modeText('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeText('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeText('directory', 0o1777)).toBe('drwxrwxrwt');
    expect(modeText('symlink', 0o777)).toBe('lrwxrwxrwx');
  });

  it('joins and splits paths from the root', () => {
    expect(childPath('/', 'etc')).toBe('/etc');
    expect(childPath('/etc', 'ssl')).toBe('/etc/ssl');
    expect(pathCrumbs('/')).toEqual([['/', '/']]);
    expect(pathCrumbs('/etc/ssl/')).toEqual([['/', '/'], ['etc', '/etc'], ['ssl', '/etc/ssl']]);
  });
});
