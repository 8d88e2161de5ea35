import { randomBytes } from 'node:crypto';
import type { LogStream } from '../../shared/containers.js';
import type { Host, HostProcess } from '../host/host.js';
import { AttachConnection, attachAgentArgv, execAgentArgv, type AgentMode } from '../runtime/attach-agent.js';
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
  const dataListeners: ((data: Buffer, notice: boolean) => void)[] = [];
  const exitListeners: ((code: number) => void)[] = [];
  // A terminal has one stream, stdout: what comes as stderr is the agent's own word.
  const connection = open((stream, data) => {
    for (const listener of dataListeners) listener(data, stream === 'stderr');
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
    start: () => connection.start(),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
    kill: (signal = 'SIGHUP') => end(connection, signal),
  };
}

/** What starts a terminal's agent: how it joins conmon, and its Linux argv. */
export interface AgentCommand {
  mode: AgentMode;
  argv: string[];
  /** A held exec's: conmon's attach socket, for the client of its own that the start waits for. */
  attachSocket?: string;
}

/** The agent for a container's main process on the pty conmon holds for it (a container started with -t). */
export function mainProcessAgent(host: Host, containerId: string): AgentCommand {
  return { mode: 'attach', argv: attachAgentArgv(host.dataRoot, containerId) };
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
 * The agent for `command` run in a running container on a terminal that conmon holds (Docker's
 * `exec -it`): the container's own user, directory and environment, started at the client's size.
 * `held`: the process starts only on the session's `start`, once a client of conmon's socket of its
 * own is connected.
 */
export async function execAgent(host: Host, runtime: RuntimeCli, request: ExecOnTerminal, held: boolean): Promise<AgentCommand> {
  const { containerId } = request;
  const spec = JSON.parse((await host.readFile(bundlePaths(host.dataRoot, containerId).config)).toString()) as OciSpec;
  const process = execProcess(spec.process, request.command, request.env, request);
  const execId = randomBytes(8).toString('hex');
  const paths = execPaths(host.dataRoot, containerId, execId);
  const argv = execAgentArgv(paths, process, execMonitorArgv(host, runtime, containerId, execId, paths), held);
  return held ? { mode: 'exec', argv, attachSocket: paths.attachSocket } : { mode: 'exec', argv };
}

/**
 * A started agent as the PtyProcess of a terminal session; resolves once it is connected, so nothing
 * the process writes from then on is missed. An exec's code is its process's, and killing it signals
 * the process. Killing a main process's detaches (the container runs on); when it ends by itself the
 * container has ended, and `mainExitCode` says with what.
 */
export function agentPty(mode: AgentMode, agent: HostProcess, mainExitCode: () => Promise<number>): Promise<PtyProcess> {
  const open = (onOutput: Output) => AttachConnection.over(mode, agent, onOutput);
  if (mode === 'exec') {
    return monitorPty(open, (connection) => connection.exited, (connection, signal) => connection.signal(signal));
  }
  let detached = false;
  return monitorPty(
    open,
    () => (detached ? Promise.resolve(0) : mainExitCode()),
    (connection) => {
      detached = true;
      connection.close();
    },
  );
}
