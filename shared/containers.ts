import { z } from 'zod';
import { CONTAINER_ACTIONS, NETWORK_MODES, RESTART_POLICIES, WAIT_CONDITIONS } from './choices.js';
import { ContainerHealth, HealthCheck } from './health.js';
import { PullPolicy } from './images.js';
import { Mount, SocketForward } from './mounts.js';
import { EndpointRequest, NetworkAlias } from './networks.js';
import { PortMapping } from './ports.js';

export const RestartPolicy = z.object({
  name: z.enum(RESTART_POLICIES),
  /** For on-failure: give up after this many restarts (0 = no limit). */
  maxRetries: z.number().int().nonnegative().default(0),
});
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const NetworkMode = z.enum(NETWORK_MODES);
export type NetworkMode = z.infer<typeof NetworkMode>;

/** Limits on what a container may use, applied to its cgroup (Docker's --memory, --cpus, ...). */
export const Resources = z.object({
  /** Bytes of memory; past it the kernel's OOM killer ends a process of the container. */
  memory: z.number().int().positive().optional(),
  /** Memory plus swap, in bytes (-1: swap without limit); unset with memory set: twice the memory. */
  memorySwap: z.number().int().min(-1).optional(),
  /** CPUs' worth of time (1.5 = one and a half CPUs). */
  cpus: z.number().positive().max(1024).optional(),
  /** Relative CPU weight against other containers (Docker's default 1024). */
  cpuShares: z.number().int().min(2).max(262_144).optional(),
  /** Most processes at once (0 or -1: no limit). */
  pidsLimit: z.number().int().min(-1).optional(),
});
export type Resources = z.infer<typeof Resources>;

/** What the user asked for with `berth run` or the Run dialog. */
export const RunSpec = z.object({
  image: z.string().min(1).max(1024),
  name: z.string().max(256).optional(),
  /** Overrides the image's Cmd when non-empty. */
  cmd: z.array(z.string().max(64 * 1024)).max(1024).default([]),
  /** Overrides the image's Entrypoint when set (Docker's --entrypoint; '' clears it). */
  entrypoint: z.string().max(4096).optional(),
  env: z.array(z.string().max(64 * 1024)).max(4096).default([]),
  workdir: z.string().max(4096).optional(),
  user: z.string().max(256).optional(),
  hostname: z.string().max(253).optional(),
  labels: z.record(z.string().max(1024), z.string().max(64 * 1024)).default({}),
  /** The network it starts on: bridge (the default), host, none, or a user-defined network's name or id. */
  network: z.string().min(1).max(256).default('bridge'),
  /** Docker's --network-alias: more names it answers to on that network. */
  networkAliases: z.array(NetworkAlias).max(64).default([]),
  /** Further networks it joins at start (Docker's --network given again). */
  extraNetworks: z.array(EndpointRequest).max(32).default([]),
  /** Docker `-p` specs, parsed by the engine so a bad one is named in its error. */
  ports: z.array(z.string().max(256)).max(1024).default([]),
  /** Publish the image's EXPOSEd ports too (on loopback); unset follows the engine's setting. */
  autoExpose: z.boolean().optional(),
  /** Docker `-v SRC:DST[:ro]` specs (a host folder or a named volume), parsed by the engine. */
  volumes: z.array(z.string().max(8192)).max(256).default([]),
  /** `--socket HOSTPATH:CONTAINERPATH` specs: the container reaches a host socket. */
  sockets: z.array(z.string().max(8192)).max(64).default([]),
  /** `--socket-listen CONTAINERPATH:HOSTPATH` specs: the host reaches a socket served in the container. */
  socketListens: z.array(z.string().max(8192)).max(64).default([]),
  restart: RestartPolicy.default({ name: 'no', maxRetries: 0 }),
  pull: PullPolicy.default('missing'),
  /** Seconds `stop` waits after the stop signal before SIGKILL. */
  stopTimeout: z.number().int().nonnegative().default(10),
  /** Docker's -t: the main process runs on a terminal (the engine holds it; `attach` reaches it). */
  tty: z.boolean().default(false),
  /** Docker's -i: the main process's stdin stays open for an attached client. */
  interactive: z.boolean().default(false),
  /**
   * Docker's StdinOnce (`run -i` in the foreground): the process's stdin closes when its input ends
   * (or the client goes), so a command reading piped input sees its end.
   */
  stdinOnce: z.boolean().default(false),
  /** Docker's --rm: the container is removed once it exits. */
  autoRemove: z.boolean().default(false),
  resources: Resources.default({}),
  healthcheck: HealthCheck.optional(),
});
export type RunSpec = z.infer<typeof RunSpec>;
export type RunSpecInput = z.input<typeof RunSpec>;

/** Which of a container's output streams a log line came from. */
export const LogStream = z.enum(['stdout', 'stderr']);
export type LogStream = z.infer<typeof LogStream>;

/** Docker's wait conditions: until it is not running (at once if it is not), until its next exit, until it is removed. */
export const WaitCondition = z.enum(WAIT_CONDITIONS);
export type WaitCondition = z.infer<typeof WaitCondition>;

export const ContainerStatus = z.enum(['created', 'running', 'exited', 'dead']);
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const ContainerState = z.object({
  status: ContainerStatus,
  pid: z.number().int().default(0),
  startedAt: z.string().default(''),
  finishedAt: z.string().default(''),
  exitCode: z.number().int().default(0),
  /** Why the last start failed, or why the engine gave up on it. */
  error: z.string().default(''),
  /** The last lines the container wrote before it exited, so a crash says why without opening its logs. */
  lastOutput: z.string().default(''),
  restartCount: z.number().int().nonnegative().default(0),
  /** What its last start had to leave out, such as the IPv6 half of a port on a host without IPv6. */
  warnings: z.array(z.string()).default([]),
  /** The last exit was the kernel's OOM killer ending it at its memory limit. */
  oomKilled: z.boolean().default(false),
  /** While it runs with a health check: what the checks found. */
  health: ContainerHealth.optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;

/**
 * How the container is networked, and its address on its first network: `bridge` for one on bridge
 * networks (the default one or user-defined ones; `networks` lists them), `host` or `none`.
 */
export const ContainerNetwork = z.object({
  mode: NetworkMode,
  address: z.string().default(''),
  gateway: z.string().default(''),
  prefixLength: z.number().int().default(0),
});
export type ContainerNetwork = z.infer<typeof ContainerNetwork>;

/** One network the container is on: its address there while it runs, and the names it answers to. */
export const ContainerEndpoint = z.object({
  network: z.string(),
  networkId: z.string(),
  /** Besides its name and short id, which every container answers to. */
  aliases: z.array(z.string()).default([]),
  /** '' while it is not running. */
  address: z.string().default(''),
  gateway: z.string().default(''),
  prefixLength: z.number().int().default(0),
  /** Its interface in the container while it runs (eth0, eth1...). */
  interface: z.string().default(''),
});
export type ContainerEndpoint = z.infer<typeof ContainerEndpoint>;

export const Container = z.object({
  id: z.string(),
  name: z.string(),
  /** The reference as the user typed it, and the image it resolved to. */
  image: z.string(),
  imageId: z.string(),
  created: z.string(),
  /** The argv the container's process runs (entrypoint + cmd, resolved). */
  command: z.array(z.string()),
  spec: RunSpec,
  state: ContainerState,
  network: ContainerNetwork,
  /** The bridge networks it is on, in the order joined (empty with host or none networking). */
  networks: z.array(ContainerEndpoint).default([]),
  /** Where each published port ended up; empty while the container is not running. */
  ports: z.array(PortMapping).default([]),
  /** Folders and volumes, mounted only while the container runs. */
  mounts: z.array(Mount).default([]),
  /** Socket forwards, open only while the container runs. */
  sockets: z.array(SocketForward).default([]),
});
export type Container = z.infer<typeof Container>;

export const ContainerStats = z.object({
  id: z.string(),
  name: z.string(),
  /** Percent of one CPU over the sampling interval (may exceed 100 on several cores). */
  cpuPercent: z.number().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  memoryLimitBytes: z.number().nonnegative(),
  pids: z.number().int().nonnegative(),
  /** Totals since the container started, as Docker's stats give them: rates are the difference of two samples. */
  netRxBytes: z.number().nonnegative(),
  netTxBytes: z.number().nonnegative(),
  blockReadBytes: z.number().nonnegative(),
  blockWriteBytes: z.number().nonnegative(),
});
export type ContainerStats = z.infer<typeof ContainerStats>;

/** Something that happened to a container, as Docker's event stream tells it. */
export const ContainerAction = z.object({
  action: z.enum(CONTAINER_ACTIONS),
  id: z.string(),
  name: z.string(),
  image: z.string(),
  /** When, RFC 3339 in UTC. */
  time: z.string(),
  /** The container's labels, and what the action adds: exitCode (die), signal (kill), oldName (rename), exitCode and command (exec_*). */
  attributes: z.record(z.string(), z.string()),
});
export type ContainerAction = z.infer<typeof ContainerAction>;

/** Which actions a follower of the events wants: each list, when not empty, must match. */
export const ActionFilter = z.object({
  actions: z.array(z.enum(CONTAINER_ACTIONS)).max(64).default([]),
  /** Container ids, id prefixes or names. */
  containers: z.array(z.string().max(256)).max(256).default([]),
  /** `KEY` or `KEY=VALUE`. */
  labels: z.array(z.string().max(4096)).max(256).default([]),
});
export type ActionFilter = z.infer<typeof ActionFilter>;
