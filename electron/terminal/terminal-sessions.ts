import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';
import type { OpenedTerminal, TerminalSession as SessionInfo } from '../../shared/terminals.js';
import type { Host } from '../host/host.js';
import { bundlePaths } from '../runtime/bundle.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import { secureJoin } from '../runtime/secure-join.js';
import { IpcChannel } from './ipc-channel.js';
import { execAgent, mainProcessAgent, type AgentCommand } from './monitor-pty.js';
import type { EngineCalls, EngineNotes, HostCalls, HostNotes } from './terminal-host-protocol.js';
import type { TerminalSink } from './terminal-session.js';

export interface TerminalSessionsDeps {
  host: Host;
  runtime: RuntimeCli;
  /** The terminal host's script (electron/terminal-host.ts, compiled). */
  hostScript: string;
  /** Where the terminal host serves sessions' streams. */
  socketPath: string;
  /** Told when a session starts and when it ends. */
  changed(session: SessionInfo): void;
  maxSessions?: number;
  scrollbackBytes?: number;
}

export interface OpenRequest {
  containerId: string;
  /** Empty: the container's own shell. */
  command: string[];
  cols: number;
  rows: number;
  /** The caller would connect to conmon's attach socket itself (see OpenedTerminal). */
  direct: boolean;
}

const MAX_SESSIONS = 64;
const SCROLLBACK_BYTES = 2 * 1024 * 1024;
/** Shells tried in order when the user names none. */
const SHELLS = ['/bin/bash', '/bin/sh'];
/**
 * V8 flags of the terminal host: its baseline compiler only. Its work is moving small buffers between
 * system calls, which the optimising compilers barely speed up, while their jobs, on a machine with
 * two CPUs, are what kept a woken agent or conmon waiting for a CPU: the cold keystroke tail
 * (docs/benchmarks.md).
 */
const HOST_V8_FLAGS = ['--max-opt=1'];
const HOST_START_TIMEOUT_MS = 20_000;

type Channel = IpcChannel<HostCalls, HostNotes, EngineCalls, EngineNotes>;

/**
 * The engine's interactive sessions: shells exec'd on a terminal conmon holds, and main processes
 * started with -t. The engine decides what runs (the agent's command line, limits, the shell);
 * a terminal host process holds the sessions themselves, so keystrokes and output never wait on the
 * engine's own work. It is started with the first session and ends with the engine.
 */
export class TerminalSessions {
  /** What the host has said of each session it holds. */
  private readonly sessions = new Map<string, SessionInfo>();
  private readonly mainExitCodes = new Map<string, () => Promise<number>>();
  private readonly streams = new Map<number, (data: Buffer) => void>();
  private nextStream = 1;
  private host: Promise<{ child: ChildProcess; channel: Channel }> | undefined;
  /** The host once it serves, until it goes. */
  private running: { child: ChildProcess; channel: Channel } | undefined;

  constructor(private readonly deps: TerminalSessionsDeps) {}

  /**
   * Starts a shell in a running container (the caller has checked that it runs). A `direct` one is
   * held for its client when conmon's socket is on this machine, as on the local host; through
   * wsl.exe it is not, and the session starts at once for a relayed stream.
   */
  async open(request: OpenRequest): Promise<OpenedTerminal> {
    const limit = this.deps.maxSessions ?? MAX_SESSIONS;
    if (this.runningCount() >= limit) {
      throw new BerthError('INVALID_ARGUMENT', `too many terminal sessions (limit ${limit}): close one first`);
    }
    const command = request.command.length > 0 ? request.command : [await this.defaultShell(request.containerId)];
    // TERM is what the client's terminal emulates; images rarely set it.
    const held = request.direct && this.deps.host.kind === 'local';
    const agent = await execAgent(this.deps.host, this.deps.runtime, { ...request, command, env: ['TERM=xterm-256color'] }, held);
    const session = await this.start(request.containerId, command, { cols: request.cols, rows: request.rows }, agent, false);
    return agent.attachSocket ? { ...session, attachSocket: agent.attachSocket } : session;
  }

  /**
   * The session of a container's main process, started with -t: the engine holds it from before the
   * process runs (so its first output is in the scrollback) until it ends. One per container.
   */
  async openMain(containerId: string, command: string[], exitCode: () => Promise<number>): Promise<SessionInfo> {
    const open = [...this.sessions.values()].find((s) => s.main && s.containerId === containerId && s.exitCode === null);
    if (open) return open;
    return this.start(containerId, command, { cols: 80, rows: 24 }, mainProcessAgent(this.deps.host, containerId), true, exitCode);
  }

  private async start(containerId: string, command: string[], size: { cols: number; rows: number }, agent: AgentCommand, main: boolean, exitCode?: () => Promise<number>): Promise<SessionInfo> {
    const { channel } = await this.started();
    const id = randomBytes(12).toString('hex');
    if (exitCode) this.mainExitCodes.set(id, exitCode);
    const session: SessionInfo = { id, containerId, command, ...size, exitCode: null, main, created: new Date().toISOString() };
    try {
      const info = await channel.call('open', { session, mode: agent.mode, commandLine: this.deps.host.commandLine(agent.argv), held: agent.attachSocket !== undefined });
      // It may have ended, and said so, before this answer came.
      if (!this.sessions.has(id)) {
        this.sessions.set(id, info);
        this.deps.changed(info);
      }
      return info;
    } catch (error) {
      this.mainExitCodes.delete(id);
      throw error;
    }
  }

  async attach(id: string, sink: TerminalSink, signal: AbortSignal): Promise<number | null> {
    const channel = this.holder(id);
    const stream = this.nextStream++;
    // Output is acknowledged once the sink has taken it: the host sends no more than its window ahead.
    this.streams.set(stream, (data) => {
      if (sink.write(data)) channel.notify('ack', { stream, bytes: data.length });
      else void sink.drained().then(() => channel.notify('ack', { stream, bytes: data.length }));
    });
    const detach = () => channel.notify('detach', { stream });
    signal.addEventListener('abort', detach, { once: true });
    try {
      if (signal.aborted) return null;
      return (await channel.call('attach', { sessionId: id, stream })).exitCode;
    } finally {
      signal.removeEventListener('abort', detach);
      this.streams.delete(stream);
    }
  }

  input(id: string, data: Buffer): void {
    const channel = this.holder(id);
    if (this.get(id).exitCode !== null) throw new BerthError('INVALID_ARGUMENT', `terminal session ${id} has ended`);
    channel.notify('input', { sessionId: id, data });
  }

  resize(id: string, cols: number, rows: number): void {
    this.holder(id).notify('resize', { sessionId: id, cols, rows });
  }

  /** Hangs up the shell and forgets the session once it has ended. */
  async close(id: string): Promise<void> {
    await this.holder(id).call('close', { sessionId: id });
  }

  list(containerId?: string): SessionInfo[] {
    return [...this.sessions.values()].filter((s) => containerId === undefined || s.containerId === containerId);
  }

  /** The container stopped or went away: its shells end with it (its main process's session ends by itself, with its exit code). */
  async endContainer(containerId: string): Promise<void> {
    const shell = this.list(containerId).find((s) => !s.main && s.exitCode === null);
    if (shell) await this.holder(shell.id).call('endContainer', { containerId });
  }

  /** Ends every session and the terminal host (the engine is closing). */
  async closeAll(): Promise<void> {
    const host = await this.host?.catch(() => undefined);
    if (!host) return;
    const { child, channel } = host;
    await channel.call('closeAll', null).catch(() => {});
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    await gone;
  }

  /** Whether a session's pty is paused for back-pressure, and how often it was (tests and the bench). */
  async flow(id: string): Promise<{ paused: boolean; pauses: number }> {
    return this.holder(id).call('flow', { sessionId: id });
  }

  /** The terminal host's process id, while it runs (tests measure its memory). */
  hostPid(): number | undefined {
    return this.running?.child.pid;
  }

  /** The channel to the host holding session `id`: it runs whenever the engine knows of a session. */
  private holder(id: string): Channel {
    this.get(id);
    if (!this.running) throw new BerthError('INTERNAL', 'the terminal host went away');
    return this.running.channel;
  }

  private started(): Promise<{ child: ChildProcess; channel: Channel }> {
    this.host ??= this.fork().catch((error: unknown) => {
      this.host = undefined;
      throw error;
    });
    return this.host;
  }

  private async fork(): Promise<{ child: ChildProcess; channel: Channel }> {
    const { hostScript, socketPath } = this.deps;
    const child = fork(hostScript, [socketPath, String(this.deps.scrollbackBytes ?? SCROLLBACK_BYTES)], {
      execArgv: HOST_V8_FLAGS,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const channel: Channel = new IpcChannel<HostCalls, HostNotes, EngineCalls, EngineNotes>(
      { send: (message: Serializable) => child.send(message), on: (event: 'message' | 'disconnect', listener: (message: Serializable) => void) => child.on(event, listener) },
      {
        mainExitCode: ({ sessionId }) => this.mainExitCodes.get(sessionId)?.() ?? Promise.resolve(0),
      },
      {
        ready,
        changed: ({ session }) => this.update(session, true),
        resized: ({ session }) => this.update(session, false),
        forgotten: ({ sessionId }) => {
          this.sessions.delete(sessionId);
          this.mainExitCodes.delete(sessionId);
        },
        output: ({ stream, data }) => this.streams.get(stream)?.(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
      },
      () => this.hostGone(),
    );
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new BerthError('INTERNAL', `the terminal host exited (code ${code}) before it was ready`, { fix: 'run `npm run build`' }))));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BerthError('INTERNAL', 'the terminal host did not start')), HOST_START_TIMEOUT_MS)));
    try {
      await Promise.race([isReady, exited, late]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
    exited.catch(() => {});
    this.running = { child, channel };
    return this.running;
  }

  private update(session: SessionInfo, announce: boolean): void {
    // A start is announced by `start`, once the host has answered.
    if (!this.sessions.has(session.id) && session.exitCode === null) return;
    this.sessions.set(session.id, session);
    if (announce) this.deps.changed(session);
  }

  /** The host went away (the engine closed it, or it crashed): its sessions are over. */
  private hostGone(): void {
    this.host = undefined;
    this.running = undefined;
    for (const session of this.sessions.values()) {
      if (session.exitCode === null) this.deps.changed({ ...session, exitCode: 255 });
    }
    this.sessions.clear();
    this.mainExitCodes.clear();
  }

  private get(id: string): SessionInfo {
    const session = this.sessions.get(id);
    if (!session) throw new BerthError('INVALID_ARGUMENT', `no such terminal session: ${id}`);
    return session;
  }

  private runningCount(): number {
    return this.list().filter((s) => s.exitCode === null).length;
  }

  /** The first of SHELLS the container has, resolved inside its rootfs so an image's symlinks cannot point outside it. */
  private async defaultShell(containerId: string): Promise<string> {
    const { host } = this.deps;
    const rootfs = bundlePaths(host.dataRoot, containerId).rootfs;
    for (const shell of SHELLS) {
      const path = await secureJoin(rootfs, shell, (p) => host.readlink(p));
      const stat = await host.stat(path);
      if (stat && !stat.isDirectory) return shell;
    }
    throw new BerthError('INVALID_ARGUMENT', `the container has no shell (${SHELLS.join(', ')}): name a command to run`);
  }
}
