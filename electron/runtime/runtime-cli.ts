import { BerthError } from '../../shared/berth-error.js';
import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';

export type RuntimeName = 'runc' | 'youki' | 'crun';

/** runc is preferred: it works on cgroup v1 hybrid hosts and bridges a foreground pty for exec -t. */
const CANDIDATES: RuntimeName[] = ['runc', 'youki', 'crun'];

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  pid: number;
}

export interface ExecArgvOptions {
  tty: boolean;
  /** K=V pairs added to the container's environment. */
  env: string[];
  cwd?: string;
}

/** Drives an OCI runtime through its CLI; all container state lives under `root`. */
export class RuntimeCli {
  private constructor(
    private readonly host: Host,
    readonly name: RuntimeName,
    readonly binary: string,
    readonly version: string,
    readonly root: string,
  ) {}

  /** Finds the runtime: the configured binary, or the first of runc, youki, crun that answers --version. */
  static async probe(host: Host, root: string, configured?: string): Promise<RuntimeCli> {
    const tried = configured ? [configured] : CANDIDATES;
    for (const binary of tried) {
      const result = await host.exec([binary, '--version'], { timeoutMs: 10_000 });
      if (result.code !== 0) continue;
      const text = result.stdout.toString();
      // The monitor runs the runtime by its path.
      const path = (await host.exec(['sh', '-c', 'command -v "$1"', 'which', binary])).stdout.toString().trim() || binary;
      const name = CANDIDATES.find((c) => binary.endsWith(c) || text.toLowerCase().startsWith(c)) ?? 'runc';
      const version = /version\s+(\S+)/i.exec(text)?.[1] ?? 'unknown';
      await host.mkdir(root);
      return new RuntimeCli(host, name, path, version, root);
    }
    throw configured
      ? new BerthError('RUNTIME_MISSING', `OCI runtime "${configured}" not found or not runnable`, { fix: 'check BERTH_RUNTIME' })
      : new BerthError('RUNTIME_MISSING', 'no OCI runtime found', { fix: 'install runc (apt-get install runc), youki or crun' });
  }

  /** Starts a created container's process (the monitor created it). */
  async start(id: string): Promise<void> {
    await execChecked(this.host, [this.binary, '--root', this.root, 'start', id], 'RUNTIME_ERROR');
  }

  /**
   * argv that runs a command in the running container, in the foreground: its exit status is the
   * command's. With `tty` the runtime bridges the pty it is given on its own stdio.
   */
  execArgv(id: string, command: string[], options: ExecArgvOptions): string[] {
    const env = options.env.flatMap((pair) => ['--env', pair]);
    const cwd = options.cwd ? ['--cwd', options.cwd] : [];
    return [this.binary, '--root', this.root, 'exec', ...(options.tty ? ['-t'] : []), ...env, ...cwd, id, ...command];
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const result = await this.host.exec([this.binary, '--root', this.root, 'state', id]);
    if (result.code !== 0) return undefined;
    const parsed = JSON.parse(result.stdout.toString()) as { status: RuntimeState['status']; pid: number };
    return { status: parsed.status, pid: parsed.pid };
  }

  /** Signals the container's init; `all` reaches every process in it. A container already gone (or ended) is not an error. */
  async kill(id: string, signal: number, all = false): Promise<void> {
    const argv = [this.binary, '--root', this.root, 'kill', ...(all ? ['--all'] : []), id, String(signal)];
    const result = await this.host.exec(argv);
    if (result.code !== 0 && ((await this.state(id))?.status ?? 'stopped') !== 'stopped') {
      throw new BerthError('RUNTIME_ERROR', `${this.name} kill ${id}: ${result.stderr.toString().trim()}`);
    }
  }

  /** Removes the runtime's record of the container; idempotent. */
  async delete(id: string): Promise<void> {
    await this.host.exec([this.binary, '--root', this.root, 'delete', '--force', id]);
  }

  /** Lists the ids the runtime knows, so the engine can find containers a crashed engine left. */
  async list(): Promise<string[]> {
    const result = await execChecked(this.host, [this.binary, '--root', this.root, 'list', '--format', 'json'], 'RUNTIME_ERROR');
    const parsed = JSON.parse(result.stdout.toString() || 'null') as { id: string }[] | null;
    return (parsed ?? []).map((c) => c.id);
  }
}
