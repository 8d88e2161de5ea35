import { z } from 'zod';
import { HostStatus } from './host-status.js';
import { ActionFilter, Container, ContainerAction, ContainerStats, LogStream, RunSpec, WaitCondition } from './containers.js';
import { BuildOutput, BuildRequest, Image, ImageStep, LoginRequest, PullProgress, PushProgress, PushResult, RegistryCredentials, RegistryServer } from './images.js';
import { DiskUsage, PruneReport, PruneRequest, SystemPruneReport, SystemPruneRequest } from './disk-usage.js';
import { DockerAccess } from './docker-access.js';
import { ContainerFilePath, FileChunk, FileListing, FileSource, MAX_PREVIEW_BYTES, PathStat } from './files.js';
import { EndpointRequest, Network, NetworkSpec } from './networks.js';
import { Volume } from './mounts.js';
import { Settings, SettingsChange } from './settings.js';
import { ExecOutput, OpenedTerminal, TerminalData, TerminalSession, TerminalSize } from './terminals.js';

/**
 * The one API between the engine and its clients (the app's renderer, the `berth` command).
 * Each method has a request schema, a response schema and, for long-running calls, a schema for
 * the items it streams before it answers. Transports are generic over this table.
 */
function method<Req extends z.ZodType, Res extends z.ZodType, Item extends z.ZodType = z.ZodNever>(
  request: Req,
  response: Res,
  item?: Item,
) {
  return { request, response, item: (item ?? z.never()) as Item };
}

const ContainerRef = z.object({ id: z.string().min(1).max(256) });
const Empty = z.object({});
const NetworkRef = z.object({ network: z.string().min(1).max(256) });

export const SystemInfo = z.object({
  version: z.string(),
  host: z.enum(['local', 'wsl']),
  runtime: z.object({ name: z.string(), version: z.string(), binary: z.string() }),
  home: z.string(),
  containers: z.object({ running: z.number().int(), total: z.number().int() }),
  images: z.number().int(),
  /** Defaults the Run dialog follows: publish EXPOSEd ports, and on which addresses. */
  ports: z.object({ autoExpose: z.boolean(), publishIps: z.array(z.string()) }),
  warnings: z.array(z.string()),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

/** Log bytes of one stream, base64 so output that is not UTF-8 arrives unchanged. */
export const LogChunk = z.object({ stream: LogStream, base64: z.string() });
export type LogChunk = z.infer<typeof LogChunk>;

/** Unix seconds (fractions allowed), as Docker's `since` and `until`. */
const UnixTime = z.number().nonnegative().max(1e11);

export const contract = {
  /** Whether Linux is ready (answered even while the WSL distro is being set up). */
  'system.status': method(Empty, HostStatus),
  'system.info': method(Empty, SystemInfo),
  /** What images, containers, volumes, logs and the build cache take on disk. */
  'system.df': method(Empty, DiskUsage),
  /** Docker's system prune; `dryRun` says what each kind would free without removing anything. */
  'system.prune': method(SystemPruneRequest, SystemPruneReport),
  /** Empties the build cache (Docker's builder prune). */
  'builder.prune': method(PruneRequest.pick({ dryRun: true }), PruneReport),
  'settings.get': method(Empty, Settings),
  /** Changes the settings given, keeps the rest; answers them all. */
  'settings.set': method(SettingsChange, Settings),
  /** Where Docker's clients reach Berth: its socket, the DOCKER_HOST line, its docker context, the socket link. */
  'docker.status': method(Empty, DockerAccess),
  /** Makes (or removes) the link at the well-known socket path to Berth's Docker socket (Linux hosts). */
  'docker.link': method(z.object({ linked: z.boolean() }), DockerAccess),
  'images.list': method(Empty, z.array(Image)),
  /** Without `credentials`, with the account saved for the registry (berth login, docker login), if any. */
  'images.pull': method(z.object({ reference: z.string().min(1).max(1024), credentials: RegistryCredentials.optional() }), Image, PullProgress),
  /** Sends the image named `reference` to its registry: only the layers it lacks, each with its progress. */
  'images.push': method(z.object({ reference: z.string().min(1).max(1024), credentials: RegistryCredentials.optional() }), PushResult, PushProgress),
  /** Checks the account with the registry and (unless `save` is false) keeps it where the docker CLI keeps its own. */
  'registries.login': method(LoginRequest, z.object({ server: z.string() })),
  'registries.logout': method(z.object({ server: RegistryServer }), z.object({ server: z.string(), removed: z.boolean() })),
  'images.load': method(z.object({ path: z.string().min(1).max(4096) }), z.array(Image)),
  /** Builds a Dockerfile (with buildah, where Linux runs); streams the build's output, answers the image. */
  'images.build': method(BuildRequest, Image, BuildOutput),
  /** How the image was made, oldest step first: each step's instruction and the layer it made, with its unpacked size. */
  'images.history': method(z.object({ reference: z.string().min(1).max(1024) }), z.object({ id: z.string(), steps: z.array(ImageStep) })),
  'images.remove': method(z.object({ reference: z.string().min(1).max(1024) }), Image),
  /** Removes the dangling images (with `all`, every image) no container uses, with the layers only they had. */
  'images.prune': method(PruneRequest, PruneReport),
  /** Gives an image one more name (Docker's tag), moving the name off any image that had it. */
  'images.tag': method(z.object({ source: z.string().min(1).max(1024), target: z.string().min(1).max(1024) }), Image),
  'volumes.list': method(Empty, z.array(Volume)),
  /** Without a name, one is generated (as `docker volume create` does). */
  'volumes.create': method(z.object({ name: z.string().max(255).optional(), labels: z.record(z.string().max(1024), z.string().max(64 * 1024)).default({}) }), Volume),
  'volumes.remove': method(z.object({ name: z.string().min(1).max(255) }), z.object({ name: z.string() })),
  /** Removes the unused volumes made without a name (with `all`, named ones too). */
  'volumes.prune': method(PruneRequest, PruneReport),
  'networks.list': method(Empty, z.array(Network)),
  'networks.inspect': method(NetworkRef, Network),
  'networks.create': method(NetworkSpec, Network),
  /** Refused while a running container is on it. */
  'networks.remove': method(NetworkRef, z.object({ id: z.string(), name: z.string() })),
  /** Puts the container on the network (at once when it runs, else from its next start). */
  'networks.connect': method(EndpointRequest.extend({ container: z.string().min(1).max(256) }), Container),
  'networks.disconnect': method(NetworkRef.extend({ container: z.string().min(1).max(256), force: z.boolean().default(false) }), Container),
  /** Removes the user-defined networks no container is on (those with every label given). */
  'networks.prune': method(z.object({ labels: z.array(z.string().max(4096)).max(64).default([]) }), z.object({ removed: z.array(z.string()) })),
  /** Docker's events: those kept since `since` (the last 1,024), then each as it happens, until `until` or a cancel. */
  'system.events': method(ActionFilter.extend({ since: UnixTime.optional(), until: UnixTime.optional() }), z.object({}), ContainerAction),
  'containers.list': method(z.object({ all: z.boolean().default(false) }), z.array(Container)),
  'containers.inspect': method(ContainerRef, Container),
  /** Resolves and records everything (pulling the image when needed) and starts nothing. */
  'containers.create': method(RunSpec, Container, PullProgress),
  /** create + start; a run that fails leaves nothing behind. */
  'containers.run': method(RunSpec, Container, PullProgress),
  'containers.start': method(ContainerRef, Container),
  'containers.stop': method(ContainerRef.extend({ timeout: z.number().int().nonnegative().max(3600).optional() }), Container),
  'containers.restart': method(ContainerRef.extend({ timeout: z.number().int().nonnegative().max(3600).optional() }), Container),
  'containers.kill': method(ContainerRef.extend({ signal: z.string().max(32).default('KILL') }), Container),
  /** Answers the exit code once the container meets the condition. */
  'containers.wait': method(ContainerRef.extend({ condition: WaitCondition.default('not-running') }), z.object({ exitCode: z.number().int() })),
  'containers.rename': method(ContainerRef.extend({ name: z.string().min(1).max(256) }), Container),
  /** Bytes for the main process's stdin (a container started with -i and no terminal); `end` closes it once they are written. */
  'containers.input': method(ContainerRef.extend({ base64: z.string().max(1024 * 1024), end: z.boolean().default(false) }), z.object({})),
  /** With `volumes` (Docker's `rm -v`), the container's anonymous volumes go too. */
  'containers.remove': method(ContainerRef.extend({ force: z.boolean().default(false), volumes: z.boolean().default(false) }), z.object({ id: z.string() })),
  /** Removes every container that is not running. */
  'containers.prune': method(PruneRequest.pick({ dryRun: true }), PruneReport),
  /**
   * Docker's attach to a running container's main process: its output (with `logs`, what it wrote
   * before too), stdout and stderr apart, until it exits; one empty chunk once everything after it is
   * written from then on (the moment to send input with containers.input). An attach that ends before
   * the container does (its client went away) closes the process's stdin when it was started StdinOnce.
   */
  'containers.attach': method(
    ContainerRef.extend({
      logs: z.boolean().default(false),
      /** Not running: wait for its next start and stream that run from its first line (Docker attaches before it starts). */
      awaitStart: z.boolean().default(false),
    }),
    z.object({}),
    LogChunk,
  ),
  /** The log (or its `tail`, within `since`/`until`); with `follow`, then what is written until the container exits. A follow sends one empty chunk once everything after it is written from then on. */
  'containers.logs': method(
    ContainerRef.extend({
      tail: z.number().int().nonnegative().optional(),
      follow: z.boolean().default(false),
      since: UnixTime.optional(),
      until: UnixTime.optional(),
      timestamps: z.boolean().default(false),
    }),
    z.object({}),
    LogChunk,
  ),
  'containers.stats': method(
    z.object({ ids: z.array(z.string().max(256)).max(10_000).default([]), stream: z.boolean().default(false) }),
    z.array(ContainerStats),
    z.array(ContainerStats),
  ),
  /** The running container's processes, in `ps -ef`'s columns (Docker's top). */
  'containers.top': method(ContainerRef, z.object({ titles: z.array(z.string()), processes: z.array(z.array(z.string())) })),
  /** Runs a command in a running container without a terminal; streams its output, answers its exit code. */
  'containers.exec': method(
    ContainerRef.extend({ command: z.array(z.string().max(64 * 1024)).min(1).max(1024), env: z.array(z.string().max(64 * 1024)).max(4096).default([]), stdin: z.string().max(2 * 1024 * 1024).optional() }),
    z.object({ exitCode: z.number().int() }),
    ExecOutput,
  ),
  /** A container's files, running or not: one path, a folder's entries, a file's bytes for a preview. */
  'containers.files.stat': method(ContainerRef.extend({ path: ContainerFilePath }), PathStat),
  'containers.files.list': method(ContainerRef.extend({ path: ContainerFilePath, limit: z.number().int().min(1).max(100_000).default(5000) }), FileListing),
  'containers.files.read': method(
    ContainerRef.extend({ path: ContainerFilePath, maxBytes: z.number().int().min(1).max(MAX_PREVIEW_BYTES).default(1024 * 1024) }),
    z.object({ base64: z.string(), size: z.number().int().nonnegative() }),
  ),
  /** Streams a path out: as a tar (Docker's archive, named by the path's last part), or a file's bytes alone. */
  'containers.files.get': method(ContainerRef.extend({ path: ContainerFilePath, archive: z.boolean().default(true) }), PathStat, FileChunk),
  /** Writes into a folder that exists; owners become root's unless `copyOwner` (Docker's -a). */
  'containers.files.put': method(
    ContainerRef.extend({ path: ContainerFilePath, source: FileSource, copyOwner: z.boolean().default(false) }),
    z.object({ entries: z.number().int().nonnegative() }),
  ),
  /** Starts an interactive session (a pty) in a running container; it belongs to the engine, not to a window. */
  /** With `main`, the session of the container's main process (started with -t) instead: attaching to it is Docker's attach. */
  'terminal.open': method(
    ContainerRef.extend({
      command: z.array(z.string().max(4096)).max(256).default([]),
      main: z.boolean().default(false),
      /** With `main`, a container not running yet: wait for its next start (Docker attaches before it starts). */
      awaitStart: z.boolean().default(false),
      /**
       * An exec whose caller, on this machine, reads and writes conmon's socket itself (`berth exec -it`):
       * held until its stream is opened, when the engine's host can offer that (see OpenedTerminal).
       */
      direct: z.boolean().default(false),
    }).merge(TerminalSize),
    OpenedTerminal,
  ),
  /** Replays the session's scrollback, then streams its output until it ends (answers the exit code) or the caller detaches. */
  'terminal.attach': method(z.object({ sessionId: z.string().max(128) }), z.object({ exitCode: z.number().int().nullable() }), TerminalData),
  'terminal.input': method(z.object({ sessionId: z.string().max(128), base64: z.string().max(1024 * 1024) }), z.object({})),
  'terminal.resize': method(z.object({ sessionId: z.string().max(128) }).merge(TerminalSize), z.object({})),
  /** Ends the session for good (the shell is hung up). */
  'terminal.close': method(z.object({ sessionId: z.string().max(128) }), z.object({})),
  'terminal.list': method(z.object({ containerId: z.string().max(256).optional() }), z.array(TerminalSession)),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Request<M extends MethodName> = z.input<Contract[M]['request']>;
export type ParsedRequest<M extends MethodName> = z.output<Contract[M]['request']>;
export type Response<M extends MethodName> = z.output<Contract[M]['response']>;
export type StreamItem<M extends MethodName> = z.output<Contract[M]['item']>;

/** Events the engine pushes to every subscribed client. */
export const events = {
  'containers.changed': z.object({ container: Container.optional(), removedId: z.string().optional() }),
  'containers.action': ContainerAction,
  'images.changed': z.object({}),
  'volumes.changed': z.object({}),
  'networks.changed': z.object({}),
  'settings.changed': Settings,
  'terminals.changed': z.object({ session: TerminalSession }),
  /** The host's state changed: a bootstrap step, its progress, ready, or what is wrong. */
  'host.changed': HostStatus,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

/** The engine's event stream, as a typed Node EventEmitter map: one 'event' with its name and payload. */
export type ContractEvents = { event: [name: EventName, payload: EventPayload<EventName>] };

/** What serves the contract: its API and its event stream (the engine, the slot before it, or a fake in tests). */
export interface ContractHost {
  readonly api: Api;
  on(event: 'event', listener: (name: EventName, payload: EventPayload<EventName>) => void): unknown;
  off(event: 'event', listener: (name: EventName, payload: EventPayload<EventName>) => void): unknown;
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(contract, name);
}

/**
 * Methods a client may send as a notification: run in the order sent, answered with nothing (a
 * handler's error is dropped too). Keystrokes and resizes, where an answer to each would double a
 * terminal's traffic and wake the client once more per key for nothing.
 */
export const notifications = ['terminal.input', 'terminal.resize'] as const satisfies readonly MethodName[];
export type NotificationName = (typeof notifications)[number];

export function isNotificationName(name: string): name is NotificationName {
  return (notifications as readonly string[]).includes(name);
}

/** What a handler may do while a call runs: stream items, and learn that the caller went away. */
export interface CallContext<Item> {
  /** Sends an item; false when the transport is backed up: wait for `drained` before more. */
  emit(item: Item): boolean;
  /** Resolves once the transport can take more items (at once when it is not backed up). */
  drained(): Promise<void>;
  signal: AbortSignal;
}

/** The engine's side of the contract: one handler per method, fed requests already validated. */
export type Api = {
  [M in MethodName]: (request: ParsedRequest<M>, context: CallContext<StreamItem<M>>) => Promise<Response<M>>;
};
