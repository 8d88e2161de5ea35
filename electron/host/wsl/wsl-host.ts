import type { Duplex, Readable } from 'node:stream';
import type { PortMapping } from '../../../shared/ports.js';
import { execChecked } from '../exec-checked.js';
import type { ExecOptions, ExecResult, FileStat, Host, HostProcess, PortPath, SpawnOptions, UnixListener } from '../host.js';
import { pipeIntoProcess, runProcess, spawnProcess } from '../local/local-process.js';
import { DistroPortForwards } from './distro-port-forwards.js';
import { DistroSockets } from './distro-sockets.js';
import { SOCKET_AGENT_SCRIPT } from './socket-agent-script.js';
import type { WslExe } from './wsl-exe.js';
import { wslLinuxPath } from './wsl-paths.js';

/** Where the engine keeps its Linux-side data inside the distro. */
export const WSL_DATA_ROOT = '/var/lib/berth';

/** `test -e` failed: the file is not there (any other failure is a real error). */
const MISSING = 44;

/**
 * Linux inside Berth's WSL2 distro: every command runs as `wsl.exe -d DISTRO -u root --exec ...`,
 * bytes go in through stdin (never \\wsl$ file copies) and files are read and written by commands
 * in the distro, so nothing above this class knows it is not on Linux itself.
 */
export class WslHost implements Host {
  readonly kind = 'wsl' as const;
  readonly windowsPaths = true;
  readonly ownLinux = true;
  readonly readyMessage = 'WSL 2 distro ready';
  /** The engine cannot open sockets in the VM itself: an agent in the distro does, over its stdio. */
  private readonly sockets = new DistroSockets(() => this.spawn(['perl', this.agentPath]));
  private agentWritten: Promise<void> | undefined;
  private readonly forwards = new DistroPortForwards(this);

  constructor(
    private readonly wsl: WslExe,
    readonly distro: string,
    readonly dataRoot: string = WSL_DATA_ROOT,
  ) {}

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return runProcess(this.argv(argv, options.env), { input: options.input, timeoutMs: options.timeoutMs });
  }

  spawn(argv: string[], options: SpawnOptions = {}): HostProcess {
    return spawnProcess(this.argv(argv, options.env), { detached: options.detached });
  }

  commandLine(argv: string[]): string[] {
    return this.argv(argv, undefined);
  }

  pipeIn(argv: string[], input: Readable, options: ExecOptions = {}): Promise<ExecResult> {
    return pipeIntoProcess(this.argv(argv, options.env), input, { timeoutMs: options.timeoutMs });
  }

  linuxPath(path: string): string | undefined {
    return wslLinuxPath(path);
  }

  async readFile(path: string): Promise<Buffer> {
    const result = await this.exec(['sh', '-c', `test -e "$1" || exit ${MISSING}; exec cat -- "$1"`, 'berth-read', path]);
    if (result.code === MISSING) throw missing(path);
    if (result.code !== 0) throw new Error(`reading ${path} in the distro failed: ${result.stderr.toString().trim()}`);
    return result.stdout;
  }

  async readTail(path: string, bytes: number): Promise<Buffer> {
    const result = await this.exec(['sh', '-c', `test -e "$1" || exit 0; exec tail -c ${Math.floor(bytes)} -- "$1"`, 'berth-read-tail', path]);
    if (result.code !== 0) throw new Error(`reading the end of ${path} in the distro failed: ${result.stderr.toString().trim()}`);
    return result.stdout;
  }

  async writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    // Written beside the target and renamed over it, so readers see the old content or the new.
    const script = 't="$1.$$.tmp"; if cat >"$t" && chmod "$2" "$t" && mv -f "$t" "$1"; then exit 0; fi; rm -f "$t"; exit 1';
    await execChecked(this, ['sh', '-c', script, 'berth-write', path, mode.toString(8)], 'INTERNAL', { input: data });
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const result = await this.exec(['sh', '-c', `test -e "$1" || exit ${MISSING}; exec stat -c '%s %.3Y %F' -- "$1"`, 'berth-stat', path]);
    if (result.code === MISSING) return undefined;
    const [size, mtime, ...type] = result.stdout.toString().trim().split(' ');
    if (result.code !== 0 || size === undefined || mtime === undefined) {
      throw new Error(`stat ${path} in the distro failed: ${result.stderr.toString().trim()}`);
    }
    return { size: Number(size), mtimeMs: Math.round(Number(mtime) * 1000), isDirectory: type.join(' ') === 'directory' };
  }

  async readlink(path: string): Promise<string | undefined> {
    const result = await this.exec(['readlink', '--', path]);
    return result.code === 0 ? result.stdout.toString().replace(/\n$/, '') : undefined;
  }

  async mkdir(path: string): Promise<void> {
    await execChecked(this, ['mkdir', '-p', '--', path], 'INTERNAL');
  }

  async remove(path: string): Promise<void> {
    await execChecked(this, ['rm', '-rf', '--', path], 'INTERNAL');
  }

  openPorts(containerAddress: string, mappings: readonly PortMapping[]): Promise<PortPath> {
    return this.forwards.open(containerAddress, mappings);
  }

  closePorts(path: PortPath): Promise<void> {
    return this.forwards.close(path);
  }

  async listenUnix(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
    await this.writeAgent();
    return this.sockets.listenUnix(path, mode, onConnection);
  }

  async connectUnix(path: string): Promise<Duplex> {
    await this.writeAgent();
    return this.sockets.connectUnix(path);
  }

  close(): Promise<void> {
    return this.sockets.close();
  }

  private get agentPath(): string {
    return `${this.dataRoot}/socket-agent.pl`;
  }

  /** Written on first use by each engine, so the agent always matches the app. */
  private writeAgent(): Promise<void> {
    this.agentWritten ??= this.writeFile(this.agentPath, SOCKET_AGENT_SCRIPT, 0o644).catch((err: unknown) => {
      this.agentWritten = undefined;
      throw err;
    });
    return this.agentWritten;
  }

  /** wsl.exe passes no environment into the distro by default, so variables travel as `env K=V`. */
  private argv(argv: string[], env: Record<string, string> | undefined): string[] {
    const vars = Object.entries(env ?? {}).map(([key, value]) => `${key}=${value}`);
    return this.wsl.execArgv(this.distro, vars.length > 0 ? ['env', ...vars, ...argv] : argv);
  }
}

function missing(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOENT: no such file in the distro: ${path}`);
  error.code = 'ENOENT';
  return error;
}
