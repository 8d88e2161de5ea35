import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Api, ContractEvents, EventName, EventPayload, SystemInfo } from '../../shared/contract.js';
import type { Container, LogStream, RunSpec } from '../../shared/containers.js';
import { BerthError } from '../../shared/berth-error.js';
import type { PullProgress } from '../../shared/images.js';
import type { TerminalSession } from '../../shared/terminals.js';
import type { Host } from '../host/host.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from '../images/image-store.js';
import { ContainerStore } from '../runtime/container-store.js';
import { resolveCommand } from '../runtime/oci-spec.js';
import { checkResources } from '../runtime/resources.js';
import { RuntimeCli } from '../runtime/runtime-cli.js';
import type { PortRelay } from '../ports/port-relay.js';
import { WorkerPortRelay } from '../ports/worker-port-relay.js';
import { BridgeNetwork } from '../network/bridge-network.js';
import { ContainerActions } from './container-actions.js';
import { ContainerHealthChecks } from './container-health.js';
import { ContainerLifecycle } from './container-lifecycle.js';
import { ContainerLogs } from './container-logs.js';
import { ContainerStatsSampler } from './container-stats.js';
import { generateName, validateName } from './container-names.js';
import type { EngineConfig } from './engine-config.js';
import { parsePublishSpecs, PortPublisher } from '../ports/port-publisher.js';
import { shouldStartWithEngine } from './restart-policy.js';
import { execInContainer } from './container-exec.js';
import { waitForContainer } from './container-wait.js';
import { TerminalSessions } from '../terminal/terminal-sessions.js';
import { SocketForwards } from '../sockets/socket-forwards.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { KeyedLock } from './keyed-lock.js';
import { ContainerStdin } from './container-stdin.js';
import { resolveRunMounts } from './run-mounts.js';
import { SettingsStore } from './settings-store.js';

export const ENGINE_VERSION = '0.1.0';

/** What Engine.open makes and hands over in one piece: the services the engine maps the contract onto. */
interface EngineServices {
  host: Host;
  runtime: RuntimeCli;
  images: ImageStore;
  store: ContainerStore;
  lifecycle: ContainerLifecycle;
  logs: ContainerLogs;
  stats: ContainerStatsSampler;
  relay: PortRelay;
  volumes: VolumeStore;
  sockets: SocketForwards;
  settings: SettingsStore;
  terminals: TerminalSessions;
  stdin: ContainerStdin;
  actions: ContainerActions;
  health: ContainerHealthChecks;
  /** CPUs the host has, the most a container's --cpus may ask for. */
  cpuCount: number;
  /** What works less than fully on this host (e.g. no NAT). */
  warnings: string[];
}

/** Composes host, images, runtime and network into the API the app and the CLI call. */
export class Engine extends EventEmitter<ContractEvents> {
  readonly api: Api;
  readonly host: Host;
  readonly runtime: RuntimeCli;
  readonly images: ImageStore;
  readonly terminals: TerminalSessions;
  readonly warnings: string[];
  private readonly store: ContainerStore;
  private readonly lifecycle: ContainerLifecycle;
  private readonly logs: ContainerLogs;
  private readonly stats: ContainerStatsSampler;
  private readonly relay: PortRelay;
  private readonly volumes: VolumeStore;
  private readonly sockets: SocketForwards;
  private readonly settings: SettingsStore;
  private readonly stdin: ContainerStdin;
  private readonly actions: ContainerActions;
  private readonly health: ContainerHealthChecks;
  private readonly cpuCount: number;
  private readonly names = new Set<string>();
  /** --rm removals under way. */
  private readonly removing = new Set<string>();
  /** Volume create and remove, and a run between making its volumes and recording its container. */
  private readonly volumeLock = new KeyedLock();

  private constructor(
    readonly config: EngineConfig,
    services: EngineServices,
  ) {
    super();
    ({
      host: this.host, runtime: this.runtime, images: this.images, terminals: this.terminals, warnings: this.warnings,
      store: this.store, lifecycle: this.lifecycle, logs: this.logs, stats: this.stats, relay: this.relay, volumes: this.volumes,
      sockets: this.sockets, settings: this.settings, stdin: this.stdin, actions: this.actions, health: this.health, cpuCount: this.cpuCount,
    } = services);
    this.api = this.buildApi();
  }

  static async open(config: EngineConfig, host: Host = new LocalHost(config.dataRoot)): Promise<Engine> {
    await mkdir(config.home, { recursive: true, mode: 0o700 });
    const uid = (await host.exec(['id', '-u'])).stdout.toString().trim();
    if (uid !== '0') {
      throw new BerthError('RUNTIME_ERROR', 'the engine needs root on its Linux host (mounts, network namespaces)', { fix: 'run it as root' });
    }
    await host.mkdir(host.dataRoot);
    const runtime = await RuntimeCli.probe(host, `${host.dataRoot}/runtime`, config.runtimePath);
    const nofileLimit = Number((await host.exec(['sh', '-c', 'ulimit -Hn'])).stdout.toString().trim()) || 1024;
    const cpuCount = Number((await host.exec(['nproc'])).stdout.toString().trim()) || 1;
    const images = new ImageStore({ host, home: config.home, bundled: config.bundledImages });
    const store = new ContainerStore(join(config.home, 'containers'));
    const network = new BridgeNetwork(host, config.bridge);
    const warnings = await network.setUp();
    const relay = await WorkerPortRelay.start();
    const ports = new PortPublisher(relay, host, config.ports, () => store.running());
    const volumes = new VolumeStore(host);
    const sockets = new SocketForwards(host);
    const settings = new SettingsStore(config.home, (changed) => engine?.emitEvent('settings.changed', changed));
    await settings.load();
    let engine: Engine | undefined;
    const actions = new ContainerActions((action) => engine?.emitEvent('containers.action', action));
    const terminals = new TerminalSessions({
      host, runtime,
      changed: (session) => {
        const container = store.get(session.containerId);
        if (container && !session.main && session.exitCode !== null) actions.record(container, 'exec_die', { exitCode: String(session.exitCode) });
        engine?.emitEvent('terminals.changed', { session });
      },
    });
    const stdin = new ContainerStdin(host);
    const health = new ContainerHealthChecks({
      host, runtime,
      image: async (container) => (await images.resolve(container.imageId))?.config,
      update: (id, found) => lifecycle.setHealth(id, found),
      changed: (container, status) => actions.record(container, 'health_status', { healthStatus: status }),
    });
    const lifecycle = new ContainerLifecycle({
      host, runtime, store, images, network, ports, volumes, sockets, nofileLimit, logLimits: config.logLimits,
      changed: (container) => {
        // A container that is no longer running takes its shells and its health checks with it.
        if (container.state.status !== 'running') {
          void terminals.endContainer(container.id);
          health.unwatch(container.id);
        } else {
          void health.watch(container);
        }
        engine?.emitEvent('containers.changed', { container });
        engine?.autoRemove(container);
      },
      attachReady: async (container) => {
        if (container.spec.tty) await engine?.openMainTerminal(container);
        else await stdin.connect(container.id);
      },
      action: (container, action, attributes) => actions.record(container, action, attributes),
    });
    const logs = new ContainerLogs(host, config.logLimits, () => store.running().map((c) => c.id), (id) => lifecycle.whenExited(id));
    const stats = new ContainerStatsSampler(runtime);
    engine = new Engine(config, { host, runtime, images, store, lifecycle, logs, stats, relay, volumes, sockets, settings, terminals, stdin, actions, health, cpuCount, warnings });
    await engine.reconcile(network);
    return engine;
  }

  /**
   * What quitting the app does: running containers stop gracefully and give back their ports, unless
   * the keep-running setting (or BERTH_KEEP_RUNNING) leaves them for the next engine to adopt.
   */
  async quit(): Promise<void> {
    if (!this.config.keepRunning && !this.settings.get().keepRunningOnQuit) await this.lifecycle.stopAllForQuit();
    await this.close();
  }

  /**
   * Stops the engine's own work. Containers keep running; their host ports close with the relay, and
   * the next engine adopts the containers and takes their ports back.
   */
  async close(): Promise<void> {
    this.lifecycle.close();
    this.health.close();
    await this.logs.close();
    await this.terminals.closeAll();
    this.stdin.closeAll();
    this.removeAllListeners();
    await this.sockets.closeAll();
    await this.relay.close();
    await this.host.close();
  }

  emitEvent<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.emit('event', name, payload);
  }

  /** Brings records and reality together after a start: adopts survivors, records exits, applies restart policies. */
  private async reconcile(network: BridgeNetwork): Promise<void> {
    const records = await this.store.load();
    for (const container of records) {
      this.names.add(container.name);
      if (container.state.status === 'running') network.adopt(container.id, container.network.address);
    }
    // The runtime's containers that no record shows running: a start cut off by a crash (the record
    // never saw it run) or one whose record is gone. The user never got them: they go.
    const running = new Set(records.filter((c) => c.state.status === 'running').map((c) => c.id));
    for (const id of await this.runtime.list()) {
      if (!running.has(id)) await this.runtime.delete(id);
    }
    for (const container of records.filter((c) => c.state.status === 'created' && c.state.startedAt === '' && c.state.error === '')) {
      await this.lifecycle.record({ ...container, state: { ...container.state, error: 'the engine stopped while starting it: start it again' } });
    }
    await this.lifecycle.cleanUpStopped(records.filter((c) => c.state.status !== 'running'));
    for (const file of this.store.damaged) this.warnings.push(`container record ${file} is damaged and was skipped`);
    // --rm containers that exited while no engine ran (or as the last one quit) go now.
    for (const container of records) this.autoRemove(container);
    for (const container of records) {
      const wasRunning = container.state.status === 'running';
      const now = wasRunning ? await this.lifecycle.adopt(container) : container.state.status;
      const current = this.store.get(container.id);
      if (now === 'exited' && current && shouldStartWithEngine(current)) {
        const restarted = { ...current, state: { ...current.state, restartCount: current.state.restartCount + 1 } };
        await this.lifecycle.lock.run(current.id, () => this.lifecycle.start(restarted)).catch(() => {});
      }
    }
  }

  private find(idOrName: string): Container {
    const all = this.store.list();
    const exact = all.find((c) => c.id === idOrName || c.name === idOrName.replace(/^\//, ''));
    if (exact) return exact;
    const byPrefix = all.filter((c) => idOrName.length >= 1 && c.id.startsWith(idOrName));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new BerthError('CONTAINER_NOT_FOUND', `container id prefix "${idOrName}" is ambiguous`);
    throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${idOrName}`);
  }

  /** Runs `task` under the container's lock with its latest record. */
  private withContainer<T>(idOrName: string, task: (container: Container) => Promise<T>): Promise<T> {
    const { id } = this.find(idOrName);
    return this.lifecycle.lock.run(id, async () => {
      const container = this.store.get(id);
      if (!container) throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${idOrName}`);
      return task(container);
    });
  }

  /** create + start under the container's lock; a run that fails leaves nothing behind: no record, no bundle, no name, no volume it made. */
  private async run(spec: RunSpec, onProgress: (p: PullProgress) => void): Promise<Container> {
    const { container, madeVolumes } = await this.create(spec, onProgress);
    try {
      return await this.lifecycle.lock.run(container.id, () => this.lifecycle.start(container));
    } catch (err) {
      await this.lifecycle.lock.run(container.id, () => this.removeContainer(container, true)).catch(() => {});
      if (madeVolumes.length > 0) await this.removeUnusedVolumes(madeVolumes).catch(() => {});
      throw err;
    }
  }

  /** Resolves everything a start needs (the image pulled, mounts and volumes) and records the container; starts nothing. */
  private async create(spec: RunSpec, onProgress: (p: PullProgress) => void): Promise<{ container: Container; madeVolumes: string[] }> {
    parsePublishSpecs({ spec });
    checkResources(spec.resources, this.cpuCount);
    if (spec.autoRemove && spec.restart.name !== 'no') {
      throw new BerthError('INVALID_ARGUMENT', `conflicting options: --rm and --restart ${spec.restart.name} (a container removed when it exits cannot be restarted)`);
    }
    const id = randomBytes(32).toString('hex');
    const { mounts, sockets } = await resolveRunMounts(this.host, spec, id);
    // Held from here, so two runs racing for one name cannot both get it.
    const name = this.claimName(spec.name !== undefined ? validateName(spec.name) : generateName((n) => this.names.has(n)));
    let created: Container | undefined;
    const madeVolumes: string[] = [];
    try {
      let fetched = false;
      const image = await this.images.ensure(spec.image, spec.pull, (progress) => {
        fetched ||= progress.status !== 'cached';
        onProgress(progress);
      });
      if (fetched) this.emitEvent('images.changed', {});
      const command = resolveCommand(spec, image.config);
      const container: Container = {
        id,
        name,
        image: spec.image,
        imageId: image.id,
        created: new Date().toISOString(),
        command,
        spec,
        state: { status: 'created', pid: 0, startedAt: '', finishedAt: '', exitCode: 0, error: '', lastOutput: '', restartCount: 0, oomKilled: false, stoppedByUser: false, stoppedByQuit: false },
        network: { mode: spec.network, address: '', gateway: '', prefixLength: 0, netnsPath: '' },
        ports: [],
        mounts,
        sockets,
      };
      // Named volumes are made as the run uses them (as Docker does), and the record that uses them is
      // saved before a remove of the volume can look.
      created = await this.volumeLock.run('volumes', async () => {
        for (const mount of mounts.filter((m) => m.type === 'volume')) {
          if (await this.volumes.exists(mount.source)) continue;
          await this.volumes.create(mount.source);
          madeVolumes.push(mount.source);
        }
        return this.lifecycle.record(container);
      });
      if (mounts.some((m) => m.type === 'volume')) this.emitEvent('volumes.changed', {});
      this.actions.record(created, 'create');
      return { container: created, madeVolumes };
    } catch (err) {
      if (created) await this.lifecycle.lock.run(created.id, () => this.removeContainer(created!, true)).catch(() => {});
      if (madeVolumes.length > 0) await this.removeUnusedVolumes(madeVolumes).catch(() => {});
      this.names.delete(name);
      throw err;
    }
  }

  /** Takes a name for a container, or says who has it. */
  private claimName(name: string): string {
    if (this.names.has(name)) {
      const holder = this.store.list().find((c) => c.name === name);
      throw new BerthError('NAME_IN_USE', `container name "${name}" is already in use${holder ? ` by container ${holder.id.slice(0, 12)}` : ''}`, { fix: 'remove it or choose another name' });
    }
    this.names.add(name);
    return name;
  }

  private async rename(container: Container, to: string): Promise<Container> {
    const name = validateName(to);
    if (name === container.name) throw new BerthError('INVALID_ARGUMENT', `container ${container.name} already has that name`);
    this.claimName(name);
    this.names.delete(container.name);
    const renamed = await this.lifecycle.record({ ...container, name });
    this.actions.record(renamed, 'rename', { oldName: container.name });
    return renamed;
  }

  /** The engine's session on the main process of a container started with -t; it ends with the container's exit code. */
  private openMainTerminal(container: Container): Promise<TerminalSession> {
    if (!container.spec.tty) {
      throw new BerthError('INVALID_ARGUMENT', `container ${container.name} was not started with a terminal (-t): follow its output with berth logs -f`);
    }
    const exitCode = () => this.lifecycle.whenExited(container.id).then(() => this.store.get(container.id)?.state.exitCode ?? 0);
    return this.terminals.openMain(container.id, container.command, exitCode);
  }

  /** Docker's --rm: a container that exited goes, as its own removal would do it. */
  private autoRemove(container: Container): void {
    if (!container.spec.autoRemove || container.state.status !== 'exited' || this.removing.has(container.id)) return;
    this.removing.add(container.id);
    void this.lifecycle.lock
      .run(container.id, async () => {
        const current = this.store.get(container.id);
        if (current?.state.status === 'exited') await this.removeContainer(current, true);
      })
      .catch(() => {})
      .finally(() => this.removing.delete(container.id));
  }

  private async removeContainer(container: Container, force: boolean): Promise<void> {
    await this.lifecycle.remove(container, force);
    await this.terminals.endContainer(container.id);
    this.names.delete(container.name);
    this.actions.record(container, 'destroy');
    this.emitEvent('containers.changed', { removedId: container.id });
    if (container.mounts.some((m) => m.type === 'volume')) this.emitEvent('volumes.changed', {});
  }

  /** Volumes a failed run made for itself: they go with it, unless another container took them meanwhile. */
  private removeUnusedVolumes(names: string[]): Promise<void> {
    return this.volumeLock.run('volumes', async () => {
      for (const name of names) if (this.volumeUsers(name).length === 0) await this.volumes.remove(name);
      this.emitEvent('volumes.changed', {});
    });
  }

  /** The container, which must be running (exec and terminals need its process). */
  private running(idOrName: string): Container {
    const container = this.find(idOrName);
    if (container.state.status !== 'running') throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`);
    return container;
  }

  /** Names of the containers (running or not) that mount the volume: it cannot be removed under them. */
  private volumeUsers(name: string): string[] {
    return this.store
      .list()
      .filter((c) => c.mounts.some((m) => m.type === 'volume' && m.source === name))
      .map((c) => c.name);
  }

  private info(): SystemInfo {
    const containers = this.store.list();
    return {
      version: ENGINE_VERSION,
      host: this.host.kind,
      runtime: { name: this.runtime.name, version: this.runtime.version, binary: this.runtime.binary },
      home: this.config.home,
      containers: { running: containers.filter((c) => c.state.status === 'running').length, total: containers.length },
      images: 0,
      ports: { autoExpose: this.config.ports.autoExpose, publishIp: this.config.ports.implicitHostIp },
      warnings: this.warnings,
    };
  }

  private buildApi(): Api {
    return {
      // An engine exists only on a host that was made ready.
      'system.status': async () => ({ kind: this.host.kind, state: 'ready', message: this.host.readyMessage }),
      'system.info': async () => ({ ...this.info(), images: (await this.images.list()).length }),
      'system.events': async (window, { emit, signal }) => (await this.actions.follow(window, emit, signal), {}),
      'settings.get': async () => this.settings.get(),
      'settings.set': (change) => this.settings.set(change),
      'images.list': () => this.images.list(),
      'images.pull': async ({ reference }, { emit }) => {
        const image = await this.images.pull(reference, emit);
        this.emitEvent('images.changed', {});
        return image;
      },
      'images.load': async ({ path }) => {
        const loaded = await this.images.load(path);
        this.emitEvent('images.changed', {});
        return loaded;
      },
      'images.remove': async ({ reference }) => {
        const removed = await this.images.remove(reference, (id) => this.store.list().some((c) => c.imageId === id));
        this.emitEvent('images.changed', {});
        return removed;
      },
      'volumes.list': () => this.volumes.list((name) => this.volumeUsers(name)),
      'volumes.create': ({ name }) =>
        this.volumeLock.run('volumes', async () => {
          const created = await this.volumes.create(name);
          this.emitEvent('volumes.changed', {});
          const volume = (await this.volumes.list((n) => this.volumeUsers(n))).find((v) => v.name === created.name);
          if (!volume) throw new BerthError('INTERNAL', `volume ${created.name} was not made`);
          return volume;
        }),
      'volumes.remove': ({ name }) =>
        this.volumeLock.run('volumes', async () => {
          const users = this.volumeUsers(name);
          if (users.length > 0) throw new BerthError('VOLUME_IN_USE', `volume ${name} is used by ${users.join(', ')}`, { fix: 'remove those containers first' });
          await this.volumes.remove(name);
          this.emitEvent('volumes.changed', {});
          return { name };
        }),
      'containers.list': async ({ all }) =>
        this.store
          .list()
          .filter((c) => all || c.state.status === 'running')
          .sort((a, b) => b.created.localeCompare(a.created)),
      'containers.inspect': async ({ id }) => this.find(id),
      'containers.create': async (spec, { emit }) => (await this.create(spec, emit)).container,
      'containers.run': (spec, { emit }) => this.run(spec, emit),
      'containers.wait': async ({ id, condition }, { signal }) => ({ exitCode: await waitForContainer(this, this.find(id), condition, signal) }),
      'containers.rename': ({ id, name }) => this.withContainer(id, (c) => this.rename(c, name)),
      'containers.input': async ({ id, base64, end }) => {
        await this.stdin.write(this.running(id), Buffer.from(base64, 'base64'), end);
        return {};
      },
      'containers.start': ({ id }) =>
        this.withContainer(id, (c) => this.lifecycle.start({ ...c, state: { ...c.state, restartCount: 0 } })),
      'containers.stop': ({ id, timeout }) => this.withContainer(id, (c) => this.lifecycle.stop(c, timeout ?? c.spec.stopTimeout)),
      'containers.restart': ({ id, timeout }) =>
        this.withContainer(id, async (c) => {
          const stopped = await this.lifecycle.stop(c, timeout ?? c.spec.stopTimeout);
          return this.lifecycle.start({ ...stopped, state: { ...stopped.state, restartCount: 0 } });
        }),
      'containers.kill': ({ id, signal }) => this.withContainer(id, (c) => this.lifecycle.kill(c, signal)),
      'containers.remove': ({ id, force }) =>
        this.withContainer(id, async (c) => {
          await this.removeContainer(c, force);
          return { id: c.id };
        }),
      'containers.logs': async ({ id, ...options }, { emit, drained, signal }) => {
        const sink = { write: (stream: LogStream, data: Buffer) => emit({ stream, base64: data.toString('base64') }), drained };
        await this.logs.stream(this.find(id), options, sink, signal);
        return {};
      },
      'containers.stats': async ({ ids, stream }, { emit, signal }) => {
        const pick = () => {
          const running = this.store.running();
          return ids.length === 0 ? running : ids.map((id) => this.find(id)).filter((c) => c.state.status === 'running');
        };
        return this.stats.sample(pick, stream ? emit : undefined, signal);
      },
      'containers.exec': async ({ id, command, env, stdin }, { emit, drained, signal }) => {
        const container = this.running(id);
        this.actions.record(container, 'exec_start', { command: command.join(' ') });
        const exitCode = await execInContainer(this.host, this.runtime, container.id, { command, env, stdin }, { write: emit, drained }, signal);
        this.actions.record(container, 'exec_die', { command: command.join(' '), exitCode: String(exitCode) });
        return { exitCode };
      },
      'terminal.open': async ({ id, command, cols, rows, main }) => {
        const container = this.running(id);
        if (!main) {
          const session = await this.terminals.open({ containerId: container.id, command, cols, rows });
          this.actions.record(container, 'exec_start', { command: session.command.join(' ') });
          return session;
        }
        const session = await this.openMainTerminal(container);
        this.terminals.resize(session.id, cols, rows);
        this.actions.record(container, 'attach');
        return session;
      },
      'terminal.attach': async ({ sessionId }, { emit, drained, signal }) => ({
        exitCode: await this.terminals.attach(sessionId, { write: (data) => emit({ base64: data.toString('base64') }), drained }, signal),
      }),
      'terminal.input': async ({ sessionId, base64 }) => (this.terminals.input(sessionId, Buffer.from(base64, 'base64')), {}),
      'terminal.resize': async ({ sessionId, cols, rows }) => (this.terminals.resize(sessionId, cols, rows), {}),
      'terminal.close': async ({ sessionId }) => (await this.terminals.close(sessionId), {}),
      'terminal.list': async ({ containerId }) => this.terminals.list(containerId === undefined ? undefined : this.find(containerId).id),
    };
  }
}
