import { stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWslSim, type WslSim } from '../../../e2e/fixtures/wsl-sim.js';
import { makeTempDir, type TempDir } from '../../../e2e/fixtures/temp-dir.js';
import { packageRoot } from '../../engine/engine-config.js';
import type { HostStatus } from '../../../shared/host-status.js';
import { DISTRO_VERSION, DISTRO_VERSION_FILE } from './distro-version.js';
import { bootstrapWsl } from './wsl-bootstrap.js';
import { diagnoseWsl } from './wsl-diagnosis.js';
import { WslExe } from './wsl-exe.js';
import { WSL_DATA_ROOT, WslHost } from './wsl-host.js';

const DISTRO = 'berth';
const ROOTFS = `${packageRoot()}/build/out/berth-distro.tar.gz`;

/** The simulator reads its settings from the environment, as wsl.exe would read its own. */
function useSim(sim: WslSim, mode?: string): void {
  Object.assign(process.env, sim.env);
  if (mode) process.env.BERTH_WSL_SIM_MODE = mode;
  else delete process.env.BERTH_WSL_SIM_MODE;
}

describe('the WSL host, through the wsl.exe simulator and the real distro rootfs', { timeout: 180_000 }, () => {
  let sim: WslSim;
  let scratch: TempDir;
  let wsl: WslExe;
  const steps: HostStatus[] = [];

  const bootstrap = () =>
    bootstrapWsl({ wsl, distro: DISTRO, installDir: `${scratch.path}/install`, rootfs: ROOTFS, scratchDir: `${scratch.path}/scratch`, onStatus: (s) => steps.push(s) });

  beforeAll(async () => {
    sim = await makeWslSim();
    scratch = await makeTempDir('berth-wsl-test-');
    useSim(sim);
    wsl = new WslExe(sim.exe);
  });

  afterAll(async () => {
    await sim?.cleanup();
    await scratch?.remove();
  });

  it('tells each missing piece apart, with its own fix', async () => {
    expect(await diagnoseWsl(new WslExe(`${scratch.path}/no-such/wsl.exe`), DISTRO)).toMatchObject({ state: 'wsl-missing' });
    useSim(sim, 'stub');
    expect(await diagnoseWsl(wsl, DISTRO)).toMatchObject({ state: 'wsl-not-installed', fix: expect.stringContaining('wsl.exe --install') });
    useSim(sim, 'no-virtualization');
    expect(await diagnoseWsl(wsl, DISTRO)).toMatchObject({ state: 'virtualization-off', fix: expect.stringContaining('firmware') });
    useSim(sim, 'no-wsl2');
    // WSL answers, so only the import finds out that WSL2 is missing; nothing is left registered.
    expect(await bootstrap()).toMatchObject({ state: 'wsl2-unavailable' });
    useSim(sim);
    expect(await diagnoseWsl(wsl, DISTRO)).toMatchObject({ state: 'distro-missing' });
  });

  it('imports the distro on first start, with progress, and is then ready', async () => {
    steps.length = 0;
    const status = await bootstrap();
    expect(status).toMatchObject({ kind: 'wsl', state: 'ready' });
    const importing = steps.filter((s) => s.progress?.step === 'Importing the distro').map((s) => s.progress!.fraction);
    expect(importing.length).toBeGreaterThan(3);
    expect(importing).toEqual([...importing].sort((a, b) => a - b));
    expect(importing.at(-1)).toBe(1);
    expect((await wsl.runIn(DISTRO, ['cat', DISTRO_VERSION_FILE])).stdout.toString().trim()).toBe(String(DISTRO_VERSION));
  });

  it('reads and writes files, streams stdin, passes environment and exit codes, all inside the distro', async () => {
    const host = new WslHost(wsl, DISTRO);
    const dir = `${WSL_DATA_ROOT}/test-files`;
    await host.mkdir(`${dir}/deep/er`);
    await host.writeFile(`${dir}/deep/er/file`, Buffer.from([0, 1, 2, 255, 10]), 0o600);
    expect([...(await host.readFile(`${dir}/deep/er/file`))]).toEqual([0, 1, 2, 255, 10]);
    expect([...(await host.readTail(`${dir}/deep/er/file`, 3))]).toEqual([2, 255, 10]);
    expect([...(await host.readTail(`${dir}/deep/er/file`, 100))]).toEqual([0, 1, 2, 255, 10]);
    expect(await host.readTail(`${dir}/absent`, 3)).toHaveLength(0);
    expect(await host.stat(`${dir}/deep/er/file`)).toMatchObject({ size: 5, isDirectory: false });
    expect(await host.stat(`${dir}/deep`)).toMatchObject({ isDirectory: true });
    expect(await host.stat(`${dir}/absent`)).toBeUndefined();
    await expect(host.readFile(`${dir}/absent`)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await host.exec(['stat', '-c', '%a', `${dir}/deep/er/file`])).stdout.toString().trim()).toBe('600');
    await host.exec(['ln', '-s', '../target with space', `${dir}/link`]);
    expect(await host.readlink(`${dir}/link`)).toBe('../target with space');
    expect(await host.readlink(`${dir}/deep`)).toBeUndefined();
    // Nothing of the host's own file system is touched: the file exists only in the distro.
    const env = await host.exec(['sh', '-c', 'echo "$GREETING"; exit 7'], { env: { GREETING: 'hello from the distro' } });
    expect(env).toMatchObject({ code: 7 });
    expect(env.stdout.toString()).toBe('hello from the distro\n');
    const piped = await host.pipeIn(['wc', '-c'], Readable.from([Buffer.alloc(300_000, 1), Buffer.alloc(1, 2)]));
    expect(piped.stdout.toString().trim()).toBe('300001');
    await host.remove(dir);
    expect(await host.stat(dir)).toBeUndefined();
  });

  it('upgrades an older distro and keeps the engine data; an upgrade cut short finishes on the next start', async () => {
    const host = new WslHost(wsl, DISTRO);
    await host.writeFile(`${WSL_DATA_ROOT}/kept`, 'images and containers');
    await host.writeFile(DISTRO_VERSION_FILE, '0\n');
    await host.writeFile('/etc/old-system-only', 'gone after the upgrade');
    expect(await diagnoseWsl(wsl, DISTRO)).toMatchObject({ state: 'distro-outdated' });
    steps.length = 0;
    expect(await bootstrap()).toMatchObject({ state: 'ready' });
    expect((await host.readFile(`${WSL_DATA_ROOT}/kept`)).toString()).toBe('images and containers');
    expect(await host.stat('/etc/old-system-only')).toBeUndefined();
    expect(steps.map((s) => s.progress?.step)).toEqual(expect.arrayContaining(['Saving images and containers', 'Restoring images and containers']));

    // A runtime gone missing is mended the same way.
    await host.exec(['sh', '-c', 'rm -f "$(command -v runc)"']);
    expect(await diagnoseWsl(wsl, DISTRO)).toMatchObject({ state: 'runtime-missing' });
    expect(await bootstrap()).toMatchObject({ state: 'ready' });
    expect((await host.readFile(`${WSL_DATA_ROOT}/kept`)).toString()).toBe('images and containers');

    // The app killed between unregister and restore: the saved data goes back in on the next start.
    const saved = `${scratch.path}/scratch/upgrade-data.tar`;
    await writeFile(saved, (await wsl.runIn(DISTRO, ['tar', '-C', WSL_DATA_ROOT, '-cf', '-', '.'])).stdout);
    expect((await wsl.run(['--unregister', DISTRO])).code).toBe(0);
    expect(await bootstrap()).toMatchObject({ state: 'ready' });
    expect((await host.readFile(`${WSL_DATA_ROOT}/kept`)).toString()).toBe('images and containers');
    await expect(stat(saved)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
