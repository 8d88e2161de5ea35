import { createHash } from 'node:crypto';
import type { Container, ContainerEndpoint } from '../../../shared/containers.js';
import type { PortMapping } from '../../../shared/ports.js';
import type { ImageConfig } from '../../../shared/images.js';
import { parseExposedPort, parsePublishSpec } from '../../ports/publish-spec.js';
import { effectiveEntrypointAndCmd } from '../../runtime/oci-spec.js';

/** Docker's go-units HumanDuration, which `docker ps` shows in its STATUS column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

const since = (time: string, now: number): number => now - Date.parse(time);

/** "Up 5 minutes (healthy)", "Exited (0) 2 hours ago", "Created": the STATUS column. */
export function statusText(container: Container, now = Date.now()): string {
  const { state } = container;
  if (state.status === 'running') {
    const health = state.health ? ` (${state.health.status === 'starting' ? 'health: starting' : state.health.status})` : '';
    return `Up ${humanDuration(since(state.startedAt, now))}${health}`;
  }
  if (state.status === 'created') return 'Created';
  if (state.status === 'dead') return 'Dead';
  return state.finishedAt ? `Exited (${state.exitCode}) ${humanDuration(since(state.finishedAt, now))} ago` : `Exited (${state.exitCode})`;
}

/** Docker's `Created` in lists: Unix seconds (0 for a time it cannot read). */
export const unixSeconds = (time: string): number => Math.floor(Date.parse(time) / 1000) || 0;

/** Docker's `"80/tcp"` key for a port. */
const portKey = (port: number, protocol: string): string => `${port}/${protocol}`;

/** Every port the container has: published ones where they ended up, and the image's and -p's others as null. */
function portMap(container: Container, exposed: readonly string[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const entry of exposed) for (const { guestPort, protocol } of parseExposedPort(entry)) ports[portKey(guestPort, protocol)] = null;
  for (const spec of container.spec.ports) for (const request of parsePublishSpec(spec)) ports[portKey(request.guestPort, request.protocol)] ??= null;
  for (const mapping of container.ports) {
    const key = portKey(mapping.guestPort, mapping.protocol);
    (ports[key] ??= []).push({ HostIp: mapping.hostIp, HostPort: String(mapping.hostPort) });
  }
  return ports;
}

/** What was asked with -p, as Docker's HostConfig.PortBindings (an empty HostIp stands for every address). */
function portBindings(container: Container): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const spec of container.spec.ports) {
    for (const request of parsePublishSpec(spec)) {
      (bindings[portKey(request.guestPort, request.protocol)] ??= []).push({ HostIp: request.hostIp, HostPort: request.hostPort === 0 ? '' : String(request.hostPort) });
    }
  }
  return bindings;
}

/** Where each port came from (`user`, `auto_expose`, `auto_remap`), for clients that want Berth's view: `8080/tcp=user,...`. */
function portSources(ports: readonly PortMapping[]): string {
  return ports.map((p) => `${p.hostIp}:${p.hostPort}->${portKey(p.guestPort, p.protocol)}=${p.source}`).join(',');
}

/**
 * Each network the container is on, as Docker keys them by name. On user-defined networks its short
 * id is among the aliases, as Docker adds it (compose v1 reconnects a container that lacks it).
 */
function networks(container: Container) {
  const endpoint = (e: Partial<ContainerEndpoint>, aliases: string[] | null) => ({
    IPAMConfig: null, Links: null, Aliases: aliases, NetworkID: e.networkId ?? '',
    EndpointID: e.address ? createHash('sha256').update(`${container.id}:${e.networkId}`).digest('hex') : '',
    Gateway: e.gateway ?? '', IPAddress: e.address ?? '', IPPrefixLen: e.prefixLength ?? 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
  });
  if (container.network.mode !== 'bridge') return { [container.network.mode]: endpoint({}, null) };
  return Object.fromEntries(container.networks.map((e) => [e.network, endpoint(e, e.network === 'bridge' ? null : [...e.aliases, container.id.slice(0, 12)])]));
}

/** One row of `GET /containers/json`. */
export function containerSummary(container: Container) {
  return {
    Id: container.id,
    Names: [`/${container.name}`],
    Image: container.image,
    ImageID: container.imageId,
    Command: container.command.join(' '),
    Created: unixSeconds(container.created),
    Ports: container.ports.map((p) => ({ IP: p.hostIp, PrivatePort: p.guestPort, PublicPort: p.hostPort, Type: p.protocol })),
    Labels: container.spec.labels,
    State: container.state.status,
    Status: statusText(container),
    HostConfig: { NetworkMode: container.spec.network },
    NetworkSettings: { Networks: networks(container) },
    Mounts: container.mounts.map((m) => ({ Type: m.type, ...(m.type === 'volume' ? { Name: m.source } : {}), Source: m.source, Destination: m.destination, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly, Propagation: 'rprivate' })),
  };
}

const nanos = (ms: number | undefined): number => (ms === undefined ? 0 : ms * 1_000_000);

/** `GET /containers/{id}/json`, with what it takes from its image (EXPOSEd ports, entrypoint and cmd) as Docker shows them. */
export function containerInspect(container: Container, image: ImageConfig | undefined) {
  const { spec, state } = container;
  const [path = '', ...args] = container.command;
  const ports = portMap(container, image?.exposedPorts ?? []);
  const { entrypoint, cmd } = effectiveEntrypointAndCmd(spec, image ?? { entrypoint: [], cmd: [] });
  const labels = container.ports.length > 0 ? { ...spec.labels, 'berth.ports': portSources(container.ports) } : spec.labels;
  return {
    Id: container.id,
    Created: container.created,
    Path: path,
    Args: args,
    State: {
      Status: state.status,
      Running: state.status === 'running',
      Paused: false,
      Restarting: false,
      OOMKilled: state.oomKilled,
      Dead: state.status === 'dead',
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt || '0001-01-01T00:00:00Z',
      FinishedAt: state.finishedAt || '0001-01-01T00:00:00Z',
      ...(state.health
        ? { Health: { Status: state.health.status, FailingStreak: state.health.failingStreak, Log: state.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) } }
        : {}),
    },
    Image: container.imageId,
    Name: `/${container.name}`,
    RestartCount: state.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: spec.volumes,
      // Clients read the log driver as "can the logs be read back": docker-py's run returns nothing for
      // another driver. Berth's log (conmon's file) is read back like Docker's json-file, so it says so.
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: spec.network,
      PortBindings: portBindings(container),
      RestartPolicy: { Name: spec.restart.name, MaximumRetryCount: spec.restart.maxRetries },
      AutoRemove: spec.autoRemove,
      PublishAllPorts: spec.autoExpose ?? false,
      Memory: spec.resources.memory ?? 0,
      MemorySwap: spec.resources.memorySwap ?? 0,
      NanoCpus: spec.resources.cpus === undefined ? 0 : Math.round(spec.resources.cpus * 1e9),
      CpuShares: spec.resources.cpuShares ?? 0,
      PidsLimit: spec.resources.pidsLimit ?? null,
    },
    Config: {
      Hostname: spec.hostname ?? container.id.slice(0, 12),
      User: spec.user ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((key) => [key, {}])),
      Tty: spec.tty,
      OpenStdin: spec.interactive,
      StdinOnce: spec.stdinOnce,
      Env: spec.env,
      Cmd: cmd.length > 0 ? cmd : null,
      Image: container.image,
      WorkingDir: spec.workdir ?? '',
      Entrypoint: entrypoint.length > 0 ? entrypoint : null,
      Labels: labels,
      StopTimeout: spec.stopTimeout,
      ...(spec.healthcheck
        ? { Healthcheck: { Test: spec.healthcheck.test, Interval: nanos(spec.healthcheck.intervalMs), Timeout: nanos(spec.healthcheck.timeoutMs), StartPeriod: nanos(spec.healthcheck.startPeriodMs), Retries: spec.healthcheck.retries ?? 0 } }
        : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      Ports: ports,
      IPAddress: container.network.address,
      IPPrefixLen: container.network.prefixLength,
      Gateway: container.network.gateway,
      MacAddress: '',
      Networks: networks(container),
    },
    Mounts: containerSummary(container).Mounts,
  };
}
