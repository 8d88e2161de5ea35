import type { ContainerAction } from '../../shared/containers.js';
import type { ContainerHealth } from '../../shared/health.js';
import { BerthError } from '../../shared/berth-error.js';
import type { Host, HostProcess } from '../host/host.js';
import type { ImageStore } from '../images/image-store.js';
import { bundlePaths, type BundlePaths } from '../runtime/bundle.js';
import { lastOutput, type LogLimits } from '../runtime/container-log.js';
import type { ContainerStore } from './container-store.js';
import { containerCgroup } from '../runtime/cgroup-parent.js';
import { buildOciSpec } from '../runtime/oci-spec.js';
import { resolveUser } from '../runtime/resolve-user.js';
import { mountRootfs, unmountRootfs } from '../runtime/rootfs.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import { parseSignal } from '../runtime/signals.js';
import { monitorFiles, prepareMonitor, readExitStatus, readRuntimeError, startMonitor, wasOomKilled } from '../runtime/monitor.js';
import { startFailureCode } from '../runtime/exec-status.js';
import { containerHostname, etcBinds, writeEtcFiles } from '../runtime/etc-files.js';
import { KeyedLock } from '../records/keyed-lock.js';
import { listLeftovers } from '../network/leftovers.js';
import { networkNames } from '../network/network-names.js';
import type { PortPublisher } from '../ports/port-publisher.js';
import type { SocketForwards } from '../sockets/socket-forwards.js';
import { fillVolumes, type VolumeToFill } from '../volumes/fill-volumes.js';
import { mountVolumes, stagingDir, unmountVolumes, type VolumeSource } from '../volumes/volume-mounts.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import type { ContainerNetworks } from './container-networks.js';
import type { ContainerRecord } from './container-record.js';
import { restartBackoff, shouldRestartAfterExit } from './restart-policy.js';

export interface LifecycleDeps {
  host: Host;
  runtime: RuntimeCli;
  store: ContainerStore;
  images: ImageStore;
  networks: ContainerNetworks;
  ports: PortPublisher;
  volumes: VolumeStore;
  sockets: SocketForwards;
  nofileLimit: number;
  logLimits: LogLimits;
  /**
   * A container started with -t or -i has been created (or adopted running): the engine takes its
   * terminal, or holds its stdin, before the process runs.
   */
  attachReady(container: ContainerRecord): Promise<void>;
  /**
   * The name tables of user-defined networks are brought up to date with the running containers and
   * `starting` (one about to run, so its peers find it and it finds its name server from the start),
   * without `failed` (one whose start failed).
   */
  names(starting?: ContainerRecord, failed?: string): Promise<void>;
  /** Docker's event for what happened to the container. */
  action(container: ContainerRecord, action: ContainerAction['action'], attributes?: Record<string, string>): void;
}

/** The engine holds the main process's stdio: its terminal (-t) or its stdin (-i). */
function holdsStdio(container: ContainerRecord): boolean {
  return container.spec.tty || container.spec.interactive;
}

/** Bounds on waits, so nothing the engine does can hang for ever. */
const START_TIMEOUT_MS = 30_000;
const ADOPTED_EXIT_POLL_MS = 250;
const KILL_WAIT_MS = 10_000;

/**
 * Start, stop, kill and remove of containers, and what happens when a container exits by itself.
 * Every operation on one container runs under its lock, so they never interleave.
 */
export class ContainerLifecycle {
  readonly lock = new KeyedLock();
  /** Resolves when the running container's exit has been recorded and cleaned up. */
  private readonly exits = new Map<string, { done: Promise<void>; resolve: () => void }>();
  private readonly exiting = new Set<string>();
  /**
   * Exited containers whose every release step succeeded at their exit: removing them needs no
   * second pass. Kept in memory only, so after an engine restart removal releases again (idempotent).
   */
  private readonly releasedAtExit = new Set<string>();
  /** Consecutive quick exits per container, for the restart back-off. */
  private readonly quickExits = new Map<string, number>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** The app is quitting: exits are recorded, but restart policies wait for the next engine. */
  private quitting = false;

  constructor(private readonly deps: LifecycleDeps) {}

  paths(id: string): BundlePaths {
    return bundlePaths(this.deps.host.dataRoot, id);
  }

  /** Starts a created or exited container. Must be called under the container's lock. */
  async start(container: ContainerRecord): Promise<ContainerRecord> {
    const { host, runtime, images, networks, ports, sockets } = this.deps;
    if (container.state.status === 'running') return container;
    this.cancelRestart(container.id);
    this.releasedAtExit.delete(container.id);
    const paths = this.paths(container.id);
    const image = await images.resolve(container.imageId);
    if (!image) throw new BerthError('IMAGE_NOT_FOUND', `image ${container.image} (${container.imageId.slice(0, 19)}) is gone`, { fix: 'pull it again' });
    const undo: (() => Promise<unknown>)[] = [];
    try {
      // Host ports first: a busy one (the commonest failure) fails the start before anything else is made.
      undo.push(() => ports.release(container.id));
      const { mappings, warnings } = await ports.reserve(container, container.publish, image.config.exposedPorts);
      await prepareMonitor(host, paths);
      await mountRootfs(host, paths, images.layerPaths(image));
      undo.push(() => unmountRootfs(host, paths));
      const { network: net, netnsPath, endpoints } = await networks.attach(container);
      undo.push(() => networks.detach({ ...container, networks: endpoints }));
      if (networks.hasNames(container)) {
        undo.push(() => this.deps.names(undefined, container.id));
        await this.deps.names({ ...container, networks: endpoints });
      }
      const hostname = await containerHostname(host, container.spec.hostname, container.id, net.mode);
      await writeEtcFiles(host, paths, hostname, net.address, net.mode, networks.nameServer(endpoints));
      const user = await resolveUser(host, paths.rootfs, container.spec.user ?? image.config.user);
      // A new volume gets what the image holds at its path when its container first starts, as
      // Docker fills it at create: the image's files are only there once the root is mounted.
      if (container.state.startedAt === '') await fillVolumes(host, paths.rootfs, this.volumesToFill(container));
      // Folders and sockets are taken at start and given back at stop: a stopped container holds none.
      undo.push(() => this.releaseVolumes(container));
      const volumePaths = await mountVolumes(host, host.dataRoot, container.id, this.volumeSources(container));
      undo.push(() => sockets.close(container.id));
      const socketBinds = await sockets.listenInside(container.id, container.sockets);
      const spec = buildOciSpec({
        spec: container.spec,
        image: image.config,
        command: container.command,
        user,
        hostname,
        network: { mode: net.mode, netnsPath },
        cgroupsPath: containerCgroup(container.id),
        nofileLimit: this.deps.nofileLimit,
        binds: [
          ...etcBinds(paths),
          ...container.mounts.map((m, i) => ({ source: volumePaths[i]!, destination: m.destination, readOnly: m.readOnly })),
          ...socketBinds,
        ],
      });
      await host.writeFile(paths.config, JSON.stringify(spec));
      const monitor = startMonitor(host, runtime, container.id, paths, this.deps.logLimits, container.spec);
      undo.push(() => runtime.delete(container.id));
      const pid = await this.waitForCreate(monitor, paths);
      // Before the process runs, so its first output (a shell's prompt) is held for whoever attaches.
      if (holdsStdio(container)) await this.deps.attachReady(container);
      await sockets.listenOnHost(container.id, pid, container.sockets);
      if (net.mode === 'bridge') await ports.activate(container.id, net.address, mappings);
      // Forwarding is ready before the process runs, so its first connections are not held.
      await runtime.start(container.id);
      const running: ContainerRecord = {
        ...container,
        network: net,
        networks: endpoints,
        ports: mappings,
        state: { ...container.state, status: 'running', pid, startedAt: new Date().toISOString(), finishedAt: '', exitCode: 0, error: '', warnings, lastOutput: '', oomKilled: false, health: undefined, stoppedByUser: false, stoppedByQuit: false },
      };
      await this.record(running);
      this.deps.action(running, 'start');
      this.watchExit(running.id, monitor.exited);
      return running;
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      const error = BerthError.from(err);
      await this.record({ ...container, state: { ...container.state, pid: 0, exitCode: 128, error: error.message } });
      throw error;
    }
  }

  /** Stop signal, up to `timeoutSec` for the process to exit, then SIGKILL. Under the lock. */
  async stop(container: ContainerRecord, timeoutSec: number): Promise<ContainerRecord> {
    await this.markStoppedByUser(container);
    const stopped = await this.stopProcess(container, timeoutSec);
    this.deps.action(stopped, 'stop');
    return stopped;
  }

  /** Stops every running container at once, each as `stop` would with its own timeout. */
  async stopAllForQuit(): Promise<void> {
    this.quitting = true;
    for (const id of [...this.restartTimers.keys()]) this.cancelRestart(id);
    const running = this.deps.store.running();
    await Promise.all(
      running.map((c) =>
        this.lock.run(c.id, async () => {
          const marked = await this.update(c.id, (current) => ({ ...current, state: { ...current.state, stoppedByQuit: true } }));
          await this.stopProcess(marked, marked.spec.stopTimeout);
        }),
      ),
    );
  }

  private async stopProcess(container: ContainerRecord, timeoutSec: number): Promise<ContainerRecord> {
    if (container.state.status !== 'running') return this.current(container.id);
    const image = await this.deps.images.resolve(container.imageId);
    const signal = parseSignal(image?.config.stopSignal || 'TERM');
    this.deps.action(container, 'kill', { signal: String(signal.number) });
    await this.deps.runtime.kill(container.id, signal.number);
    if (!(await this.waitForExit(container.id, timeoutSec * 1000))) {
      this.deps.action(container, 'kill', { signal: '9' });
      await this.deps.runtime.kill(container.id, 9, true);
      await this.waitForExit(container.id, KILL_WAIT_MS);
    }
    return this.current(container.id);
  }

  /** Sends a signal; for SIGKILL waits until the exit is recorded. Under the lock. */
  async kill(container: ContainerRecord, signalText: string): Promise<ContainerRecord> {
    const signal = parseSignal(signalText);
    if (container.state.status !== 'running') {
      throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`);
    }
    // As in Docker, a container the user killed is not brought back by its restart policy.
    await this.markStoppedByUser(container);
    this.deps.action(container, 'kill', { signal: String(signal.number) });
    await this.deps.runtime.kill(container.id, signal.number);
    if (signal.number === 9) await this.waitForExit(container.id, KILL_WAIT_MS);
    return this.current(container.id);
  }

  /** Removes everything the container owns: runtime state, mounts, network, bundle, record. Under the lock. */
  async remove(container: ContainerRecord, force: boolean): Promise<void> {
    const { host, runtime, store } = this.deps;
    this.cancelRestart(container.id);
    if (container.state.status === 'running') {
      if (!force) {
        throw new BerthError('CONTAINER_RUNNING', `container ${container.name} is running`, { fix: 'stop it first or remove it with -f' });
      }
      await this.markStoppedByUser(container);
      // Docker's events for a forced remove: kill, die, destroy.
      this.deps.action(container, 'kill', { signal: '9' });
      await runtime.kill(container.id, 9, true);
      await this.waitForExit(container.id, KILL_WAIT_MS);
    }
    if (!this.releasedAtExit.delete(container.id)) await this.release(container, false);
    await host.remove(this.paths(container.id).dir);
    await store.delete(container.id);
  }

  /**
   * Takes over a container that a previous engine started: still running → watch for its exit;
   * gone → record its exit as its monitor left it.
   */
  async adopt(container: ContainerRecord): Promise<'running' | 'exited'> {
    const { runtime } = this.deps;
    const paths = this.paths(container.id);
    const state = await runtime.state(container.id);
    if (state && state.status !== 'stopped') {
      if (!this.exits.has(container.id)) this.watchExit(container.id, this.pollExit(paths));
      if (holdsStdio(container)) await this.deps.attachReady(container).catch(() => {});
      const { mappings, problems } = await this.deps.ports.readopt(container);
      await this.deps.ports.activate(container.id, container.network.address, mappings);
      problems.push(...(await this.reopenSockets(container, state.pid)));
      await this.record({ ...container, ports: mappings, state: { ...container.state, pid: state.pid, error: problems.join('; ') } });
      return 'running';
    }
    await this.onExit(container.id, (await readExitStatus(this.deps.host, paths)) ?? 255);
    return 'exited';
  }

  /**
   * Releases what a crashed engine left for containers that are not running: their namespaces,
   * veths, rootfs and volume mounts and socket files. Only this engine's own containers are touched, since other engines
   * may share the machine.
   */
  async cleanUpStopped(containers: ContainerRecord[]): Promise<void> {
    if (containers.length === 0) return;
    const { host, networks } = this.deps;
    const leftovers = await listLeftovers(host);
    const names = new Set([...leftovers.netns, ...leftovers.veths]);
    const mountinfo = (await host.readFile('/proc/self/mountinfo').catch(() => Buffer.alloc(0))).toString();
    for (const container of containers) {
      const { netns, vethHost } = networkNames(container.id);
      if (names.has(netns) || names.has(vethHost)) await networks.detach(container).catch(() => {});
      const rootfs = this.paths(container.id).rootfs;
      if (mountinfo.includes(` ${rootfs} `)) await unmountRootfs(host, this.paths(container.id)).catch(() => {});
      if (mountinfo.includes(` ${stagingDir(host.dataRoot, container.id)}/`)) await unmountVolumes(host, host.dataRoot, container.id).catch(() => {});
      await this.deps.sockets.removeLeftovers(container.sockets).catch(() => {});
    }
  }

  /** Resolves once the container's exit is recorded (at once if it is not running). */
  whenExited(id: string): Promise<void> {
    return this.exits.get(id)?.done ?? Promise.resolve();
  }

  /** Stops watching; containers keep running and a later engine adopts them. */
  close(): void {
    this.closed = true;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
  }

  /** Each mount's folder on the Linux side: a volume's data, or the host folder as Linux sees it. */
  /** A container's mounts are fixed when it is made: one without any has no staging folder to look at. */
  private async releaseVolumes(container: ContainerRecord): Promise<void> {
    if (container.mounts.length > 0) await unmountVolumes(this.deps.host, this.deps.host.dataRoot, container.id);
  }

  private volumesToFill(container: ContainerRecord): VolumeToFill[] {
    return container.mounts.filter((m) => m.type === 'volume').map((m) => ({ dataPath: this.deps.volumes.dataPath(m.source), destination: m.destination }));
  }

  private volumeSources(container: ContainerRecord): VolumeSource[] {
    return container.mounts.map((mount) => {
      const linuxPath = mount.type === 'volume' ? this.deps.volumes.dataPath(mount.source) : this.deps.host.linuxPath(mount.source);
      if (linuxPath === undefined) throw new BerthError('INVALID_ARGUMENT', `invalid volume: ${mount.source} is not an absolute path`);
      return { linuxPath, readOnly: mount.readOnly, label: mount.source };
    });
  }

  /**
   * A new engine listens again for an adopted container's forwards. Those into the container go through
   * a socket file the runtime bound into it at start, which died with the old engine: they come back
   * when the container restarts.
   */
  private async reopenSockets(container: ContainerRecord, pid: number): Promise<string[]> {
    const { sockets } = this.deps;
    const problems: string[] = [];
    try {
      await sockets.listenInside(container.id, container.sockets);
      await sockets.listenOnHost(container.id, pid, container.sockets);
    } catch (err) {
      problems.push(BerthError.from(err).message);
    }
    const stale = container.sockets.filter((f) => f.direction === 'to-host').map((f) => f.containerPath);
    if (stale.length > 0) problems.push(`restart the container to reconnect ${stale.join(', ')}: the engine restarted`);
    return problems;
  }

  /** Waits for the runtime's pid file: it is written once the monitor has created the container. */
  private async waitForCreate(monitor: HostProcess, paths: BundlePaths): Promise<number> {
    const { host } = this.deps;
    let ended = false;
    void monitor.exited.then(() => {
      ended = true;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 20)) {
      if (await host.stat(paths.pidFile)) {
        const pid = Number((await host.readFile(paths.pidFile)).toString().trim());
        if (pid > 0) return pid;
      }
      if (ended) {
        const reason = (await readRuntimeError(host, paths)) || 'the runtime exited before the container started';
        throw new BerthError(startFailureCode(reason), `container failed to start: ${reason}`);
      }
      await sleep(delay);
    }
    monitor.kill('SIGKILL');
    throw new BerthError('RUNTIME_ERROR', `container did not start within ${START_TIMEOUT_MS / 1000} s`);
  }

  private watchExit(id: string, exited: Promise<unknown>): void {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.exits.set(id, { done, resolve });
    void exited.then(async () => {
      // A closed engine leaves the exit to the engine that adopts the container.
      if (this.closed) return;
      const status = (await readExitStatus(this.deps.host, this.paths(id))) ?? 255;
      // Not under the lock: a stop holding it is waiting for exactly this.
      await this.onExit(id, status).catch(() => {});
    });
  }

  /** For adopted containers there is no child to wait on: the monitor's exit file says when. */
  private async pollExit(paths: BundlePaths): Promise<void> {
    const { exitFile } = await monitorFiles(this.deps.host, paths);
    while (!this.closed && !(await this.deps.host.stat(exitFile))) await sleep(ADOPTED_EXIT_POLL_MS);
  }

  private async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const pending = this.exits.get(id);
    if (!pending) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const result = await Promise.race([pending.done.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  /**
   * Records an exit and releases what the container held; then applies its restart policy.
   * Runs outside the container's lock (see watchExit); the status check makes a second call a no-op.
   */
  private async onExit(id: string, exitCode: number): Promise<void> {
    if (this.exiting.has(id)) return;
    const container = this.deps.store.get(id);
    const pending = this.exits.get(id);
    if (!container || container.state.status !== 'running') {
      this.exits.delete(id);
      pending?.resolve();
      return;
    }
    this.exiting.add(id);
    let exited: ContainerRecord;
    try {
      if (await this.release(container, true)) this.releasedAtExit.add(id);
      const output = await lastOutput(this.deps.host, this.paths(id).log).catch(() => '');
      const oomKilled = await wasOomKilled(this.deps.host, this.paths(id));
      exited = await this.update(id, (c) => ({
        ...c,
        ports: [],
        networks: this.deps.networks.stopped(c),
        state: { ...c.state, status: 'exited', pid: 0, exitCode, finishedAt: new Date().toISOString(), lastOutput: output, oomKilled, health: undefined },
      }));
      if (this.deps.networks.hasNames(exited)) await this.deps.names().catch(() => {});
      if (oomKilled) this.deps.action(exited, 'oom');
      this.deps.action(exited, 'die', { exitCode: String(exitCode) });
    } finally {
      // Waiters are released only once everything the container held is released.
      this.exiting.delete(id);
      this.exits.delete(id);
      pending?.resolve();
    }
    if (!this.closed && !this.quitting && shouldRestartAfterExit(exited)) this.scheduleRestart(exited);
  }

  /**
   * Gives back what a container holds while it runs: host ports, sockets, runtime state, volumes,
   * rootfs mount, network. One step at a time: at once they were slower when a stack stops together.
   * Best effort goes on past a failed step and answers whether every step succeeded.
   */
  private async release(container: ContainerRecord, bestEffort: boolean): Promise<boolean> {
    const { host, runtime, ports, networks, sockets } = this.deps;
    const steps = [
      () => ports.release(container.id),
      () => sockets.close(container.id),
      () => runtime.delete(container.id),
      () => this.releaseVolumes(container),
      () => unmountRootfs(host, this.paths(container.id)),
      // Detach is idempotent; for host and none networking there is nothing to detach.
      () => networks.detach(container),
    ];
    let clean = true;
    for (const step of steps) {
      if (!bestEffort) await step();
      else
        await step().catch(() => {
          clean = false;
        });
    }
    return clean;
  }

  private scheduleRestart(container: ContainerRecord): void {
    const ranMs = Date.parse(container.state.finishedAt) - Date.parse(container.state.startedAt);
    const backoff = restartBackoff(this.quickExits.get(container.id) ?? 0, ranMs);
    this.quickExits.set(container.id, backoff.quickExits);
    const timer = setTimeout(() => {
      this.restartTimers.delete(container.id);
      void this.lock
        .run(container.id, async () => {
          const current = this.deps.store.get(container.id);
          if (!current || current.state.status === 'running' || current.state.stoppedByUser) return;
          await this.start({ ...current, state: { ...current.state, restartCount: current.state.restartCount + 1 } });
        })
        .catch(() => {});
    }, backoff.delayMs);
    this.restartTimers.set(container.id, timer);
  }

  private cancelRestart(id: string): void {
    const timer = this.restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(id);
  }

  private markStoppedByUser(container: ContainerRecord): Promise<ContainerRecord> {
    this.cancelRestart(container.id);
    return this.update(container.id, (c) => ({ ...c, state: { ...c.state, stoppedByUser: true } }));
  }

  /** Puts what the health checks found on the record of a container that still runs. */
  async setHealth(id: string, health: ContainerHealth): Promise<void> {
    if (this.deps.store.get(id)?.state.status !== 'running') return;
    await this.update(id, (c) => ({ ...c, state: { ...c.state, health } }));
  }

  /**
   * Changes the latest record, not a snapshot taken before an await: a stop and an exit that
   * happen together must both land (stoppedByUser and the exit code).
   */
  private update(id: string, change: (container: ContainerRecord) => ContainerRecord): Promise<ContainerRecord> {
    const current = this.current(id);
    return this.record(change(current));
  }

  private current(id: string): ContainerRecord {
    const container = this.deps.store.get(id);
    if (!container) throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${id}`);
    return container;
  }

  async record(container: ContainerRecord): Promise<ContainerRecord> {
    await this.deps.store.save(container);
    return container;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
