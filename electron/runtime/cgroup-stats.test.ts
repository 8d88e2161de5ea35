import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { LocalHost } from '../host/local/local-host.js';
import { containerCgroup } from './cgroup-parent.js';
import { readCgroupStats } from './cgroup-stats.js';

/**
 * The files as the kernel lays them out. This machine's kernel counts v1 block I/O only under a
 * throttle rule and mounts v1 alone, so the counters of both layouts are read from copies; CPU,
 * memory and network are read live in the engine's tests.
 */
async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('readCgroupStats', () => {
  let dir: TempDir;
  let host: LocalHost;

  beforeEach(async () => {
    dir = await makeTempDir('berth-cgroup-');
    host = new LocalHost(dir.path);
  });
  afterEach(() => dir.remove());

  it('reads cgroup v2: CPU, memory with no limit, pids and every device of io.stat', async () => {
    const cg = containerCgroup('c2');
    await writeTree(dir.path, {
      'cgroup.controllers': 'cpu io memory pids\n',
      [`${cg}/cpu.stat`]: 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n',
      [`${cg}/memory.current`]: '4096\n',
      [`${cg}/memory.max`]: 'max\n',
      [`${cg}/pids.current`]: '3\n',
      [`${cg}/io.stat`]: '254:0 rbytes=100 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n',
    });
    const stats = await readCgroupStats(host, [{ id: 'c2', netPid: 0 }, { id: 'gone', netPid: 0 }], dir.path);
    expect([...stats.keys()]).toEqual(['c2']);
    expect(stats.get('c2')).toEqual({ cpuNanos: 1_500_000, memoryBytes: 4096, memoryLimitBytes: 0, pids: 3, blockReadBytes: 105, blockWriteBytes: 2007, netRxBytes: 0, netTxBytes: 0 });
  });

  it("reads cgroup v1's hierarchies, summing each device's Read and Write and not its Total", async () => {
    const cg = containerCgroup('c1');
    await writeTree(dir.path, {
      [`cpuacct${cg}/cpuacct.usage`]: '2500000\n',
      [`memory${cg}/memory.usage_in_bytes`]: '8192\n',
      [`memory${cg}/memory.limit_in_bytes`]: '33554432\n',
      [`pids${cg}/pids.current`]: '1\n',
      [`blkio${cg}/blkio.throttle.io_service_bytes_recursive`]:
        '254:0 Read 10\n254:0 Write 4194304\n254:0 Sync 4194304\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 4194314\n8:0 Read 1\n8:0 Write 0\nTotal 4194315\n',
    });
    const stats = await readCgroupStats(host, [{ id: 'c1', netPid: 0 }], dir.path);
    expect(stats.get('c1')).toEqual({ cpuNanos: 2_500_000, memoryBytes: 8192, memoryLimitBytes: 33554432, pids: 1, blockReadBytes: 11, blockWriteBytes: 4194304, netRxBytes: 0, netTxBytes: 0 });
  });
});
