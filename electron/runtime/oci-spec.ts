import type { ImageConfig } from '../../shared/images.js';
import type { NetworkMode, RunSpec } from '../../shared/containers.js';
import { BerthError } from '../../shared/berth-error.js';
import { ociResources, type OciResources } from './resources.js';

/** The subset of the OCI runtime spec (config.json) Berth writes. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  annotations: Record<string, string>;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: { devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[] } & OciResources;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export interface OciProcess {
  terminal: boolean;
  /** The terminal's size when the runtime makes it (an exec's), so the program starts at the client's size. */
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
  rlimits: { type: string; hard: number; soft: number }[];
  noNewPrivileges: boolean;
}

/**
 * The process of an exec on a terminal: the container's own (user, directory, capabilities, limits,
 * environment) running `command`, with `env` added over the container's.
 */
export function execProcess(container: OciProcess, command: string[], env: string[], size: { cols: number; rows: number }): OciProcess {
  const merged = new Map<string, string>();
  for (const pair of [...container.env, ...env]) merged.set(pair.split('=', 1)[0]!, pair);
  return { ...container, args: command, env: [...merged.values()], terminal: true, consoleSize: { height: size.rows, width: size.cols } };
}

/** Docker's default capability set: enough for ordinary images, nothing that reaches the host. */
const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SpecInput {
  spec: RunSpec;
  image: ImageConfig;
  command: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  /** bridge joins the engine-made namespace at netnsPath; none gets an empty one; host shares the host's. */
  network: { mode: NetworkMode; netnsPath: string };
  cgroupsPath: string;
  /** The open-files limit the runtime's own process may grant (its hard limit). */
  nofileLimit: number;
  /**
   * Linux-side files and folders bound into the container, in order: the engine's own (resolv.conf,
   * hosts, hostname), then the user's volumes and socket forwards.
   */
  binds: Bind[];
}

export interface Bind {
  source: string;
  destination: string;
  readOnly?: boolean;
}

/** Bind mounts in mount order: a parent folder before what is mounted inside it, as Docker orders them. */
function bindMounts(binds: readonly Bind[]): OciSpec['mounts'] {
  const depth = (path: string) => path.split('/').length;
  return [...binds]
    .map((bind, index) => ({ bind, index }))
    .sort((a, b) => depth(a.bind.destination) - depth(b.bind.destination) || a.index - b.index)
    .map(({ bind }) => ({
      destination: bind.destination,
      type: 'bind',
      source: bind.source,
      options: ['rbind', 'rprivate', ...(bind.readOnly ? ['ro'] : [])],
    }));
}

/** Docker's rules for the entrypoint and cmd a container gets from its run options over its image's. */
export function effectiveEntrypointAndCmd(spec: Pick<RunSpec, 'entrypoint' | 'cmd'>, image: Pick<ImageConfig, 'entrypoint' | 'cmd'>): { entrypoint: string[]; cmd: string[] } {
  const entrypoint = spec.entrypoint === undefined ? image.entrypoint : spec.entrypoint === '' ? [] : [spec.entrypoint];
  // A new entrypoint drops the image's cmd, as in Docker.
  const cmd = spec.cmd.length > 0 ? spec.cmd : spec.entrypoint === undefined ? image.cmd : [];
  return { entrypoint, cmd };
}

/** The argv a container runs: Docker's rules for combining entrypoint and cmd with run options. */
export function resolveCommand(spec: RunSpec, image: ImageConfig): string[] {
  const { entrypoint, cmd } = effectiveEntrypointAndCmd(spec, image);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw new BerthError('INVALID_ARGUMENT', `no command: image ${spec.image} has no Cmd or Entrypoint`, { fix: 'give a command after the image name' });
  }
  return argv;
}

/** Image env, then the user's (later keys win), with PATH and HOSTNAME defaults. */
export function mergeEnv(image: string[], user: string[], hostname: string): string[] {
  const merged = new Map<string, string>();
  merged.set('PATH', DEFAULT_PATH);
  merged.set('HOSTNAME', `HOSTNAME=${hostname}`);
  for (const entry of [...image, ...user]) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (key === '' || key.includes('\0')) throw new BerthError('INVALID_ARGUMENT', `invalid environment variable "${entry}"`);
    // A bare KEY is resolved by the client from its own environment (as `docker run -e KEY` does);
    // one that reaches the engine had no value there, so it is left out.
    if (eq >= 0) merged.set(key, entry);
  }
  return [...merged.values()];
}

export function buildOciSpec(input: SpecInput): OciSpec {
  const { spec, image } = input;
  const cwd = spec.workdir || image.workingDir || '/';
  if (!cwd.startsWith('/')) throw new BerthError('INVALID_ARGUMENT', `invalid working directory "${cwd}": it must be absolute`);
  const namespaces: OciSpec['linux']['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.network.mode === 'bridge') namespaces.push({ type: 'network', path: input.network.netnsPath });
  if (input.network.mode === 'none') namespaces.push({ type: 'network' });
  const nofile = Math.min(1_048_576, input.nofileLimit);
  return {
    ociVersion: '1.0.2',
    process: {
      // With a terminal conmon makes the pty and holds its master (the runtime hands it over).
      terminal: input.spec.tty,
      user: input.user,
      args: input.command,
      env: mergeEnv(image.env, spec.env, input.hostname),
      cwd,
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
      noNewPrivileges: false,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: input.hostname,
    // Image labels, overridden by the run's, as Docker merges them.
    annotations: { ...image.labels, ...spec.labels },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      ...bindMounts(input.binds),
    ],
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2]].map(([major, minor]) => ({
            allow: true, type: 'c', major, minor, access: 'rwm',
          })),
          { allow: true, type: 'c', major: 136, access: 'rwm' },
        ],
        ...ociResources(spec.resources),
      },
      maskedPaths: [
        '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
