import { BerthError } from '../../shared/berth-error.js';
import type { HostStatus } from '../../shared/host-status.js';
import type { Engine } from '../engine/engine.js';
import { dockerEndpoints, dockerSocketPath, socketPath, type EngineConfig } from '../engine/engine-config.js';
import { openEngineInto } from '../engine/engine-host.js';
import { EngineSlot } from '../engine/engine-slot.js';
import type { Host, UnixListener } from '../host/host.js';
import { serveDocker, type DockerServer } from './docker/docker-server.js';
import { SocketClient } from './socket/socket-client.js';
import { serveSocket } from './socket/socket-server.js';

/** An engine being served on its socket, for the app and for `berth serve` alike. */
export interface ServedEngine {
  /** What every transport serves: the host's set-up while it runs, then the engine. */
  readonly slot: EngineSlot;
  readonly socketPath: string;
  /** Docker's Engine API, for the docker CLI and the tools built on it. */
  readonly dockerSocketPath: string;
  /** The engine once open; undefined when the host cannot be made ready (the slot says why and how to fix it). */
  readonly opening: Promise<Engine | undefined>;
  /**
   * Stops serving, then quits the engine: containers stop and give back their ports, unless
   * BERTH_KEEP_RUNNING (or the setting) leaves them to the next engine. Close other transports first.
   */
  stop(): Promise<void>;
}

/** Docker's API on each of its endpoints; one that is optional and already held (Docker Desktop's pipe) is left to its holder. */
async function serveDockerEndpoints(slot: EngineSlot, home: string): Promise<DockerServer[]> {
  const served: DockerServer[] = [];
  for (const endpoint of dockerEndpoints(home)) {
    try {
      served.push(await serveDocker(slot, endpoint.path));
    } catch (err) {
      if (!endpoint.optional || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await Promise.all(served.map((s) => s.close()));
        throw err;
      }
    }
  }
  return served;
}

/**
 * Where Linux is Berth's own (the WSL distro), Docker's API inside it too, at the path containers and
 * tools there expect (/var/run/docker.sock, a link to the socket in Berth's data): `-v
 * /var/run/docker.sock:/var/run/docker.sock` then reaches Berth, as with Docker Desktop.
 */
async function serveDockerInLinux(host: Host, docker: DockerServer): Promise<UnixListener> {
  const path = `${host.dataRoot}/docker.sock`;
  const listener = await host.listenUnix(path, 0o660, (stream) => docker.accept(stream));
  const linked = await host.exec(['ln', '-sfn', path, '/var/run/docker.sock']);
  if (linked.code !== 0) {
    await listener.close();
    throw new Error(linked.stderr.toString().trim() || `ln exited ${linked.code}`);
  }
  return listener;
}

/**
 * Serves the slot on the engine's socket from the start, so a window or `berth` sees the host's
 * bootstrap while it runs, then opens the engine into it. One engine per home: a second is refused.
 */
export async function serveEngine(config: EngineConfig, onStatus?: (status: HostStatus) => void): Promise<ServedEngine> {
  const path = socketPath(config.home);
  const running = await SocketClient.connect(path).catch(() => undefined);
  if (running) {
    running.close();
    throw new BerthError('ENGINE_ALREADY_RUNNING', `an engine already serves ${config.home} (socket ${path})`, { fix: 'stop it first, or set BERTH_HOME' });
  }
  const slot = EngineSlot.starting(config.host.kind);
  const server = await serveSocket(slot, path);
  const docker = await serveDockerEndpoints(slot, config.home);
  let inLinux: UnixListener | undefined;
  // Quitting while the host is still being set up (a distro import) stops the set-up rather than waiting for it.
  const quitting = new AbortController();
  const opening = openEngineInto(slot, config, onStatus, quitting.signal).then(async (engine) => {
    if (engine?.host.ownLinux) {
      inLinux = await serveDockerInLinux(engine.host, docker[0]!).catch((err: unknown) => {
        engine.warnings.push(`Docker's API is not served inside Linux (/var/run/docker.sock): ${(err as Error).message}`);
        return undefined;
      });
    }
    return engine;
  });
  let stopping: Promise<void> | undefined;
  return {
    slot,
    socketPath: path,
    dockerSocketPath: dockerSocketPath(config.home),
    opening,
    stop: () =>
      (stopping ??= (async () => {
        quitting.abort();
        slot.detach();
        await Promise.all([server.close(), ...docker.map((endpoint) => endpoint.close()), inLinux?.close()]);
        const engine = await opening.catch(() => undefined);
        await engine?.quit();
      })()),
  };
}
