import { randomBytes } from 'node:crypto';
import type { EventName, EventPayload } from '../../shared/contract.js';
import type { Container, RunSpec, WaitCondition } from '../../shared/containers.js';
import { networkModeOf, type EndpointRequest, type Network } from '../../shared/networks.js';
import { BerthError } from '../../shared/berth-error.js';
import type { ContainerUsage, PruneReport, PruneRequest, VolumeUsage } from '../../shared/disk-usage.js';
import type { Image, PullProgress } from '../../shared/images.js';
import type { Mount, Volume } from '../../shared/mounts.js';
import type { TerminalSession } from '../../shared/terminals.js';
import type { Host } from '../host/host.js';
import type { ImageStore } from '../images/image-store.js';
import type { NameService } from '../network/name-service.js';
import type { NetworkInfo, Networks } from '../network/networks.js';
import type { PortPublisher } from '../ports/port-publisher.js';
import { containerDiskUsage } from '../runtime/container-disk-usage.js';
import { containerPath } from '../runtime/container-path.js';
import type { LogLimits } from '../runtime/container-log.js';
import { resolveCommand } from '../runtime/oci-spec.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import type { SocketForwards } from '../sockets/socket-forwards.js';
import type { TerminalSessions } from '../terminal/terminal-sessions.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import type { ContainerActions } from './container-actions.js';
import { ContainerFiles } from './container-files.js';
import { ContainerHealthChecks } from './container-health.js';
import { toContainer, type ContainerRecord } from './container-record.js';
import { ContainerLifecycle } from './container-lifecycle.js';
import { ContainerNetworks } from './container-networks.js';
import { generateName, validateName } from './container-names.js';
import type { ContainerStdin } from './container-stdin.js';
import type { ContainerStore } from './container-store.js';
import { waitForContainer, waitForStart } from './container-wait.js';
import { KeyedLock } from '../records/keyed-lock.js';
import { shouldStartWithEngine } from './restart-policy.js';
import { planRun } from './run-plan.js';

/** The random name a volume made without one gets. */
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;
/** The label Docker marks a volume made without a name with. */
const ANONYMOUS_LABELS = { 'com.docker.volume.anonymous': '' };

export interface ContainersDeps {
  host: Host;
  runtime: RuntimeCli;
  images: ImageStore;
  store: ContainerStore;
  networks: Networks;
  /** Serves the names on user-defined networks. */
  names: NameService;
  ports: PortPublisher;
  volumes: VolumeStore;
  sockets: SocketForwards;
  terminals: TerminalSessions;
  stdin: ContainerStdin;
  actions: ContainerActions;
  nofileLimit: number;
  logLimits: LogLimits;
  /** CPUs the host has, the most a container's --cpus may ask for. */
  cpuCount: number;
  /** The engine's events (containers and volumes changed). */
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
}

/**
 * The containers service: create, start, stop, kill, restart, rename and remove, each under the
 * container's lock; names; --rm; restart policies at engine start; the volumes runs make.
 */
export class Containers {
  readonly lifecycle: ContainerLifecycle;
  readonly files: ContainerFiles;
  private readonly endpoints: ContainerNetworks;
  private readonly health: ContainerHealthChecks;
  private readonly names = new Set<string>();
  /** --rm removals under way. */
  private readonly removing = new Set<string>();
  /** Volume create and remove, and a run between making its volumes and recording its container. */
  private readonly volumeLock = new KeyedLock();
  /** Containers about to run, already in the name tables: their records say running once they do. */
  private readonly starting = new Map<string, ContainerRecord>();

  constructor(private readonly deps: ContainersDeps) {
    const { host, runtime, images, store, actions } = deps;
    this.endpoints = new ContainerNetworks(host, deps.networks);
    this.health = new ContainerHealthChecks({
      host, runtime,
      image: async (container) => (await images.resolve(container.imageId))?.config,
      update: (id, found) => this.lifecycle.setHealth(id, found),
      changed: (container, status) => actions.record(container, 'health_status', { healthStatus: status }),
    });
    this.lifecycle = new ContainerLifecycle({
      host, runtime, store, images,
      networks: this.endpoints, ports: deps.ports, volumes: deps.volumes, sockets: deps.sockets, nofileLimit: deps.nofileLimit, logLimits: deps.logLimits,
      attachReady: async (container) => {
        if (container.spec.tty) await this.openMainTerminal(container);
        else await deps.stdin.connect(container.id);
      },
      action: (container, action, attributes) => actions.record(container, action, attributes),
      names: (starting, failed) => {
        if (starting) this.starting.set(starting.id, starting);
        if (failed) this.starting.delete(failed);
        return this.syncNames();
      },
    });
    this.files = new ContainerFiles({ host, images, lock: this.lifecycle.lock, paths: (id) => this.lifecycle.paths(id), current: (id) => store.get(id) });
    // Every change of a record, whoever made it, reaches the app and what follows a container's state.
    store.on('changed', (id, container) => {
      deps.emit('containers.changed', container ? { container: toContainer(container) } : { removedId: id });
      if (container) this.follow(container);
    });
  }

  list(all: boolean): Container[] {
    return this.deps.store
      .list()
      .filter((c) => all || c.state.status === 'running')
      .sort((a, b) => b.created.localeCompare(a.created))
      .map(toContainer);
  }

  inspect(idOrName: string): Container {
    return toContainer(this.find(idOrName));
  }

  running(): ContainerRecord[] {
    return this.deps.store.running();
  }

  /** A container by id, unique id prefix or name (with or without Docker's leading slash). */
  find(idOrName: string): ContainerRecord {
    const all = this.deps.store.list();
    const exact = all.find((c) => c.id === idOrName || c.name === idOrName.replace(/^\//, ''));
    if (exact) return exact;
    const byPrefix = all.filter((c) => idOrName.length >= 1 && c.id.startsWith(idOrName));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new BerthError('CONTAINER_NOT_FOUND', `container id prefix "${idOrName}" is ambiguous`);
    throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${idOrName}`);
  }

  /** The container, which must be running (exec, input and terminals need its process). */
  findRunning(idOrName: string): ContainerRecord {
    const container = this.find(idOrName);
    if (container.state.status !== 'running') throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`);
    return container;
  }

  /** create + start; a run that fails leaves nothing behind: no record, no bundle, no name, no volume it made. */
  async run(spec: RunSpec, onProgress: (p: PullProgress) => void): Promise<Container> {
    const { container, madeVolumes } = await this.make(spec, onProgress);
    try {
      return toContainer(await this.lifecycle.lock.run(container.id, () => this.lifecycle.start(container)));
    } catch (err) {
      await this.lifecycle.lock.run(container.id, () => this.removeContainer(container, true)).catch(() => {});
      if (madeVolumes.length > 0) await this.removeUnusedVolumes(madeVolumes).catch(() => {});
      throw err;
    }
  }

  async create(spec: RunSpec, onProgress: (p: PullProgress) => void): Promise<Container> {
    return toContainer((await this.make(spec, onProgress)).container);
  }

  start(idOrName: string): Promise<Container> {
    return this.change(idOrName, (c) => this.lifecycle.start({ ...c, state: { ...c.state, restartCount: 0 } }));
  }

  stop(idOrName: string, timeoutSec: number | undefined): Promise<Container> {
    return this.change(idOrName, (c) => this.lifecycle.stop(c, timeoutSec ?? c.spec.stopTimeout));
  }

  restart(idOrName: string, timeoutSec: number | undefined): Promise<Container> {
    return this.change(idOrName, async (c) => {
      const stopped = await this.lifecycle.stop(c, timeoutSec ?? c.spec.stopTimeout);
      return this.lifecycle.start({ ...stopped, state: { ...stopped.state, restartCount: 0 } });
    });
  }

  kill(idOrName: string, signal: string): Promise<Container> {
    return this.change(idOrName, (c) => this.lifecycle.kill(c, signal));
  }

  /** With `volumes` (`rm -v`), the container's anonymous volumes go too, unless another container took them meanwhile. */
  remove(idOrName: string, force: boolean, volumes = false): Promise<{ id: string }> {
    return this.withContainer(idOrName, async (c) => {
      await this.removeContainer(c, force);
      if (volumes) await this.removeAnonymousVolumes(c);
      return { id: c.id };
    });
  }

  /** Each container's writable layer and logs on disk. */
  async diskUsage(): Promise<ContainerUsage[]> {
    const all = this.deps.store.list();
    const bytes = await containerDiskUsage(this.deps.host, all.map((c) => c.id));
    return all.map((c) => ({ id: c.id, name: c.name, image: c.image, status: c.state.status, ...(bytes.get(c.id) ?? { sizeRw: 0, logSize: 0 }) }));
  }

  /**
   * Docker's container prune: every container that is not running goes, with its files. One that
   * started or went meanwhile is passed over. A dry run only says what would go.
   */
  async prune(dryRun: boolean): Promise<PruneReport> {
    const stopped = this.deps.store.list().filter((c) => c.state.status !== 'running');
    const bytes = await containerDiskUsage(this.deps.host, stopped.map((c) => c.id));
    const freed = (c: ContainerRecord) => (bytes.get(c.id)?.sizeRw ?? 0) + (bytes.get(c.id)?.logSize ?? 0);
    if (dryRun) return { removed: stopped.map((c) => c.id), spaceReclaimed: stopped.reduce((sum, c) => sum + freed(c), 0) };
    const report: PruneReport = { removed: [], spaceReclaimed: 0 };
    for (const container of stopped) {
      try {
        await this.remove(container.id, false);
      } catch (err) {
        if (err instanceof BerthError && (err.code === 'CONTAINER_RUNNING' || err.code === 'CONTAINER_NOT_FOUND')) continue;
        throw err;
      }
      report.removed.push(container.id);
      report.spaceReclaimed += freed(container);
    }
    return report;
  }

  /**
   * Docker's volume prune: unused volumes made without a name (with `all`, named ones too) go with
   * their data; a dry run only says which and their bytes.
   */
  pruneVolumes({ all, dryRun }: PruneRequest, runningOnly = false): Promise<PruneReport> {
    return this.volumeLock.run('volumes', async () => {
      const unused = (await this.listVolumes())
        .filter((v) => (all || ANONYMOUS_VOLUME.test(v.name)) && this.volumeUsers(v.name, runningOnly).length === 0)
        .map((v) => v.name);
      const sizes = await this.deps.volumes.sizes(unused);
      if (!dryRun) for (const name of unused) await this.deps.volumes.remove(name);
      if (!dryRun && unused.length > 0) this.deps.emit('volumes.changed', {});
      return { removed: unused, spaceReclaimed: unused.reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0) };
    });
  }

  /** Each volume's bytes and how many containers mount it. */
  async volumeUsage(): Promise<VolumeUsage[]> {
    const volumes = await this.listVolumes();
    const sizes = await this.deps.volumes.sizes(volumes.map((v) => v.name));
    return volumes.map((v) => ({ name: v.name, size: sizes.get(v.name) ?? 0, containers: v.usedBy.length }));
  }

  rename(idOrName: string, to: string): Promise<Container> {
    return this.change(idOrName, async (container) => {
      const name = validateName(to);
      if (name === container.name) throw new BerthError('INVALID_ARGUMENT', `container ${container.name} already has that name`);
      this.claimName(name);
      this.names.delete(container.name);
      const renamed = await this.lifecycle.record({ ...container, name });
      this.deps.actions.record(renamed, 'rename', { oldName: container.name });
      return this.namesFollow(renamed, container);
    });
  }

  /** Docker's wait: the exit code once the container meets the condition, from the store's own changes. */
  wait(idOrName: string, condition: WaitCondition, signal: AbortSignal): Promise<number> {
    return waitForContainer(this.deps.store, this.find(idOrName), condition, signal);
  }

  /** The record once the container has started again after now (for an attach made before its start). */
  whenStarted(container: ContainerRecord, signal: AbortSignal): Promise<ContainerRecord> {
    return waitForStart(this.deps.store, container, signal);
  }

  /** The engine's session on the main process of a container started with -t; it ends with the container's exit code. */
  openMainTerminal(container: ContainerRecord): Promise<TerminalSession> {
    if (!container.spec.tty) {
      throw new BerthError('INVALID_ARGUMENT', `container ${container.name} was not started with a terminal (-t)`, { fix: 'follow its output with berth logs -f' });
    }
    const exitCode = () => this.lifecycle.whenExited(container.id).then(() => this.deps.store.get(container.id)?.state.exitCode ?? 0);
    return this.deps.terminals.openMain(container.id, container.command, exitCode);
  }

  listVolumes(): Promise<Volume[]> {
    return this.deps.volumes.list((name) => this.volumeUsers(name));
  }

  createVolume(name: string | undefined, labels: Record<string, string> = {}): Promise<Volume> {
    return this.volumeLock.run('volumes', async () => {
      const created = await this.deps.volumes.create(name, labels);
      this.deps.emit('volumes.changed', {});
      const volume = (await this.listVolumes()).find((v) => v.name === created.name);
      if (!volume) throw new BerthError('INTERNAL', `volume ${created.name} was not made`);
      return volume;
    });
  }

  removeVolume(name: string): Promise<{ name: string }> {
    return this.volumeLock.run('volumes', async () => {
      const users = this.volumeUsers(name);
      if (users.length > 0) throw new BerthError('VOLUME_IN_USE', `volume ${name} is used by ${users.join(', ')}`, { fix: 'remove those containers first' });
      await this.deps.volumes.remove(name);
      this.deps.emit('volumes.changed', {});
      return { name };
    });
  }

  /** Every network, with the containers on it. */
  listNetworks(): Network[] {
    return this.deps.networks.list().map((n) => this.withMembers(n));
  }

  inspectNetwork(ref: string): Network {
    return this.withMembers(this.deps.networks.find(ref));
  }

  /** Refused while a running container is on it; stopped ones keep their place and fail to start until it is back. */
  async removeNetwork(ref: string): Promise<Network> {
    return this.withMembers(await this.deps.networks.remove(ref, (network) => this.networkUsers(network, true)));
  }

  /** `runningOnly`: as if the stopped containers were gone (a system prune's dry run). */
  pruneNetworks(labels: readonly string[], { dryRun = false, runningOnly = false } = {}): Promise<string[]> {
    return this.deps.networks.prune(labels, (network) => this.networkUsers(network, runningOnly).length > 0, dryRun);
  }

  connect(idOrName: string, request: EndpointRequest): Promise<Container> {
    return this.change(idOrName, async (c) => this.namesFollow(await this.lifecycle.record({ ...c, networks: await this.endpoints.connect(c, request, this.deps.store.list()) }), c));
  }

  /** Docker's `force` only matters for swarm's stale endpoints; a running container is disconnected either way. */
  disconnect(idOrName: string, network: string): Promise<Container> {
    return this.change(idOrName, async (c) => {
      const networks = await this.endpoints.disconnect(c, network);
      const first = networks.find((e) => e.interface !== '');
      const primary = c.state.status === 'running' ? { ...c.network, address: first?.address ?? '', gateway: first?.gateway ?? '', prefixLength: first?.prefixLength ?? 0 } : c.network;
      return this.namesFollow(await this.lifecycle.record({ ...c, networks, network: primary }), c);
    });
  }

  /** The name tables follow a running container's change of networks or name. */
  private async namesFollow(changed: ContainerRecord, before: ContainerRecord): Promise<ContainerRecord> {
    if (changed.state.status === 'running' && (this.endpoints.hasNames(changed) || this.endpoints.hasNames(before))) await this.syncNames();
    return changed;
  }

  private syncNames(): Promise<void> {
    const running = () => [...this.deps.store.running().filter((c) => !this.starting.has(c.id)), ...this.starting.values()];
    return this.deps.names.update(() => this.endpoints.nameTables(running()));
  }

  private withMembers(network: NetworkInfo): Network {
    const containers = this.deps.store
      .list()
      .filter((c) => this.endpoints.isOn(c, network))
      .map((c) => {
        const endpoint = c.networks.find((e) => e.networkId === network.id || e.network === network.name);
        return { id: c.id, name: c.name, address: endpoint?.address ?? '', aliases: endpoint?.aliases ?? [] };
      });
    return { ...network, containers };
  }

  /** Names of the containers on the network: running ones only, or all. */
  private networkUsers(network: NetworkInfo, runningOnly: boolean): string[] {
    return this.deps.store
      .list()
      .filter((c) => (!runningOnly || c.state.status === 'running') && this.endpoints.isOn(c, network))
      .map((c) => c.name);
  }

  /** Whether any container (running or not, unless `runningOnly`) was made from the image: it cannot be removed under them. */
  usesImage(imageId: string, runningOnly = false): boolean {
    return this.deps.store.list().some((c) => c.imageId === imageId && (!runningOnly || c.state.status === 'running'));
  }

  /** Brings records and reality together after a start: adopts survivors, records exits, applies restart policies. */
  async reconcile(): Promise<string[]> {
    const { store, runtime } = this.deps;
    const lifecycle = this.lifecycle;
    const records = await store.load();
    for (const container of records) {
      this.names.add(container.name);
      if (container.state.status === 'running') this.endpoints.adopt(container);
    }
    // The runtime's containers that no record shows running: a start cut off by a crash (the record
    // never saw it run) or one whose record is gone. The user never got them: they go.
    const running = new Set(records.filter((c) => c.state.status === 'running').map((c) => c.id));
    for (const id of await runtime.list()) {
      if (!running.has(id)) await runtime.delete(id);
    }
    for (const container of records.filter((c) => c.state.status === 'created' && c.state.startedAt === '' && c.state.error === '')) {
      await lifecycle.record({ ...container, state: { ...container.state, error: 'the engine stopped while starting it: start it again' } });
    }
    await lifecycle.cleanUpStopped(records.filter((c) => c.state.status !== 'running'));
    // --rm containers that exited while no engine ran (or as the last one quit) go now.
    for (const container of records) this.autoRemove(container);
    for (const container of records) {
      const wasRunning = container.state.status === 'running';
      const now = wasRunning ? await lifecycle.adopt(container) : container.state.status;
      const current = store.get(container.id);
      if (now === 'exited' && current && shouldStartWithEngine(current)) {
        const restarted = { ...current, state: { ...current.state, restartCount: current.state.restartCount + 1 } };
        await lifecycle.lock.run(current.id, () => lifecycle.start(restarted)).catch(() => {});
      }
    }
    // The name server runs on after an engine, but may have died with the machine: its tables are made again.
    const warnings = await this.syncNames().then(
      () => [],
      (err: unknown) => [BerthError.from(err).message],
    );
    return [...warnings, ...store.damaged.map((file) => `container record ${file} is damaged and was skipped`)];
  }

  /** Stops watching; containers keep running and a later engine adopts them. */
  close(): void {
    this.lifecycle.close();
    this.health.close();
  }

  /** What follows a container's state: its shells and health checks end with it, and --rm removes it. */
  private follow(container: ContainerRecord): void {
    this.starting.delete(container.id);
    if (container.state.status !== 'running') {
      void this.deps.terminals.endContainer(container.id);
      this.health.unwatch(container.id);
    } else {
      void this.health.watch(container);
    }
    this.autoRemove(container);
  }

  /** Runs a change of the container under its lock, and answers with what a client sees of the result. */
  private async change(idOrName: string, task: (container: ContainerRecord) => Promise<ContainerRecord>): Promise<Container> {
    return toContainer(await this.withContainer(idOrName, task));
  }

  /** Runs `task` under the container's lock with its latest record. */
  private withContainer<T>(idOrName: string, task: (container: ContainerRecord) => Promise<T>): Promise<T> {
    const { id } = this.find(idOrName);
    return this.lifecycle.lock.run(id, async () => {
      const container = this.deps.store.get(id);
      if (!container) throw new BerthError('CONTAINER_NOT_FOUND', `no such container: ${idOrName}`);
      return task(container);
    });
  }

  /** Resolves everything a start needs (the image pulled, mounts and volumes) and records the container; starts nothing. */
  private async make(spec: RunSpec, onProgress: (p: PullProgress) => void): Promise<{ container: ContainerRecord; madeVolumes: string[] }> {
    const id = randomBytes(32).toString('hex');
    const plan = await planRun(this.deps.host, spec, id, this.deps.cpuCount);
    // Held from here, so two runs racing for one name cannot both get it.
    const name = this.claimName(spec.name !== undefined ? validateName(spec.name) : generateName((n) => this.names.has(n)));
    let created: ContainerRecord | undefined;
    let release = () => {};
    const madeVolumes: string[] = [];
    try {
      // Held until the record is saved: an rmi in between cannot take the image from under it.
      const held = await this.deps.images.ensureHeld(spec.image, spec.pull, onProgress);
      release = held.release;
      const image = held.image;
      const container: ContainerRecord = {
        id,
        name,
        image: spec.image,
        imageId: image.id,
        created: new Date().toISOString(),
        command: resolveCommand(spec, image.config),
        spec,
        state: { status: 'created', pid: 0, startedAt: '', finishedAt: '', exitCode: 0, error: '', warnings: [], lastOutput: '', restartCount: 0, oomKilled: false, stoppedByUser: false, stoppedByQuit: false },
        network: { mode: networkModeOf(spec.network), address: '', gateway: '', prefixLength: 0 },
        networks: this.endpoints.plan(spec, this.deps.store.list()),
        ports: [],
        // A volume of the container's own gets Docker's kind of name: 64 hex digits.
        mounts: withImageVolumes(plan.mounts, image).map((m) => (m.anonymous && m.source === '' ? { ...m, source: randomBytes(32).toString('hex') } : m)),
        sockets: plan.sockets,
        publish: plan.publish,
      };
      // Named volumes are made as the run uses them (as Docker does), and the record that uses them is
      // saved before a remove of the volume can look.
      created = await this.volumeLock.run('volumes', async () => {
        for (const mount of container.mounts.filter((m) => m.type === 'volume')) {
          if (await this.deps.volumes.exists(mount.source)) continue;
          await this.deps.volumes.create(mount.source, mount.anonymous ? ANONYMOUS_LABELS : {});
          madeVolumes.push(mount.source);
        }
        return this.lifecycle.record(container);
      });
      if (created.mounts.some((m) => m.type === 'volume')) this.deps.emit('volumes.changed', {});
      this.deps.actions.record(created, 'create');
      return { container: created, madeVolumes };
    } catch (err) {
      if (created) await this.lifecycle.lock.run(created.id, () => this.removeContainer(created!, true)).catch(() => {});
      if (madeVolumes.length > 0) await this.removeUnusedVolumes(madeVolumes).catch(() => {});
      this.names.delete(name);
      throw err;
    } finally {
      // Recorded (or failed): from here the record itself keeps the image, or nothing needs it.
      release();
    }
  }

  /** Takes a name for a container, or says who has it. */
  private claimName(name: string): string {
    if (this.names.has(name)) {
      const holder = this.deps.store.list().find((c) => c.name === name);
      throw new BerthError('NAME_IN_USE', `container name "${name}" is already in use${holder ? ` by container ${holder.id.slice(0, 12)}` : ''}`, { fix: 'remove it or choose another name' });
    }
    this.names.add(name);
    return name;
  }

  /** Docker's --rm: a container that exited goes, as its own removal would do it. */
  private autoRemove(container: ContainerRecord): void {
    if (!container.spec.autoRemove || container.state.status !== 'exited' || this.removing.has(container.id)) return;
    this.removing.add(container.id);
    void this.lifecycle.lock
      .run(container.id, async () => {
        const current = this.deps.store.get(container.id);
        if (current?.state.status !== 'exited') return;
        await this.removeContainer(current, true);
        // As Docker's --rm: the volumes made for it alone go with it.
        await this.removeAnonymousVolumes(current);
      })
      .catch(() => {})
      .finally(() => this.removing.delete(container.id));
  }

  private async removeContainer(container: ContainerRecord, force: boolean): Promise<void> {
    await this.lifecycle.remove(container, force);
    await this.deps.terminals.endContainer(container.id);
    this.names.delete(container.name);
    this.deps.actions.record(container, 'destroy');
    if (container.mounts.some((m) => m.type === 'volume')) this.deps.emit('volumes.changed', {});
  }

  private removeAnonymousVolumes(container: ContainerRecord): Promise<void> {
    const anonymous = container.mounts.filter((m) => m.type === 'volume' && m.anonymous).map((m) => m.source);
    return anonymous.length > 0 ? this.removeUnusedVolumes(anonymous) : Promise.resolve();
  }

  /** Volumes a failed run made for itself: they go with it, unless another container took them meanwhile. */
  private removeUnusedVolumes(names: string[]): Promise<void> {
    return this.volumeLock.run('volumes', async () => {
      for (const name of names) if (this.volumeUsers(name).length === 0) await this.deps.volumes.remove(name);
      this.deps.emit('volumes.changed', {});
    });
  }

  /** Names of the containers (running or not, unless `runningOnly`) that mount the volume. */
  private volumeUsers(name: string, runningOnly = false): string[] {
    return this.deps.store
      .list()
      .filter((c) => (!runningOnly || c.state.status === 'running') && c.mounts.some((m) => m.type === 'volume' && m.source === name))
      .map((c) => c.name);
  }
}

/** The run's mounts, and an anonymous volume at each of the image's VOLUMEs no mount covers, as Docker gives one. */
function withImageVolumes(mounts: readonly Mount[], image: Image): Mount[] {
  const covered = new Set(mounts.map((m) => m.destination));
  const added = image.config.volumes
    .map((path) => containerPath(path, 'VOLUME', `${path} of image ${image.names[0] ?? image.id.slice(7, 19)}`))
    .filter((destination) => !covered.has(destination))
    .map((destination): Mount => ({ type: 'volume', source: '', destination, readOnly: false, anonymous: true }));
  return [...mounts, ...added];
}
