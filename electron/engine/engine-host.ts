import { join } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';
import { HostStatus, hostStatusLine } from '../../shared/host-status.js';
import type { Host } from '../host/host.js';
import { LocalHost } from '../host/local/local-host.js';
import { bootstrapWsl } from '../host/wsl/wsl-bootstrap.js';
import { WslExe } from '../host/wsl/wsl-exe.js';
import { WslHost } from '../host/wsl/wsl-host.js';
import { Engine } from './engine.js';
import type { EngineConfig } from './engine-config.js';
import type { EngineSlot } from './engine-slot.js';

export interface EngineHost {
  host: Host;
  status: HostStatus;
}

/**
 * Where the engine's Linux runs, made ready: this machine as it is, or Berth's WSL2 distro, imported
 * or upgraded first. `onStatus` hears each step (the app's status line and progress bar). A host
 * that cannot be made ready (no WSL2, virtualization off...) fails with its message and fix;
 * `signal` stops a distro import under way (the app quits) and leaves what the next start redoes.
 */
export async function openEngineHost(config: EngineConfig, onStatus: (status: HostStatus) => void = () => {}, signal?: AbortSignal): Promise<EngineHost> {
  if (config.host.kind === 'local') {
    const host = new LocalHost(config.dataRoot);
    const status: HostStatus = { kind: 'local', state: 'ready', message: host.readyMessage };
    onStatus(status);
    return { host, status };
  }
  const { exe, distro, installDir, rootfs } = config.host;
  const wsl = new WslExe(exe);
  const status = await bootstrapWsl({ wsl, distro, installDir, rootfs, scratchDir: join(config.home, 'wsl', 'scratch'), onStatus, signal });
  onStatus(status);
  if (status.state !== 'ready') throw new BerthError('HOST_NOT_READY', hostStatusLine(status), { detail: status });
  return { host: new WslHost(wsl, distro), status };
}

/**
 * Makes the host ready and opens the engine into the slot, which reports each step. A host that
 * cannot be made ready (no WSL2, virtualization off...) is not the end: the slot keeps serving the
 * reason and its fix, and this returns undefined. Any other failure throws. `signal` stops the
 * host's set-up when the app quits.
 */
export async function openEngineInto(
  slot: EngineSlot,
  config: EngineConfig,
  onStatus: (status: HostStatus) => void = () => {},
  signal?: AbortSignal,
): Promise<Engine | undefined> {
  const report = (status: HostStatus) => {
    slot.setStatus(status);
    onStatus(status);
  };
  try {
    const { host, status } = await openEngineHost(config, report, signal);
    const engine = await Engine.open(config, host);
    slot.attach(engine, status);
    return engine;
  } catch (error) {
    const failure = BerthError.from(error);
    if (failure.code !== 'HOST_NOT_READY') throw failure;
    const known = HostStatus.safeParse(failure.detail);
    const status: HostStatus = known.success ? known.data : { kind: config.host.kind, state: 'wsl-error', message: failure.message };
    slot.fail(status);
    if (!known.success) onStatus(status);
    return undefined;
  }
}
