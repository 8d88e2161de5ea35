import type { Host } from '../host/host.js';
import { AttachConnection } from '../runtime/attach-agent.js';
import { attachSocketPath, bundlePaths } from '../runtime/bundle.js';
import type { PtyProcess } from './pty-launcher.js';

/**
 * A container's main process on the pty conmon holds for it (a container started with -t), seen as
 * a PtyProcess so a terminal session can own it as it owns an exec shell: scrollback, flow control,
 * many readers. Ending it detaches; the container runs on.
 */
/** Resolves once connected, so nothing the process writes from then on is missed. */
export async function attachMainProcess(host: Host, containerId: string, exitCode: () => Promise<number>): Promise<PtyProcess> {
  const dataListeners: ((data: Buffer) => void)[] = [];
  const exitListeners: ((code: number) => void)[] = [];
  const connection = AttachConnection.open(host, attachSocketPath(host.dataRoot, containerId), bundlePaths(host.dataRoot, containerId).ctl, (_stream, data) => {
    for (const listener of dataListeners) listener(data);
  });
  await connection.connected;
  let detached = false;
  void connection.exited.then(async () => {
    // Gone by itself: the container ended, and its code is the session's. Detached: it runs on.
    const code = detached ? 0 : await exitCode();
    for (const listener of exitListeners) listener(code);
  });
  return {
    onData: (listener) => dataListeners.push(listener),
    onExit: (listener) => exitListeners.push(listener),
    write: (data) => connection.write(data),
    resize: (cols, rows) => connection.resize(cols, rows),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
    kill: () => {
      detached = true;
      connection.close();
    },
  };
}
