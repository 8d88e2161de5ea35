import { z } from 'zod';
import { describeIssues } from '../dispatch.js';
import type { RunSpecInput } from '../../../shared/containers.js';
import { splitHostFirst } from '../../runtime/container-path.js';
import { DockerError } from './docker-call.js';

/** Docker accepts a string where a list of strings is meant (Cmd, Entrypoint, Healthcheck.Test). */
const StrSlice = z.union([z.array(z.string()), z.string().transform((s) => [s])]).nullish();
const Nanos = z.number().int().nonnegative().nullish();
const PortBinding = z.object({ HostIp: z.string().max(64).nullish(), HostPort: z.string().max(16).nullish() });

/**
 * The parts of `POST /containers/create` Berth maps onto a RunSpec. Unknown fields are ignored, as
 * dockerd ignores those of later versions; a known field of the wrong type is a 400 naming it.
 */
export const CreateBody = z.object({
  Image: z.string().min(1).max(1024),
  Cmd: StrSlice,
  Entrypoint: StrSlice,
  Env: z.array(z.string()).nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Hostname: z.string().nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
  Tty: z.boolean().nullish(),
  OpenStdin: z.boolean().nullish(),
  StdinOnce: z.boolean().nullish(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  /** Container paths that get a volume of their own (the docker CLI's `-v /data`), unless a bind or mount covers them. */
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  StopTimeout: z.number().int().nonnegative().nullish(),
  Healthcheck: z
    .object({ Test: StrSlice, Interval: Nanos, Timeout: Nanos, StartPeriod: Nanos, Retries: z.number().int().nonnegative().nullish() })
    .nullish(),
  HostConfig: z
    .object({
      Binds: z.array(z.string()).nullish(),
      Mounts: z
        .array(z.object({ Type: z.string(), Source: z.string().nullish(), Target: z.string(), ReadOnly: z.boolean().nullish() }))
        .nullish(),
      PortBindings: z.record(z.string(), z.array(PortBinding).nullish()).nullish(),
      PublishAllPorts: z.boolean().nullish(),
      NetworkMode: z.string().nullish(),
      RestartPolicy: z.object({ Name: z.string().nullish(), MaximumRetryCount: z.number().int().nonnegative().nullish() }).nullish(),
      AutoRemove: z.boolean().nullish(),
      Memory: z.number().int().nonnegative().nullish(),
      MemorySwap: z.number().int().min(-1).nullish(),
      NanoCpus: z.number().int().nonnegative().nullish(),
      CpuShares: z.number().int().nonnegative().nullish(),
      PidsLimit: z.number().int().nullish(),
    })
    .nullish(),
  NetworkingConfig: z
    .object({ EndpointsConfig: z.record(z.string(), z.object({ Aliases: z.array(z.string()).nullish() }).nullish()).nullish() })
    .nullish(),
});
export type CreateBody = z.infer<typeof CreateBody>;

/** Docker's 0 means "not set" for limits. */
const positive = (n: number | null | undefined): number | undefined => (n ? n : undefined);
const millis = (ns: number | null | undefined): number | undefined => (ns ? Math.max(1, Math.round(ns / 1_000_000)) : undefined);

/** `-p` specs from Docker's PortBindings: `{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}` → `8080:80/tcp`. */
function portSpecs(bindings: NonNullable<CreateBody['HostConfig']>['PortBindings']): string[] {
  const specs: string[] = [];
  for (const [port, list] of Object.entries(bindings ?? {})) {
    for (const binding of list ?? [{}]) {
      const ip = binding.HostIp ?? '';
      const host = binding.HostPort ?? '';
      const address = ip.includes(':') ? `[${ip}]` : ip;
      specs.push(address ? `${address}:${host}:${port}` : host ? `${host}:${port}` : port);
    }
  }
  return specs;
}

function volumeSpecs(host: NonNullable<CreateBody['HostConfig']>, anonymous: readonly string[]): string[] {
  const specs = [...(host.Binds ?? [])];
  for (const mount of host.Mounts ?? []) {
    if (mount.Type !== 'bind' && mount.Type !== 'volume') throw new DockerError(400, `mount type "${mount.Type}" is not supported by Berth (bind and volume are)`);
    if (!mount.Source) {
      if (mount.Type !== 'volume') throw new DockerError(400, `mount at ${mount.Target}: a bind mount needs a Source`);
      if (mount.ReadOnly) throw new DockerError(400, `mount at ${mount.Target}: Berth makes no read-only anonymous volumes`);
      specs.push(mount.Target);
      continue;
    }
    specs.push(`${mount.Source}:${mount.Target}${mount.ReadOnly ? ':ro' : ''}`);
  }
  // A path some spec above already mounts keeps that mount, as in Docker (docker-py names every bind's
  // path in Volumes too, and a bare path in Binds is an anonymous volume itself).
  const covered = new Set([...(host.Binds ?? []).map((bind) => splitHostFirst(bind, true)[1] ?? bind), ...(host.Mounts ?? []).map((mount) => mount.Target)]);
  for (const path of anonymous) if (!covered.has(path)) specs.push(path);
  return specs;
}

const RESTART = { '': 'no', no: 'no', always: 'always', 'unless-stopped': 'unless-stopped', 'on-failure': 'on-failure' } as const;

/**
 * The network a container starts on (NetworkMode: '' and `default` are the default bridge) and the
 * further ones of EndpointsConfig, with their aliases (compose names each service so).
 */
function networksOf(mode: string, endpoints: Record<string, { Aliases?: string[] | null } | null | undefined>): Pick<RunSpecInput, 'network' | 'networkAliases' | 'extraNetworks'> {
  if (mode.startsWith('container:')) throw new DockerError(400, `network mode "${mode}" is not supported by Berth: a container shares no other container's network`);
  const network = mode === '' || mode === 'default' ? 'bridge' : mode;
  const aliases = (name: string) => endpoints[name]?.Aliases ?? [];
  const extraNetworks = Object.keys(endpoints)
    .filter((name) => name !== network && !(network === 'bridge' && name === 'default'))
    .map((name) => ({ network: name, aliases: aliases(name) }));
  return { network, networkAliases: aliases(network), extraNetworks };
}

/** Docker's create body (already parsed as JSON) as a RunSpec; never pulls: Docker's create answers 404 and the client pulls. */
export function runSpecOf(raw: unknown, name: string | undefined): RunSpecInput {
  const parsed = CreateBody.safeParse(raw);
  if (!parsed.success) throw new DockerError(400, describeIssues('container create', parsed.error));
  const body = parsed.data;
  const host = body.HostConfig ?? {};
  const { network, networkAliases, extraNetworks } = networksOf(host.NetworkMode ?? '', body.NetworkingConfig?.EndpointsConfig ?? {});
  const restartName = host.RestartPolicy?.Name ?? '';
  if (!Object.hasOwn(RESTART, restartName)) throw new DockerError(400, `invalid restart policy "${restartName}"`);
  // A multi-word entrypoint: its first word is the program, the rest go before the command.
  const entrypoint = body.Entrypoint && body.Entrypoint.length > 0 ? body.Entrypoint : undefined;
  const ports = portSpecs(host.PortBindings);
  const healthcheck = body.Healthcheck
    ? { test: body.Healthcheck.Test ?? [], intervalMs: millis(body.Healthcheck.Interval), timeoutMs: millis(body.Healthcheck.Timeout), startPeriodMs: millis(body.Healthcheck.StartPeriod), retries: positive(body.Healthcheck.Retries) }
    : undefined;
  return {
    image: body.Image,
    name,
    cmd: [...(entrypoint?.slice(1) ?? []), ...(body.Cmd ?? [])],
    entrypoint: entrypoint?.[0],
    env: body.Env ?? [],
    workdir: body.WorkingDir || undefined,
    user: body.User || undefined,
    hostname: body.Hostname || undefined,
    labels: body.Labels ?? {},
    network,
    networkAliases,
    extraNetworks,
    ports,
    autoExpose: host.PublishAllPorts ? true : undefined,
    volumes: volumeSpecs(host, Object.keys(body.Volumes ?? {})),
    restart: { name: RESTART[restartName as keyof typeof RESTART], maxRetries: host.RestartPolicy?.MaximumRetryCount ?? 0 },
    pull: 'never',
    ...(body.StopTimeout === null || body.StopTimeout === undefined ? {} : { stopTimeout: body.StopTimeout }),
    tty: body.Tty ?? false,
    interactive: body.OpenStdin ?? false,
    stdinOnce: body.StdinOnce ?? false,
    autoRemove: host.AutoRemove ?? false,
    resources: {
      memory: positive(host.Memory),
      memorySwap: host.MemorySwap ? host.MemorySwap : undefined,
      cpus: host.NanoCpus ? host.NanoCpus / 1e9 : undefined,
      cpuShares: positive(host.CpuShares),
      pidsLimit: positive(host.PidsLimit),
    },
    ...(healthcheck ? { healthcheck } : {}),
  };
}
