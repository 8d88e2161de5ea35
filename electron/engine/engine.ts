import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Api, CallContext, ContractEvents, EventName, EventPayload, LogChunk, SystemInfo } from '../../shared/contract.js';
import type { LogStream } from '../../shared/containers.js';
import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageBuilder } from '../build/image-builder.js';
import { decompress } from '../images/decompress.js';
import { ImageStore } from '../images/image-store.js';
import { RuntimeCli } from '../runtime/runtime-cli.js';
import type { PortRelay } from '../ports/port-relay.js';
import { WorkerPortRelay } from '../ports/worker-port-relay.js';
import { NameService } from '../network/name-service.js';
import { Networks } from '../network/networks.js';
import { ContainerActions } from '../containers/container-actions.js';
import { ContainerLogs, type LogSink } from '../containers/container-logs.js';
import { ContainerStatsSampler } from '../containers/container-stats.js';
import { ContainerStore } from '../containers/container-store.js';
import { Containers } from '../containers/containers.js';
import { execInContainer } from '../containers/container-exec.js';
import { ContainerStdin } from '../containers/container-stdin.js';
import { dockerHostOf, dockerSocketPath, packageRoot, terminalSocketPath, type EngineConfig } from './engine-config.js';
import { makePrivateDir } from '../records/private-dir.js';
import { DockerAccess } from '../docker-clients/docker-access.js';
import { loginDomain, RegistryLogins } from '../docker-clients/registry-logins.js';
import { removeEmptyCgroupParent } from '../runtime/cgroup-parent.js';
import { listContainerProcesses } from '../runtime/cgroup-processes.js';
import { PortPublisher } from '../ports/port-publisher.js';
import { TerminalSessions } from '../terminal/terminal-sessions.js';
import { SocketForwards } from '../sockets/socket-forwards.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { diskUsage, systemPrune } from './disk-space.js';
import { SettingsStore } from './settings-store.js';

export const ENGINE_VERSION = '0.1.0';

/** What Engine.open makes and hands over in one piece: the services the engine maps the contract onto. */
interface EngineServices {
  host: Host;
  runtime: RuntimeCli;
  images: ImageStore;
  builder: ImageBuilder;
  containers: Containers;
  networks: Networks;
  logs: ContainerLogs;
  stats: ContainerStatsSampler;
  relay: PortRelay;
  sockets: SocketForwards;
  settings: SettingsStore;
  terminals: TerminalSessions;
  stdin: ContainerStdin;
  actions: ContainerActions;
  docker: DockerAccess;
  logins: RegistryLogins;
  /** What works less than fully on this host (e.g. no NAT). */
  warnings: string[];
}

/** Builds the services (host, images, runtime, network, containers) and maps the contract the app and the CLI call onto them. */
export class Engine extends EventEmitter<ContractEvents> {
  readonly api: Api;
  readonly host: Host;
  readonly runtime: RuntimeCli;
  readonly images: ImageStore;
  readonly terminals: TerminalSessions;
  readonly warnings: string[];
  private readonly containers: Containers;
  private readonly networks: Networks;
  private readonly logs: ContainerLogs;
  private readonly stats: ContainerStatsSampler;
  private readonly relay: PortRelay;
  private readonly sockets: SocketForwards;
  private readonly settings: SettingsStore;
  private readonly stdin: ContainerStdin;
  private readonly actions: ContainerActions;
  private readonly docker: DockerAccess;
  private readonly builder: ImageBuilder;
  private readonly logins: RegistryLogins;

  private constructor(
    readonly config: EngineConfig,
    services: EngineServices,
  ) {
    super();
    ({
      host: this.host, runtime: this.runtime, images: this.images, terminals: this.terminals, warnings: this.warnings, containers: this.containers, networks: this.networks,
      logs: this.logs, stats: this.stats, relay: this.relay, sockets: this.sockets, settings: this.settings, stdin: this.stdin, actions: this.actions, docker: this.docker,
      builder: this.builder, logins: this.logins,
    } = services);
    this.api = this.buildApi();
  }

  static async open(config: EngineConfig, host: Host = new LocalHost(config.dataRoot)): Promise<Engine> {
    await makePrivateDir(config.home);
    const uid = (await host.exec(['id', '-u'])).stdout.toString().trim();
    if (uid !== '0') {
      throw new BerthError('RUNTIME_ERROR', 'the engine needs root on its Linux host (mounts, network namespaces)', { fix: 'run it as root' });
    }
    await host.mkdir(host.dataRoot);
    const runtime = await RuntimeCli.probe(host, `${host.dataRoot}/runtime`, config.runtimePath);
    const nofileLimit = Number((await host.exec(['sh', '-c', 'ulimit -Hn'])).stdout.toString().trim()) || 1024;
    const cpuCount = Number((await host.exec(['nproc'])).stdout.toString().trim()) || 1;
    let engine: Engine | undefined;
    const emit: Engine['emitEvent'] = (name, payload) => engine?.emitEvent(name, payload);
    // One login serves Berth and the docker CLI: accounts are kept where the CLI keeps its own.
    const logins = new RegistryLogins(config.docker.configDir);
    const images = new ImageStore({ host, home: config.home, bundled: config.bundledImages, credentials: (domain) => logins.get(domain), changed: () => emit('images.changed', {}) });
    const store = new ContainerStore(join(config.home, 'containers'));
    const networks = new Networks({ host, dir: join(config.home, 'networks'), defaultBridge: config.bridge, pool: config.networkPool, changed: () => emit('networks.changed', {}) });
    const warnings = await networks.open();
    const names = new NameService(host, `${host.dataRoot}/dns`);
    const relay = await WorkerPortRelay.start();
    const ports = new PortPublisher(relay, host, config.ports, () => store.running());
    const volumes = new VolumeStore(host);
    const sockets = new SocketForwards(host);
    const settings = new SettingsStore(config.home, (changed) => emit('settings.changed', changed));
    await settings.load();
    const actions = new ContainerActions((action) => emit('containers.action', action));
    const terminals = new TerminalSessions({
      host, runtime,
      hostScript: join(packageRoot(), 'dist', 'electron', 'terminal-host.js'),
      socketPath: terminalSocketPath(config.home),
      changed: (session) => {
        const container = store.get(session.containerId);
        if (container && !session.main && session.exitCode !== null) actions.record(container, 'exec_die', { exitCode: String(session.exitCode) });
        emit('terminals.changed', { session });
      },
    });
    const stdin = new ContainerStdin(host);
    const containers = new Containers({
      host, runtime, images, store, networks, names, ports, volumes, sockets, terminals, stdin, actions, nofileLimit, cpuCount, logLimits: config.logLimits, emit,
    });
    const logs = new ContainerLogs(host, config.logLimits, () => store.running().map((c) => c.id), (id) => containers.lifecycle.whenExited(id));
    const stats = new ContainerStatsSampler(host);
    const endpoint = dockerSocketPath(config.home);
    const docker = new DockerAccess({ endpoint, dockerHost: dockerHostOf(endpoint), configDir: config.docker.configDir, linkPath: config.docker.linkPath, linkSupported: process.platform === 'linux' && config.host.kind === 'local' });
    // The docker CLI's store is the user's: a context Berth cannot write is a warning, not a failed start.
    await docker.open(settings.get().dockerContextCurrent).catch((err: unknown) => warnings.push(`the docker context "berth" could not be written: ${(err as Error).message}`));
    const builder = new ImageBuilder({ host, images, contextLimit: config.buildContextLimit });
    engine = new Engine(config, { host, runtime, images, builder, containers, networks, logs, stats, relay, sockets, settings, terminals, stdin, actions, warnings, docker, logins });
    warnings.push(...(await containers.reconcile()));
    return engine;
  }

  /**
   * What quitting the app does: running containers stop gracefully and give back their ports, unless
   * the keep-running setting (or BERTH_KEEP_RUNNING) leaves them for the next engine to adopt.
   */
  async quit(): Promise<void> {
    if (!this.config.keepRunning && !this.settings.get().keepRunningOnQuit) await this.containers.lifecycle.stopAllForQuit();
    // The runtime leaves the containers' shared parent cgroup behind; it goes once nothing is in it.
    await removeEmptyCgroupParent(this.host);
    await this.close();
  }

  /**
   * Stops the engine's own work. Containers keep running; their host ports close with the relay, and
   * the next engine adopts the containers and takes their ports back.
   */
  async close(): Promise<void> {
    this.containers.close();
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

  private info(): SystemInfo {
    const all = this.containers.list(true);
    return {
      version: ENGINE_VERSION,
      host: this.host.kind,
      runtime: { name: this.runtime.name, version: this.runtime.version, binary: this.runtime.binary },
      home: this.config.home,
      containers: { running: all.filter((c) => c.state.status === 'running').length, total: all.length },
      images: 0,
      ports: { autoExpose: this.config.ports.autoExpose, publishIps: this.config.ports.implicitHostIps },
      warnings: this.warnings,
    };
  }

  private buildApi(): Api {
    const containers = this.containers;
    const space = { containers, images: this.images, builder: this.builder };
    return {
      // An engine exists only on a host that was made ready.
      'system.status': async () => ({ kind: this.host.kind, state: 'ready', message: this.host.readyMessage }),
      'system.info': async () => ({ ...this.info(), images: (await this.images.list()).length }),
      'system.df': () => diskUsage(space),
      'system.prune': (request) => systemPrune(space, request),
      'builder.prune': ({ dryRun }) => this.builder.pruneCache(dryRun),
      'system.events': async (window, { emit, signal }) => (await this.actions.follow(window, emit, signal), {}),
      'settings.get': async () => this.settings.get(),
      'settings.set': async (change) => {
        if (change.dockerContextCurrent !== undefined) await this.docker.setCurrent(change.dockerContextCurrent);
        return this.settings.set(change);
      },
      'docker.status': () => this.docker.status(),
      'docker.link': ({ linked }) => this.docker.link(linked),
      'images.list': () => this.images.list(),
      'images.pull': ({ reference, credentials }, { emit }) => this.images.pull(reference, emit, credentials),
      'images.push': ({ reference, credentials }, { emit }) => this.images.push(reference, emit, credentials),
      'registries.login': async ({ server, username, password, save }) => {
        const domain = loginDomain(server);
        await this.images.checkLogin(domain, { username, password });
        if (save) await this.logins.save(domain, { username, password });
        return { server: domain };
      },
      'registries.logout': async ({ server }) => {
        const domain = loginDomain(server);
        return { server: domain, removed: await this.logins.remove(domain) };
      },
      'images.load': ({ path }) => this.images.load(path),
      'images.tag': ({ source, target }) => this.images.tag(source, [target]),
      'images.build': (request, { emit }) => this.builder.buildFrom(request, (text) => emit({ text })),
      'images.history': ({ reference }) => this.images.history(reference),
      'images.remove': ({ reference }) => this.images.remove(reference, (id) => containers.usesImage(id)),
      'images.prune': (request) => this.images.prune(request, (id) => containers.usesImage(id)),
      'volumes.list': () => containers.listVolumes(),
      'volumes.create': ({ name, labels }) => containers.createVolume(name, labels),
      'volumes.remove': ({ name }) => containers.removeVolume(name),
      'volumes.prune': (request) => containers.pruneVolumes(request),
      'networks.list': async () => containers.listNetworks(),
      'networks.inspect': async ({ network }) => containers.inspectNetwork(network),
      'networks.create': async (spec) => containers.inspectNetwork((await this.networks.create(spec)).id),
      'networks.remove': async ({ network }) => {
        const { id, name } = await containers.removeNetwork(network);
        return { id, name };
      },
      'networks.connect': ({ container, ...request }) => containers.connect(container, request),
      'networks.disconnect': ({ container, network }) => containers.disconnect(container, network),
      'networks.prune': async ({ labels }) => ({ removed: await containers.pruneNetworks(labels) }),
      'containers.list': async ({ all }) => containers.list(all),
      'containers.inspect': async ({ id }) => containers.inspect(id),
      'containers.create': (spec, { emit }) => containers.create(spec, emit),
      'containers.run': (spec, { emit }) => containers.run(spec, emit),
      'containers.wait': async ({ id, condition }, { signal }) => ({ exitCode: await containers.wait(id, condition, signal) }),
      'containers.rename': ({ id, name }) => containers.rename(id, name),
      'containers.input': async ({ id, base64, end }) => {
        await this.stdin.write(containers.findRunning(id), Buffer.from(base64, 'base64'), end);
        return {};
      },
      'containers.start': ({ id }) => containers.start(id),
      'containers.stop': ({ id, timeout }) => containers.stop(id, timeout),
      'containers.restart': ({ id, timeout }) => containers.restart(id, timeout),
      'containers.kill': ({ id, signal }) => containers.kill(id, signal),
      'containers.remove': ({ id, force, volumes }) => containers.remove(id, force, volumes),
      'containers.prune': ({ dryRun }) => containers.prune(dryRun),
      'containers.logs': async ({ id, ...options }, context) => {
        await this.logs.stream(containers.find(id), options, logSink(context), context.signal);
        return {};
      },
      'containers.attach': async ({ id, logs, awaitStart }, context) => {
        const found = awaitStart || logs ? containers.find(id) : containers.findRunning(id);
        let container = found;
        let window: { tail?: number; since?: number } = { tail: logs ? undefined : 0 };
        if (awaitStart && found.state.status !== 'running') {
          container = await containers.whenStarted(found, context.signal);
          // This run from its first line: all it wrote is after the last run ended.
          window = logs || !found.state.finishedAt ? {} : { since: Date.parse(found.state.finishedAt) / 1000 };
        }
        // One that has already exited (a run whose process ended at once) still gives what it wrote.
        await this.logs.stream(container, { follow: true, ...window, timestamps: false }, logSink(context), context.signal);
        if (context.signal.aborted) this.stdin.clientGone(container);
        return {};
      },
      'containers.stats': async ({ ids, stream }, { emit, signal }) => {
        const pick = () => (ids.length === 0 ? containers.running() : ids.map((id) => containers.find(id)).filter((c) => c.state.status === 'running'));
        return this.stats.sample(pick, stream ? emit : undefined, signal);
      },
      'containers.top': async ({ id }) => {
        const container = containers.findRunning(id);
        const table = await listContainerProcesses(this.host, container.id);
        if (!table) throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`);
        return table;
      },
      'containers.files.stat': ({ id, path }) => containers.files.stat(containers.find(id), path),
      'containers.files.list': ({ id, path, limit }) => containers.files.list(containers.find(id), path, limit),
      'containers.files.read': async ({ id, path, maxBytes }) => {
        const bytes = await containers.files.read(containers.find(id), path, maxBytes);
        return { base64: bytes.toString('base64'), size: bytes.length };
      },
      'containers.files.get': ({ id, path, archive }, { emit, drained, signal }) =>
        containers.files.get(containers.find(id), path, archive, { write: (chunk) => emit({ base64: chunk.toString('base64') }), drained }, signal),
      'containers.files.put': async ({ id, path, source, copyOwner }) => {
        const container = containers.find(id);
        if (source.kind === 'file') return { entries: await containers.files.putFile(container, path, source.name, Buffer.from(source.base64, 'base64')) };
        // As Docker's API takes it: a tar, plain or compressed.
        const archive = await decompress(createReadStream(source.file), `the archive ${source.file}`);
        return { entries: await containers.files.putArchive(container, path, archive, copyOwner) };
      },
      'containers.exec': async ({ id, command, env, stdin }, { emit, drained, signal }) => {
        const container = containers.findRunning(id);
        this.actions.record(container, 'exec_start', { command: command.join(' ') });
        const exitCode = await execInContainer(this.host, this.runtime, container.id, { command, env, stdin }, { write: emit, drained }, signal);
        this.actions.record(container, 'exec_die', { command: command.join(' '), exitCode: String(exitCode) });
        return { exitCode };
      },
      'terminal.open': async ({ id, command, cols, rows, main, awaitStart, direct }, { signal }) => {
        const found = containers.find(id);
        const container = main && awaitStart && found.state.status !== 'running' ? await containers.whenStarted(found, signal) : containers.findRunning(id);
        if (main && container.state.status !== 'running') {
          // It ended as soon as it started: its session is still kept, ended, with what it wrote and its code.
          const ended = this.terminals.list(container.id).filter((s) => s.main).sort((a, b) => a.created.localeCompare(b.created)).at(-1);
          if (ended) return ended;
          throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`);
        }
        if (!main) {
          const session = await this.terminals.open({ containerId: container.id, command, cols, rows, direct });
          this.actions.record(container, 'exec_start', { command: session.command.join(' ') });
          return session;
        }
        const session = await containers.openMainTerminal(container);
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
      'terminal.list': async ({ containerId }) => this.terminals.list(containerId === undefined ? undefined : containers.find(containerId).id),
    };
  }
}

/** A log call's chunks as the contract carries them. */
function logSink({ emit, drained }: CallContext<LogChunk>): LogSink {
  return {
    write: (stream: LogStream, data: Buffer) => emit({ stream, base64: data.toString('base64') }),
    drained,
    live: () => void emit({ stream: 'stdout', base64: '' }),
  };
}
