import type { Readable } from 'node:stream';
import type { ExecOutput } from '../../shared/terminals.js';
import type { Host } from '../host/host.js';
import { execExitCode } from '../runtime/exec-status.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';

export interface ExecSink {
  /** false: the reader is backed up; stop until `drained`. */
  write(item: ExecOutput): boolean;
  drained(): Promise<void>;
}

export interface ExecRequest {
  command: string[];
  env: string[];
  stdin?: string;
}

/** How much of the runtime's stderr is kept to recognise "command not found". */
const STDERR_TAIL_BYTES = 4096;
/** A command that ignores the forwarded SIGTERM after its caller left is killed after this long. */
const CANCEL_KILL_MS = 5_000;

/** Runs a command in a running container without a terminal (`exec` without -t), streaming stdout and stderr apart. */
export async function execInContainer(host: Host, runtime: RuntimeCli, id: string, request: ExecRequest, sink: ExecSink, signal: AbortSignal): Promise<number> {
  const child = host.spawn(runtime.execArgv(id, request.command, { tty: false, env: request.env }));
  let stderrTail = '';
  const relay = (stream: Readable | null, name: ExecOutput['stream']) => {
    stream?.on('data', (chunk: Buffer) => {
      if (name === 'stderr') stderrTail = (stderrTail + chunk.toString('latin1')).slice(-STDERR_TAIL_BYTES);
      if (sink.write({ stream: name, base64: chunk.toString('base64') })) return;
      // A slow reader holds the command back instead of growing the engine's memory.
      stream.pause();
      void sink.drained().then(() => stream.resume());
    });
  };
  relay(child.stdout, 'stdout');
  relay(child.stderr, 'stderr');
  child.stdin?.on('error', () => {});
  // Without input stdin is closed at once, so a command that reads it sees EOF rather than hanging.
  child.stdin?.end(request.stdin ?? '');
  let killTimer: NodeJS.Timeout | undefined;
  const cancel = () => {
    // The runtime forwards SIGTERM to the command; SIGKILL would only orphan it in the container.
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), CANCEL_KILL_MS);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const code = await child.exited;
    return execExitCode(code, stderrTail);
  } finally {
    signal.removeEventListener('abort', cancel);
    clearTimeout(killTimer);
  }
}
