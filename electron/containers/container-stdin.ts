import { BerthError } from '../../shared/berth-error.js';
import type { Container } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import { AttachConnection } from '../runtime/attach-agent.js';

/**
 * The stdin of containers started with -i and no terminal (a terminal's input goes through its
 * session): the engine holds one attach connection to each, from before the process runs, and writes
 * what clients send into it. The output on it is not read here; conmon's log has it.
 */
export class ContainerStdin {
  private readonly connections = new Map<string, AttachConnection>();

  constructor(private readonly host: Host) {}

  /** Connects to the container's monitor; the connection goes by itself when the container ends. */
  async connect(containerId: string): Promise<void> {
    if (this.connections.has(containerId)) return;
    const connection = AttachConnection.open(this.host, containerId, () => {});
    await connection.connected;
    this.connections.set(containerId, connection);
    void connection.exited.then(() => {
      if (this.connections.get(containerId) === connection) this.connections.delete(containerId);
    });
  }

  /**
   * Writes `data`; resolves once the agent has taken it, so a fast client cannot grow the engine. The
   * end of a client's input closes the process's stdin only with StdinOnce (`run -i` in the
   * foreground); otherwise it stays open for the next client, as in Docker.
   */
  async write(container: Container, data: Buffer, end: boolean): Promise<void> {
    const connection = this.connections.get(container.id);
    if (!connection) throw new BerthError('INVALID_ARGUMENT', `container ${container.name} has no open stdin`, { fix: 'start it with -i (and without -t)' });
    if (data.length > 0 && !connection.write(data)) await connection.drained();
    if (end) this.clientGone(container);
  }

  /** The client that held the stdin is done with it (or gone): with StdinOnce the process's stdin closes, as Docker's. */
  clientGone(container: Container): void {
    if (container.spec.stdinOnce) this.connections.get(container.id)?.endInput();
  }

  /** The engine is closing: the connections go, the containers run on (with StdinOnce their stdin closes). */
  closeAll(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
