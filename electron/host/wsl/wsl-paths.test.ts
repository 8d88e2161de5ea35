import { describe, expect, it } from 'vitest';
import { wslLinuxPath } from './wsl-paths.js';

describe('wslLinuxPath', () => {
  it('puts a Windows drive under /mnt/<letter>', () => {
    expect(wslLinuxPath('C:\\Users\\me\\src')).toBe('/mnt/c/Users/me/src');
    expect(wslLinuxPath('D:/work/app/')).toBe('/mnt/d/work/app');
    expect(wslLinuxPath('c:\\')).toBe('/mnt/c');
    expect(wslLinuxPath('C:\\a\\..\\b')).toBe('/mnt/c/b');
  });

  it('takes a POSIX path as the distro path it is, and nothing relative', () => {
    expect(wslLinuxPath('/var/lib/data')).toBe('/var/lib/data');
    expect(wslLinuxPath('src\\app')).toBeUndefined();
    expect(wslLinuxPath('C:relative')).toBeUndefined();
  });
});
