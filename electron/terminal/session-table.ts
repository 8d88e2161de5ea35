import { BerthError } from '../../shared/berth-error.js';
import type { TerminalSession as SessionInfo } from '../../shared/terminals.js';
import { spawnProcess } from '../host/local/local-process.js';
import type { AgentMode } from '../runtime/attach-agent.js';
import { agentPty } from './monitor-pty.js';
import { TerminalSession, type ReaderOutput, type TerminalSink } from './terminal-session.js';

export interface SessionTableDeps {
  scrollbackBytes: number;
  /** A session started or ended. */
  changed(session: SessionInfo): void;
  resized(session: SessionInfo): void;
  forgotten(sessionId: string): void;
  /** A main process's agent ended by itself: the container's exit code. */
  mainExitCode(sessionId: string): Promise<number>;
  /** How long a held process waits for its client's stream before it is hung up (HELD_START_MS). */
  heldStartMs?: number;
}

/** An ended session stays this long so a late attach still gets its last output and exit code. */
const ENDED_RETENTION_MS = 60_000;
/** A shell that ignores the hang-up is killed after this long. */
const HANGUP_GRACE_MS = 3_000;
/** A held exec whose client has not opened its stream by then (it died, or was killed) is hung up. */
const HELD_START_MS = 30_000;

/** The terminal host's sessions, keyed by id: each an agent it started, its scrollback and its readers. */
export class SessionTable {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  /** Held sessions, each with the timer that hangs it up if no stream starts it. */
  private readonly held = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: SessionTableDeps) {}

  /**
   * Starts the agent (`commandLine`, as this machine runs it); resolves once it is connected. A `held`
   * exec's process starts with the first stream opened on it (`stream`).
   */
  async open(info: SessionInfo, mode: AgentMode, commandLine: string[], held: boolean): Promise<SessionInfo> {
    const pty = await agentPty(mode, spawnProcess(commandLine), () => this.deps.mainExitCode(info.id));
    // A main process has run at whatever size it had: it takes the session's now.
    if (info.main) pty.resize(info.cols, info.rows);
    const session = new TerminalSession(info.id, info.containerId, info.command, { cols: info.cols, rows: info.rows }, pty, this.deps.scrollbackBytes, info.main, info.created);
    this.sessions.set(info.id, session);
    if (held) this.held.set(info.id, setTimeout(() => void this.close(info.id).catch(() => {}), this.deps.heldStartMs ?? HELD_START_MS));
    void session.exited.then(() => {
      this.release(info.id);
      this.deps.changed(session.info());
      this.expiries.set(info.id, setTimeout(() => this.forget(info.id), ENDED_RETENTION_MS));
    });
    return session.info();
  }

  attach(id: string, sink: TerminalSink, signal: AbortSignal): Promise<number | null> {
    return this.get(id).attach(sink, signal);
  }

  /**
   * A client's stream: `attach`, and the start of the session's process if it was held for this
   * client, once the stream is subscribed so it misses nothing. `output` 'notices': the client reads
   * conmon's socket itself.
   */
  stream(id: string, sink: TerminalSink, signal: AbortSignal, output: ReaderOutput): Promise<number | null> {
    const session = this.get(id);
    const attached = session.attach(sink, signal, output);
    if (this.release(id)) session.start();
    return attached;
  }

  input(id: string, data: Buffer): void {
    const session = this.get(id);
    if (!session.running) throw new BerthError('INVALID_ARGUMENT', `terminal session ${id} has ended`);
    session.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    const session = this.get(id);
    session.resize(cols, rows);
    this.deps.resized(session.info());
  }

  /** Hangs up the shell and forgets the session once it has ended. */
  async close(id: string): Promise<void> {
    await this.end(this.get(id));
    this.forget(id);
  }

  /** The container stopped or went away: its shells end with it (its main process's session ends by itself, with its exit code). */
  async endContainer(containerId: string): Promise<void> {
    const ending = [...this.sessions.values()].filter((s) => s.containerId === containerId && s.running && !s.main);
    await Promise.all(ending.map((s) => this.end(s)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.end(s)));
    for (const id of [...this.sessions.keys()]) this.forget(id);
  }

  flow(id: string): { paused: boolean; pauses: number } {
    const session = this.get(id);
    return { paused: session.isPaused, pauses: session.pauses };
  }

  private async end(session: TerminalSession): Promise<void> {
    if (!session.running) return;
    session.close();
    const timer = setTimeout(() => session.kill(), HANGUP_GRACE_MS);
    await session.exited;
    clearTimeout(timer);
  }

  /** Whether the session was held (it is not any more). */
  private release(id: string): boolean {
    const timer = this.held.get(id);
    clearTimeout(timer);
    return this.held.delete(id);
  }

  private forget(id: string): void {
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    if (this.sessions.delete(id)) this.deps.forgotten(id);
  }

  private get(id: string): TerminalSession {
    const session = this.sessions.get(id);
    if (!session) throw new BerthError('INVALID_ARGUMENT', `no such terminal session: ${id}`);
    return session;
  }
}
