import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../host/local/local-host.js';
import { removeEmptyCgroupParent } from './cgroup-parent.js';

// A real cgroup, on whichever kind this machine has: the unified hierarchy, or v1's pids controller.
const hierarchy = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/pids';
const parent = `/berth-test-${randomBytes(4).toString('hex')}`;
const host = new LocalHost('/nonexistent-data-root');

afterAll(() => {
  for (const dir of [`${hierarchy}${parent}/held`, `${hierarchy}${parent}`]) if (existsSync(dir)) rmdirSync(dir);
});

describe('removeEmptyCgroupParent', () => {
  it('leaves the parent while a container cgroup is in it, and removes it once it is empty', async () => {
    mkdirSync(`${hierarchy}${parent}/held`, { recursive: true });
    await removeEmptyCgroupParent(host, parent);
    expect(existsSync(`${hierarchy}${parent}/held`)).toBe(true);
    rmdirSync(`${hierarchy}${parent}/held`);
    await removeEmptyCgroupParent(host, parent);
    expect(existsSync(`${hierarchy}${parent}`)).toBe(false);
  });
});
