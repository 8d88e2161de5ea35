import { join } from 'node:path';
import { makeWslSim, type WslSim } from '../e2e/fixtures/wsl-sim.js';
import type { Host } from '../electron/host/host.js';
import { bootstrapWsl } from '../electron/host/wsl/wsl-bootstrap.js';
import { WslExe } from '../electron/host/wsl/wsl-exe.js';
import { WslHost } from '../electron/host/wsl/wsl-host.js';

export interface SimulatedWslHost {
  host: Host;
  /** Shuts the simulated VM down and removes the distro and everything it held. */
  remove(): Promise<void>;
}

const DISTRO = 'berth';

/**
 * The WSL host as the app on Windows has it: Berth's distro (the real rootfs) imported through the
 * wsl.exe simulator, every command and byte going through wsl.exe's arguments and stdin.
 */
export async function startSimulatedWslHost(rootfs: string, workDir: string): Promise<SimulatedWslHost> {
  const sim: WslSim = await makeWslSim();
  try {
    // The simulator reads its settings from the environment, as wsl.exe reads its own.
    Object.assign(process.env, sim.env);
    const wsl = new WslExe(sim.exe);
    const status = await bootstrapWsl({ wsl, distro: DISTRO, installDir: join(workDir, 'wsl-install'), rootfs, scratchDir: join(workDir, 'wsl-scratch'), onStatus: () => {} });
    if (status.state !== 'ready') throw new Error(`the simulated WSL distro is not ready: ${status.state}`);
    return { host: new WslHost(wsl, DISTRO), remove: () => sim.cleanup() };
  } catch (err) {
    await sim.cleanup();
    throw err;
  }
}
