import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { LocalHost } from '../host/local/local-host.js';
import { resolveUser } from './resolve-user.js';
import { secureJoin } from './secure-join.js';

describe('secureJoin and resolveUser against a hostile image', () => {
  let dir: TempDir;
  let host: LocalHost;

  beforeEach(async () => {
    dir = await makeTempDir('berth-join-');
    host = new LocalHost(dir.path);
  });
  afterEach(() => dir.remove());

  it('keeps absolute and .. symlinks inside the root', async () => {
    const root = `${dir.path}/rootfs`;
    await mkdir(`${root}/real`, { recursive: true });
    await symlink('/real', `${root}/abs`);
    await symlink('../../../../real', `${root}/up`);
    const readlink = (p: string) => host.readlink(p);
    expect(await secureJoin(root, '/abs/passwd', readlink)).toBe(`${root}/real/passwd`);
    expect(await secureJoin(root, '/up/passwd', readlink)).toBe(`${root}/real/passwd`);
    expect(await secureJoin(root, '/../../etc/passwd', readlink)).toBe(`${root}/etc/passwd`);
  });

  it("reads the image's passwd, never the host's, even through an /etc -> /etc link", async () => {
    const root = `${dir.path}/rootfs`;
    await mkdir(`${root}/inner`, { recursive: true });
    await symlink('/inner', `${root}/etc`);
    await writeFile(`${root}/inner/passwd`, 'app:x:4242:4343::/:/bin/sh\n');
    expect(await resolveUser(host, root, 'app')).toEqual({ uid: 4242, gid: 4343, additionalGids: [] });

    // On the host this link reaches the host's /etc/group, which has a root entry; inside the
    // image it points at a file that does not exist.
    const hostile = `${dir.path}/hostile`;
    await mkdir(`${hostile}/etc`, { recursive: true });
    await symlink('../../../../../../../etc/group', `${hostile}/etc/passwd`);
    await expect(resolveUser(host, hostile, 'root')).rejects.toThrow(/unknown user "root"/);
    // Every link, however it is spelled, resolves inside the image.
    await symlink('/etc', `${hostile}/loop`);
    await expect(secureJoin(hostile, '/loop/passwd', (p) => host.readlink(p))).resolves.toBe(`${hostile}/etc/group`);
  });

  it('gives up on symlink loops', async () => {
    const root = `${dir.path}/rootfs`;
    await mkdir(root, { recursive: true });
    await symlink('/b', `${root}/a`);
    await symlink('/a', `${root}/b`);
    await expect(secureJoin(root, '/a/x', (p) => host.readlink(p))).rejects.toThrow(/too many symlinks/);
  });
});
