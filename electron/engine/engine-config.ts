import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONTEXT_LIMIT } from '../build/build-context.js';
import type { PortSettings } from '../ports/port-publisher.js';
import { DEFAULT_LOG_LIMITS, type LogLimits } from '../runtime/container-log.js';

/** Where Linux runs: this machine, or Berth's WSL2 distro driven through wsl.exe. */
export type HostConfig =
  | { kind: 'local' }
  | {
      kind: 'wsl';
      /** wsl.exe, or the simulator the tests use. */
      exe: string;
      distro: string;
      /** Where wsl.exe keeps the distro's disk. */
      installDir: string;
      /** The distro rootfs shipped with the app. */
      rootfs: string;
    };

export interface EngineConfig {
  host: HostConfig;
  /** Engine-side state: records, content store, the API socket. */
  home: string;
  /** Linux-side data root (layers, bundles, runtime state) when the host is this machine. */
  dataRoot: string;
  bridge: { name: string; subnet: string };
  /** Where user-defined networks take their subnets from, a /24 each. */
  networkPool: string;
  /** An explicit runtime binary; otherwise runc, youki, crun are probed in that order. */
  runtimePath: string | undefined;
  /** Normalised references served from archives shipped with the app (the hello image). */
  bundledImages: Record<string, string>;
  logLimits: LogLimits;
  ports: PortSettings;
  /** Quitting leaves containers running for the next engine to adopt, rather than stopping them. */
  keepRunning: boolean;
  /** Most bytes of a folder `build` sends to the builder. */
  buildContextLimit: number;
  docker: {
    /** The docker CLI's config folder, where Berth keeps its context ($DOCKER_CONFIG, else ~/.docker). */
    configDir: string;
    /** The well-known socket path the opt-in link is made at. */
    linkPath: string;
  };
}

function parseRange(text: string | undefined): PortSettings['range'] {
  if (!text) return undefined;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65535 || last < first) {
    throw new Error(`invalid BERTH_PORT_RANGE "${text}": expected FIRST-LAST within 1-65535`);
  }
  return { first, last };
}

/**
 * Where implicit ports bind: loopback of both families unless BERTH_PUBLISH_IP names addresses
 * (comma-separated; the first must bind, the others are left out where the host lacks them).
 */
function parsePublishIps(text: string | undefined): string[] {
  if (!text) return ['127.0.0.1', '::1'];
  const ips = text.split(',').map((ip) => ip.trim());
  const bad = ips.find((ip) => isIP(ip) === 0);
  if (bad !== undefined) throw new Error(`invalid BERTH_PUBLISH_IP "${text}": "${bad}" is not an IP address`);
  return ips;
}

/** The package root, found from this file whether it runs from source or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('package.json not found above the engine');
}

export function berthHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BERTH_HOME || join(homedir(), '.berth'));
}

/** Where the engine's API socket lives: inside its 0700 home. */
export function socketPath(home: string): string {
  return join(home, 'engine.sock');
}

/** Where the terminal host serves sessions' streams, so keystrokes never wait on the engine: beside the engine's socket. */
export function terminalSocketPath(home: string): string {
  return join(home, 'terminal.sock');
}

/** One place Docker's Engine API is served. */
export interface DockerEndpoint {
  path: string;
  /** Served when free: Docker Desktop may hold it. */
  optional: boolean;
}

/**
 * Where Docker's Engine API is served (the docker CLI, docker-py, dockerode): beside the engine's own
 * socket; on Windows the named pipes Docker's clients look for, Docker's own when no one holds it.
 */
export function dockerEndpoints(home: string, platform: NodeJS.Platform = process.platform): DockerEndpoint[] {
  if (platform === 'win32') return [{ path: '\\\\.\\pipe\\berth_engine', optional: false }, { path: '\\\\.\\pipe\\docker_engine', optional: true }];
  return [{ path: join(home, 'docker.sock'), optional: false }];
}

/** The endpoint Berth always serves Docker's API on (and names in its context and DOCKER_HOST line). */
export function dockerSocketPath(home: string, platform: NodeJS.Platform = process.platform): string {
  return dockerEndpoints(home, platform)[0]!.path;
}

/** An endpoint as a DOCKER_HOST value: `unix:///home/me/.berth/docker.sock`, `npipe:////./pipe/berth_engine`. */
export function dockerHostOf(path: string): string {
  return path.startsWith('\\\\.\\pipe\\') ? `npipe://${path.replaceAll('\\', '/')}` : `unix://${path}`;
}

function hostFromEnv(env: NodeJS.ProcessEnv, home: string, resources: string): HostConfig {
  const kind = env.BERTH_HOST || (process.platform === 'win32' ? 'wsl' : 'local');
  if (kind === 'local') return { kind };
  if (kind !== 'wsl') throw new Error(`invalid BERTH_HOST "${kind}": expected local or wsl`);
  const distro = env.BERTH_WSL_DISTRO || 'berth';
  return {
    kind,
    exe: env.BERTH_WSL_EXE || join(env.SystemRoot || 'C:\\Windows', 'System32', 'wsl.exe'),
    distro,
    installDir: join(home, 'wsl', distro),
    rootfs: join(resources, 'berth-distro.tar.gz'),
  };
}

/** A size in MiB from the environment; undefined when unset. */
function parseMiB(text: string | undefined, variable: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const mib = Number(text);
  if (!Number.isInteger(mib) || mib < 1) throw new Error(`invalid ${variable} "${text}": expected a whole number of MiB`);
  return mib * 2 ** 20;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const home = berthHome(env);
  const resources = env.BERTH_RESOURCES || join(packageRoot(), 'build', 'out');
  return {
    host: hostFromEnv(env, home, resources),
    home,
    dataRoot: env.BERTH_DATA_ROOT || join(home, 'linux'),
    bridge: { name: env.BERTH_BRIDGE || 'berth0', subnet: env.BERTH_SUBNET || '10.89.0.0/24' },
    networkPool: env.BERTH_NETWORK_POOL || '10.90.0.0/16',
    runtimePath: env.BERTH_RUNTIME || undefined,
    bundledImages: { 'docker.io/library/hello:latest': join(resources, 'hello.oci.tar') },
    logLimits: DEFAULT_LOG_LIMITS,
    keepRunning: env.BERTH_KEEP_RUNNING === '1' || env.BERTH_KEEP_RUNNING === 'true',
    buildContextLimit: parseMiB(env.BERTH_BUILD_CONTEXT_LIMIT, 'BERTH_BUILD_CONTEXT_LIMIT') ?? DEFAULT_CONTEXT_LIMIT,
    docker: { configDir: env.DOCKER_CONFIG || join(homedir(), '.docker'), linkPath: env.BERTH_DOCKER_LINK || '/var/run/docker.sock' },
    ports: {
      autoExpose: env.BERTH_AUTO_EXPOSE !== '0' && env.BERTH_AUTO_EXPOSE !== 'false',
      implicitHostIps: parsePublishIps(env.BERTH_PUBLISH_IP),
      range: parseRange(env.BERTH_PORT_RANGE),
    },
  };
}
