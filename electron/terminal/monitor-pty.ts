import { randomBytes } from 'node:crypto';
import type { LogStream } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import { AttachConnection } from '../runtime/attach-agent.js';
import { bundlePaths, execPaths } from '../runtime/bundle.js';
import { execMonitorArgv } from '../runtime/monitor.js';
import { execProcess, type OciSpec } from '../runtime/oci-spec.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import type { PtyProcess } from './pty-process.js';

type Output = (stream: LogStream, data: Buffer) => void;

/**
 * A process on a pty that conmon holds, seen as a PtyProcess so a terminal session can own it:
 * scrollback, flow control, many readers. `open` connects; `exitCode` is asked once the connection
 * has ended by itself; `end` is what killing it means.
 */
async function monitorPty(open: (onOutput: Output) => AttachConnection, exitCode: (connection: AttachConnection) => Promise<number>, end: (connection: AttachConnection, signal: NodeJS.Signals) => void): Promise<PtyProcess> {
  const dataListeners: ((data: Buffer) => void)[] = [];
  const exitListeners: ((code: number) => void)[] = [];
  const connection = open((_stream, data) => {
    for (const listener of dataListeners) listener(data);
  });
  await connection.connected;
  void connection.exited.then(async () => {
    const code = await exitCode(connection);
    for (const listener of exitListeners) listener(code);
  });
  return {
    onData: (listener) => dataListeners.push(listener),
    onExit: (listener) => exitListeners.push(listener),
    write: (data) => connection.write(data),
    resize: (cols, rows) => connection.resize(cols, rows),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
    kill: (signal = 'SIGHUP') => end(connection, signal),
  };
}

/**
 * A container's main process on the pty conmon holds for it (a container started with -t). Ending it
 * detaches; the container runs on. Resolves once connected, so nothing the process writes from then
 * on is missed.
 */
export function attachMainProcess(host: Host, containerId: string, exitCode: () => Promise<number>): Promise<PtyProcess> {
  let detached = false;
  return monitorPty(
    (onOutput) => AttachConnection.open(host, containerId, onOutput),
    // Gone by itself: the container ended, and its code is the session's. Detached: it runs on.
    () => (detached ? Promise.resolve(0) : exitCode()),
    (connection) => {
      detached = true;
      connection.close();
    },
  );
}

export interface ExecOnTerminal {
  containerId: string;
  command: string[];
  /** Added over the container's environment. */
  env: string[];
  cols: number;
  rows: number;
}

/**
 * `command` run in a running container on a terminal that conmon holds (Docker's `exec -it`): the
 * container's own user, directory and environment, started at the client's size. Killing it signals
 * the process; its exit code is the session's.
 */
export async function execOnTerminal(host: Host, runtime: RuntimeCli, request: ExecOnTerminal): Promise<PtyProcess> {
  const { containerId } = request;
  const spec = JSON.parse((await host.readFile(bundlePaths(host.dataRoot, containerId).config)).toString()) as OciSpec;
  const process = execProcess(spec.process, request.command, request.env, request);
  const execId = randomBytes(8).toString('hex');
  const paths = execPaths(host.dataRoot, containerId, execId);
  return monitorPty(
    (onOutput) => AttachConnection.exec(host, paths, process, execMonitorArgv(host, runtime, containerId, execId, paths), onOutput),
    (connection) => connection.exited,
    (connection, signal) => connection.signal(signal),
  );
}
