import type { Container } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import { bundlePaths } from '../runtime/bundle.js';
import { followLog, readLog, type LogLimits } from '../runtime/container-log.js';

export interface LogSink {
  /** false: the reader is backed up; stop until `drained`. */
  write(data: Buffer): boolean;
  drained(): Promise<void>;
}

/** Serves `logs`: the stored output, and with follow the output as it is written. */
export class ContainerLogs {
  constructor(
    private readonly host: Host,
    private readonly limits: LogLimits,
    private readonly whenExited: (id: string) => Promise<void>,
  ) {}

  async stream(container: Container, options: { tail: number | undefined; follow: boolean }, sink: LogSink, signal: AbortSignal): Promise<void> {
    const paths = bundlePaths(this.host.dataRoot, container.id);
    const path = paths.log;
    if (!options.follow || container.state.status !== 'running') {
      const past = await readLog(this.host, path, this.limits, options.tail);
      if (past.length > 0) sink.write(past);
      return;
    }
    if (signal.aborted) return;
    // The follower ends by itself once the container's writer is done and everything is read.
    const follower = followLog(this.host, path, this.limits, paths.supervisorPidFile, options.tail);
    const stdout = follower.stdout;
    // A slow reader pauses the follower instead of growing the engine's memory.
    stdout?.on('data', (chunk: Buffer) => {
      if (sink.write(chunk)) return;
      stdout.pause();
      void sink.drained().then(() => stdout.resume());
    });
    const stop = () => follower.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    await follower.exited;
    signal.removeEventListener('abort', stop);
    // The output is complete; answer once the exit is recorded too, so `run` can report its code.
    if (!signal.aborted) await this.whenExited(container.id);
  }
}
