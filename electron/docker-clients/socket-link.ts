import { lstat, readlink, rm, symlink } from 'node:fs/promises';
import type { DockerAccess } from '../../shared/docker-access.js';
import { BerthError } from '../../shared/berth-error.js';

export type LinkState = DockerAccess['link']['state'];

/**
 * The opt-in link at the well-known socket path (`/var/run/docker.sock`) to Berth's Docker socket,
 * for tools that ignore contexts and DOCKER_HOST. Only a link Berth made is ever replaced or removed:
 * a real Docker's socket, or anything else there, is left alone.
 */
export class SocketLink {
  constructor(
    readonly path: string,
    private readonly target: string,
    private readonly supported: boolean,
  ) {}

  async state(): Promise<LinkState> {
    if (!this.supported) return 'unsupported';
    try {
      const stat = await lstat(this.path);
      if (!stat.isSymbolicLink()) return 'taken';
      return (await readlink(this.path)) === this.target ? 'linked' : 'taken';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw err;
    }
  }

  async link(): Promise<void> {
    const state = await this.state();
    if (state === 'linked') return;
    if (state === 'unsupported') throw new BerthError('INVALID_ARGUMENT', `a link at ${this.path} is for Linux hosts`, { fix: 'point DOCKER_HOST at Berth, or use its docker context' });
    if (state === 'taken') throw new BerthError('INVALID_ARGUMENT', `${this.path} is already there and is not Berth's`, { fix: 'stop or remove what holds it (another Docker?) first, or use DOCKER_HOST' });
    try {
      await symlink(this.target, this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new BerthError('INVALID_ARGUMENT', `no permission to make ${this.path}`, { fix: `run once as root: sudo ln -s ${this.target} ${this.path}` });
      throw err;
    }
  }

  async unlink(): Promise<void> {
    if ((await this.state()) === 'linked') await rm(this.path);
  }
}
