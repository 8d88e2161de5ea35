import { writeSync } from 'node:fs';
import { spawn, type IPty } from 'node-pty';
import { BerthError } from '../../shared/berth-error.js';
import type { PtyLauncher, PtyOptions, PtyProcess } from './pty-launcher.js';

/** Runs argv on a pty of this machine (node-pty), as raw bytes. */
export class LocalPtyLauncher implements PtyLauncher {
  launch(argv: string[], options: PtyOptions): PtyProcess {
    const [file, ...args] = argv;
    if (!file) throw new BerthError('INVALID_ARGUMENT', 'empty command');
    // encoding null: output arrives as Buffers, so bytes pass through undecoded.
    const pty = spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, encoding: null, env: process.env as Record<string, string> });
    return {
      onData: (listener) => {
        pty.onData((data) => listener(data as unknown as Buffer));
      },
      onExit: (listener) => {
        pty.onExit(({ exitCode, signal }) => listener(signal ? 128 + signal : exitCode));
      },
      write: directWriter(pty),
      resize: (cols, rows) => pty.resize(cols, rows),
      pause: () => pty.pause(),
      resume: () => pty.resume(),
      kill: (signal = 'SIGHUP') => {
        try {
          pty.kill(signal);
        } catch {
          // Already gone.
        }
      },
    };
  }
}

/**
 * node-pty queues every write for the thread pool, a hop that shows in keystroke latency. Writing
 * straight to the (non-blocking) master is immediate; what the kernel cannot take yet waits in our
 * own queue, so bytes stay in order.
 */
function directWriter(pty: IPty): (data: Buffer) => void {
  const fd = (pty as unknown as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return (data) => pty.write(data);
  const queue: Buffer[] = [];
  let retry: NodeJS.Immediate | undefined;
  const drain = () => {
    retry = undefined;
    while (queue.length > 0) {
      const next = queue[0]!;
      let written: number;
      try {
        written = writeSync(fd, next);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') retry = setImmediate(drain);
        // Any other error: the pty is gone, and its exit is reported on its own.
        else queue.length = 0;
        return;
      }
      if (written >= next.length) queue.shift();
      else queue[0] = next.subarray(written);
    }
  };
  pty.onExit(() => {
    if (retry) clearImmediate(retry);
    queue.length = 0;
  });
  return (data) => {
    if (data.length === 0) return;
    queue.push(data);
    if (queue.length === 1 && !retry) drain();
  };
}
