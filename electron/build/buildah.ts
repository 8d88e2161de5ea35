import { BerthError } from '../../shared/berth-error.js';
import type { ExecResult, Host, HostProcess } from '../host/host.js';

/**
 * Names without a registry resolve as Docker resolves them. Buildah never pulls here (the engine
 * gives it every base image from its own store), so this only decides what `FROM hello` means.
 */
const REGISTRIES_CONF = 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n';

/**
 * buildah (Podman's image builder) as Berth runs it, where Linux runs: its own storage, run state,
 * registries file and temporary files under `<dataRoot>/build`, never the system's
 * /var/lib/containers or /var/tmp; RUN steps in a chroot (no second runtime set-up per step).
 */
export class Buildah {
  readonly dir: string;
  private ready: Promise<void> | undefined;

  constructor(private readonly host: Host) {
    this.dir = `${host.dataRoot}/build`;
  }

  /** Its images and layers: the build cache. */
  get storage(): string {
    return `${this.dir}/storage`;
  }

  /** Runs buildah to completion. */
  async exec(args: string[], input?: string): Promise<ExecResult> {
    await this.prepare();
    return this.host.exec(this.argv(args), { input, timeoutMs: 10 * 60_000 });
  }

  /** Starts buildah with its output streamed. */
  async spawn(args: string[]): Promise<HostProcess> {
    await this.prepare();
    return this.host.spawn(this.argv(args));
  }

  /** buildah's words for a failure: its last line that says error, or its last line. */
  static said(result: Pick<ExecResult, 'stderr' | 'stdout'>): string {
    const lines = `${result.stdout.toString()}\n${result.stderr.toString()}`.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    return [...lines].reverse().find((line) => /error/i.test(line)) ?? lines.at(-1) ?? 'no message';
  }

  private argv(args: string[]): string[] {
    return [
      // Never a registry's credentials: buildah talks to none (and fails on a DOCKER_CONFIG without a config.json).
      'env', '-u', 'DOCKER_CONFIG', '-u', 'REGISTRY_AUTH_FILE', `TMPDIR=${this.dir}/tmp`, `CONTAINERS_REGISTRIES_CONF=${this.dir}/registries.conf`, 'BUILDAH_ISOLATION=chroot',
      'buildah', '--root', this.storage, '--runroot', `${this.dir}/run`, '--storage-driver', 'overlay', ...args,
    ];
  }

  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      const found = await this.host.exec(['sh', '-c', 'command -v buildah']);
      if (found.code !== 0) {
        throw new BerthError('RUNTIME_MISSING', 'building images needs buildah on the Linux side, and it is not there', {
          fix: this.host.kind === 'local' ? 'install it: apt-get install buildah' : 'update Berth: its Linux distro of this version has no buildah',
        });
      }
      await this.host.mkdir(`${this.dir}/tmp`);
      await this.host.writeFile(`${this.dir}/registries.conf`, REGISTRIES_CONF);
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }
}
