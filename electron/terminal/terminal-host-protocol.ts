import type { TerminalSession as SessionInfo } from '../../shared/terminals.js';
import type { AgentMode } from '../runtime/attach-agent.js';

/** The engine's calls to the terminal host. */
export type HostCalls = {
  /** Starts the session's agent (`commandLine`, as this machine runs it) and holds the session; a `held` exec's process starts with its first stream. */
  open: { params: { session: SessionInfo; mode: AgentMode; commandLine: string[]; held: boolean }; result: SessionInfo };
  /** Streams the session's output as `output` notes of `stream` until it ends (its code) or is detached (null). */
  attach: { params: { sessionId: string; stream: number }; result: { exitCode: number | null } };
  /** Hangs the shell up and forgets the session once it has ended. */
  close: { params: { sessionId: string }; result: null };
  /** The container stopped: its shells end with it. */
  endContainer: { params: { containerId: string }; result: null };
  closeAll: { params: null; result: null };
  /** Whether the session's pty is paused for back-pressure, and how often it was (tests, the bench). */
  flow: { params: { sessionId: string }; result: { paused: boolean; pauses: number } };
};

/** The engine's notes to the terminal host. */
export type HostNotes = {
  input: { sessionId: string; data: Uint8Array };
  resize: { sessionId: string; cols: number; rows: number };
  detach: { stream: number };
  /** The engine has passed on `bytes` of a stream's output: the host may send that much more. */
  ack: { stream: number; bytes: number };
};

/** The terminal host's calls to the engine. */
export type EngineCalls = {
  /** A main process's agent ended by itself: the container has ended, and this is its exit code. */
  mainExitCode: { params: { sessionId: string }; result: number };
};

/** The terminal host's notes to the engine. */
export type EngineNotes = {
  /** The host is serving its socket. */
  ready: null;
  /** A session started or ended. */
  changed: { session: SessionInfo };
  /** A session's size changed (by the engine or by a client of the host's socket). */
  resized: { session: SessionInfo };
  /** An ended session is gone for good. */
  forgotten: { sessionId: string };
  output: { stream: number; data: Uint8Array };
};

/** How much of one attach's output may be in flight to the engine before the host waits for acks. */
export const ATTACH_WINDOW_BYTES = 1024 * 1024;
