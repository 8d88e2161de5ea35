import type { DockerAccess as DockerAccessInfo } from '../../shared/docker-access.js';
import { CONTEXT_NAME, DockerContext } from './docker-context.js';
import { SocketLink } from './socket-link.js';

export interface DockerAccessOptions {
  /** The endpoint Docker's API is served on, and the same as a DOCKER_HOST value. */
  endpoint: string;
  dockerHost: string;
  /** The docker CLI's config folder. */
  configDir: string;
  /** The well-known socket path, and whether a link there makes sense (a Linux host). */
  linkPath: string;
  linkSupported: boolean;
}

/** How Docker's clients find Berth: its context in the docker CLI's store, and the opt-in socket link. */
export class DockerAccess {
  private readonly context: DockerContext;
  private readonly socketLink: SocketLink;

  constructor(private readonly options: DockerAccessOptions) {
    this.context = new DockerContext(options.configDir, options.dockerHost);
    this.socketLink = new SocketLink(options.linkPath, options.endpoint, options.linkSupported);
  }

  /** At each start: the context points at this engine, and is the current one if the user chose so. */
  async open(current: boolean): Promise<void> {
    await this.context.write();
    await this.context.setCurrent(current);
  }

  setCurrent(current: boolean): Promise<void> {
    return this.context.setCurrent(current);
  }

  async link(linked: boolean): Promise<DockerAccessInfo> {
    if (linked) await this.socketLink.link();
    else await this.socketLink.unlink();
    return this.status();
  }

  async status(): Promise<DockerAccessInfo> {
    return {
      endpoint: this.options.endpoint,
      dockerHost: this.options.dockerHost,
      context: { name: CONTEXT_NAME, current: await this.context.isCurrent() },
      link: { path: this.socketLink.path, state: await this.socketLink.state() },
    };
  }
}
