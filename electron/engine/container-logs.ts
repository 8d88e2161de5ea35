import type { Container } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import { bundlePaths } from '../runtime/bundle.js';
import { followLog, readLog, rotateLog, type LogLimits } from '../runtime/container-log.js';

const ROTATE_EVERY_MS = 2_000;
/** After the container exits, how long the follower may still deliver its last bytes. */
const DRAIN_MS = 300;

export interface LogSource {
  running(): Container[];
  whenExited(id: string): Promise<void>;
}

/** Serves `logs` (tail and follow) and keeps running containers' logs within their size cap. */
export class ContainerLogs {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: Host,
    private readonly limits: LogLimits,
    private readonly source: LogSource,
  ) {
    this.timer = setInterval(() => void this.rotateAll(), ROTATE_EVERY_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  async stream(
    container: Container,
    options: { tail: number | undefined; follow: boolean },
    onData: (data: Buffer) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = bundlePaths(this.host.dataRoot, container.id).log;
    const past = await readLog(this.host, path, this.limits, options.tail);
    if (past.length > 0) onData(past);
    if (!options.follow || container.state.status !== 'running' || signal.aborted) return;
    const follower = followLog(this.host, path);
    follower.stdout?.on('data', (chunk: Buffer) => onData(chunk));
    const stop = () => follower.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    void this.source.whenExited(container.id).then(() => setTimeout(stop, DRAIN_MS));
    await follower.exited;
    signal.removeEventListener('abort', stop);
  }

  private async rotateAll(): Promise<void> {
    for (const container of this.source.running()) {
      await rotateLog(this.host, bundlePaths(this.host.dataRoot, container.id).log, this.limits).catch(() => {});
    }
  }
}
