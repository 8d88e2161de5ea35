import { describe, expect, it } from 'vitest';
import type { Header } from 'tar-stream';
import { BerthError } from '../../shared/berth-error.js';
import { LayerPolicy, OPAQUE_XATTR, type Admission } from './layer-policy.js';

function header(name: string, type: Header['type'] = 'file', extra: Partial<Header> = {}): Header {
  return {
    name,
    type,
    size: 0,
    mode: type === 'directory' ? 0o755 : 0o644,
    mtime: new Date(0),
    linkname: '',
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    ...extra,
  };
}

function kept(admission: Admission) {
  if (!admission.keep) throw new Error(`dropped: ${admission.why}`);
  return admission.header;
}

function refusal(run: () => unknown): BerthError {
  try {
    run();
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('LayerPolicy names', () => {
  it.each([
    ['/etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['etc//x/./y', 'etc/x/y'],
    ['a/b/../c', 'a/c'],
    ['//abs', 'abs'],
    ['dir/', 'dir'],
  ])('%s becomes %s', (name, expected) => {
    expect(kept(new LayerPolicy('layer L').admit(header(name))).name).toBe(expected);
  });

  it.each(['../x', '../../x', 'a/../../x', '/../etc/passwd', '..'])('refuses %s, naming the entry', (name) => {
    const err = refusal(() => new LayerPolicy('layer L').admit(header(name)));
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain(`"${name}"`);
    expect(err.message).toContain('layer L');
  });

  it('keeps root directory entries as the layer root', () => {
    expect(kept(new LayerPolicy('l').admit(header('./', 'directory'))).name).toBe('.');
    expect(kept(new LayerPolicy('l').admit(header('/', 'directory'))).name).toBe('.');
  });

  it('refuses a file in place of the root', () => {
    expect(refusal(() => new LayerPolicy('l').admit(header('./'))).code).toBe('UNSAFE_LAYER');
  });
});

describe('LayerPolicy links', () => {
  it('allows symlinks to anywhere but refuses writing through them', () => {
    const policy = new LayerPolicy('l');
    expect(kept(policy.admit(header('a', 'symlink', { linkname: '/tmp/SENTINEL' }))).linkname).toBe('/tmp/SENTINEL');
    const err = refusal(() => policy.admit(header('a/pwned')));
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain('"a/pwned"');
    expect(err.message).toContain('symlink "a"');
    expect(refusal(() => policy.admit(header('a/deep/x', 'directory'))).code).toBe('UNSAFE_LAYER');
    expect(refusal(() => policy.admit(header('a/.wh.x'))).code).toBe('UNSAFE_LAYER');
  });

  it.each([
    ['directory', header('a', 'directory')],
    ['file', header('a')],
    ['symlink', header('a', 'symlink', { linkname: 'b' })],
    ['whiteout', header('.wh.a')],
  ])('refuses a %s in place of a symlink of the same layer', (_kind, replacement) => {
    const policy = new LayerPolicy('l');
    policy.admit(header('a', 'symlink', { linkname: '/' }));
    expect(refusal(() => policy.admit(replacement)).message).toContain('replaces a symlink');
  });

  it('allows hard links to earlier files, made relative', () => {
    const policy = new LayerPolicy('l');
    policy.admit(header('bin/busybox'));
    expect(kept(policy.admit(header('bin/sh', 'link', { linkname: '/bin/busybox' }))).linkname).toBe('bin/busybox');
  });

  it.each([
    ['/etc/passwd', 'not an earlier entry'],
    ['../outside', 'escapes'],
    ['missing', 'not an earlier entry'],
    ['dir', 'is a directory'],
    ['sym/x', 'symlink "sym"'],
  ])('refuses a hard link to %s', (target, fragment) => {
    const policy = new LayerPolicy('l');
    policy.admit(header('dir', 'directory'));
    policy.admit(header('sym', 'symlink', { linkname: '/etc' }));
    const err = refusal(() => policy.admit(header('h', 'link', { linkname: target })));
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toContain('"h"');
    expect(err.message).toContain(fragment);
  });

  it('treats a hard link to a symlink as a symlink', () => {
    const policy = new LayerPolicy('l');
    policy.admit(header('s', 'symlink', { linkname: '/etc' }));
    policy.admit(header('h', 'link', { linkname: 's' }));
    expect(refusal(() => policy.admit(header('h/passwd'))).code).toBe('UNSAFE_LAYER');
  });
});

describe('LayerPolicy devices', () => {
  it.each(['character-device', 'block-device', 'fifo'] as const)('drops %s entries', (type) => {
    const admission = new LayerPolicy('l').admit(header('dev/x', type, { devmajor: 8, devminor: 0 }));
    expect(admission.keep).toBe(false);
  });

  it('drops hard links to dropped devices', () => {
    const policy = new LayerPolicy('l');
    policy.admit(header('dev/sda', 'block-device', { devmajor: 8 }));
    expect(policy.admit(header('disk', 'link', { linkname: 'dev/sda' })).keep).toBe(false);
  });

  it('keeps setuid bits and a mode of 0', () => {
    const policy = new LayerPolicy('l');
    expect(kept(policy.admit(header('bin/su', 'file', { mode: 0o4755 }))).mode).toBe(0o4755);
    expect(kept(policy.admit(header('etc/shadow', 'file', { mode: 0 }))).mode).toBe(0);
  });

  it('carries large ids in pax records', () => {
    const clean = kept(new LayerPolicy('l').admit(header('f', 'file', { uid: 1_000_000, gid: 5 })));
    expect(clean.pax).toEqual({ uid: '1000000', gid: '5' });
  });
});

describe('LayerPolicy whiteouts', () => {
  it('turns .wh.NAME into a 0:0 character device named NAME', () => {
    const clean = kept(new LayerPolicy('l').admit(header('etc/.wh.motd')));
    expect(clean).toMatchObject({ name: 'etc/motd', type: 'character-device', devmajor: 0, devminor: 0 });
    expect(kept(new LayerPolicy('l').admit(header('.wh.top'))).name).toBe('top');
  });

  it('refuses whiteouts that name nothing', () => {
    expect(refusal(() => new LayerPolicy('l').admit(header('a/.wh.'))).code).toBe('UNSAFE_LAYER');
  });

  it('drops other .wh..wh. metadata', () => {
    expect(new LayerPolicy('l').admit(header('.wh..wh.plnk', 'directory')).keep).toBe(false);
  });

  it('keeps file capabilities and user.* xattrs on files and directories, and no other', () => {
    const policy = new LayerPolicy('l');
    const pax = {
      'SCHILY.xattr.security.capability': '\u0001\u0000\u0000\u0002',
      'SCHILY.xattr.user.note': 'kept',
      'SCHILY.xattr.security.selinux': 'system_u:object_r:bin_t:s0',
      'SCHILY.xattr.trusted.overlay.redirect': '/etc/shadow',
      'SCHILY.xattr.trusted.overlay.opaque': 'y',
      comment: 'not an xattr',
    };
    const expected = { 'SCHILY.xattr.security.capability': '\u0001\u0000\u0000\u0002', 'SCHILY.xattr.user.note': 'kept' };
    expect(kept(policy.admit(header('bin/ping', 'file', { pax }))).pax).toEqual(expected);
    expect(kept(policy.admit(header('data', 'directory', { pax }))).pax).toEqual(expected);
    expect(kept(policy.admit(header('bin/link', 'symlink', { linkname: 'ping', pax }))).pax).toBeUndefined();
  });

  it('marks a directory opaque when its header comes after the marker', () => {
    const policy = new LayerPolicy('l');
    expect(policy.admit(header('etc/.wh..wh..opq')).keep).toBe(false);
    const dir = kept(policy.admit(header('etc', 'directory', { mode: 0o700 })));
    expect(dir.pax?.[OPAQUE_XATTR]).toBe('y');
    expect(policy.finish()).toEqual([]);
  });

  it('repeats the directory header with the xattr when the marker comes after it', () => {
    const policy = new LayerPolicy('l');
    const dir = kept(policy.admit(header('var/lib', 'directory', { mode: 0o750, uid: 3 })));
    expect(dir.pax).toBeUndefined();
    policy.admit(header('var/lib/x'));
    policy.admit(header('var/lib/.wh..wh..opq'));
    const extra = policy.finish();
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatchObject({ name: 'var/lib', type: 'directory', mode: 0o750, uid: 3, pax: { [OPAQUE_XATTR]: 'y' } });
  });

  it('adds a directory entry for a marker whose directory has no header', () => {
    const policy = new LayerPolicy('l');
    policy.admit(header('opt/app/.wh..wh..opq'));
    expect(policy.finish()).toMatchObject([{ name: 'opt/app', type: 'directory', pax: { [OPAQUE_XATTR]: 'y' } }]);
  });

  it('does not let a whiteout become a hard link target', () => {
    const policy = new LayerPolicy('l');
    policy.admit(header('.wh.x'));
    expect(refusal(() => policy.admit(header('y', 'link', { linkname: 'x' }))).code).toBe('UNSAFE_LAYER');
  });
});
