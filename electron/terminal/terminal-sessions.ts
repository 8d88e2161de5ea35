import { randomBytes } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';
import type { TerminalSession as SessionInfo } from '../../shared/terminals.js';
import type { Host } from '../host/host.js';
import { bundlePaths } from '../runtime/bundle.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import { secureJoin } from '../runtime/secure-join.js';
import { attachMainProcess, execOnTerminal } from './monitor-pty.js';
import type { PtyProcess } from './pty-process.js';
import { TerminalSession, type TerminalSink } from './terminal-session.js';

export interface TerminalSessionsDeps {
  host: Host;
  runtime: RuntimeCli;
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
}

const MAX_SESSIONS = 64;
const SCROLLBACK_BYTES = 2 * 1024 * 1024;
/** An ended session stays this long so a late attach still gets its last output and exit code. */
const ENDED_RETENTION_MS = 60_000;
/** A shell that ignores the hang-up is killed after this long. */
const HANGUP_GRACE_MS = 3_000;
/** Shells tried in order when the user names none. */
const SHELLS = ['/bin/bash', '/bin/sh'];

/** The engine's interactive sessions, keyed by id: shells exec'd on a terminal conmon holds, and main processes started with -t. */
export class TerminalSessions {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: TerminalSessionsDeps) {}

  /** Starts a shell in a running container (the caller has checked that it runs). */
  async open(request: OpenRequest): Promise<SessionInfo> {
    const limit = this.deps.maxSessions ?? MAX_SESSIONS;
    if (this.runningCount() >= limit) {
      throw new BerthError('INVALID_ARGUMENT', `too many terminal sessions (limit ${limit}): close one first`);
    }
    const command = request.command.length > 0 ? request.command : [await this.defaultShell(request.containerId)];
    // TERM is what the client's terminal emulates; images rarely set it.
    const pty = await execOnTerminal(this.deps.host, this.deps.runtime, { ...request, command, env: ['TERM=xterm-256color'] });
    return this.add(request.containerId, command, { cols: request.cols, rows: request.rows }, pty, false);
  }

  /**
   * The session of a container's main process, started with -t: the engine holds it from before the
   * process runs (so its first output is in the scrollback) until it ends. One per container.
   */
  async openMain(containerId: string, command: string[], exitCode: () => Promise<number>): Promise<SessionInfo> {
    const open = this.main(containerId);
    if (open) return open.info();
    const size = { cols: 80, rows: 24 };
    const pty = await attachMainProcess(this.deps.host, containerId, exitCode);
    pty.resize(size.cols, size.rows);
    return this.add(containerId, command, size, pty, true);
  }

  /** The running session of the container's main process, if it has one. */
  main(containerId: string): TerminalSession | undefined {
    return [...this.sessions.values()].find((s) => s.main && s.containerId === containerId && s.running);
  }

  private add(containerId: string, command: string[], size: { cols: number; rows: number }, pty: PtyProcess, main: boolean): SessionInfo {
    const id = randomBytes(12).toString('hex');
    const session = new TerminalSession(id, containerId, command, size, pty, this.deps.scrollbackBytes ?? SCROLLBACK_BYTES, main);
    this.sessions.set(id, session);
    void session.exited.then(() => {
      this.deps.changed(session.info());
      this.expiries.set(id, setTimeout(() => this.forget(id), ENDED_RETENTION_MS));
    });
    const info = session.info();
    this.deps.changed(info);
    return info;
  }

  attach(id: string, sink: TerminalSink, signal: AbortSignal): Promise<number | null> {
    return this.get(id).attach(sink, signal);
  }

  input(id: string, data: Buffer): void {
    const session = this.get(id);
    if (!session.running) throw new BerthError('INVALID_ARGUMENT', `terminal session ${id} has ended`);
    session.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).resize(cols, rows);
  }

  /** Hangs up the shell and forgets the session once it has ended. */
  async close(id: string): Promise<void> {
    const session = this.get(id);
    await this.end(session);
    this.forget(id);
  }

  list(containerId?: string): SessionInfo[] {
    return [...this.sessions.values()].filter((s) => containerId === undefined || s.containerId === containerId).map((s) => s.info());
  }

  /** The container stopped or went away: its shells end with it (its main process's session ends by itself, with its exit code). */
  async endContainer(containerId: string): Promise<void> {
    const ending = [...this.sessions.values()].filter((s) => s.containerId === containerId && s.running && !s.main);
    await Promise.all(ending.map((s) => this.end(s)));
  }

  /** Ends every session (the engine is closing). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.end(s)));
    for (const id of [...this.sessions.keys()]) this.forget(id);
  }

  /** For tests and the bench: the session object itself. */
  session(id: string): TerminalSession {
    return this.get(id);
  }

  private async end(session: TerminalSession): Promise<void> {
    if (!session.running) return;
    session.close();
    const timer = setTimeout(() => session.kill(), HANGUP_GRACE_MS);
    await session.exited;
    clearTimeout(timer);
  }

  private forget(id: string): void {
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    this.sessions.delete(id);
  }

  private get(id: string): TerminalSession {
    const session = this.sessions.get(id);
    if (!session) throw new BerthError('INVALID_ARGUMENT', `no such terminal session: ${id}`);
    return session;
  }

  private runningCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.running) count++;
    return count;
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
