import type { Duplex, Readable, Writable } from 'node:stream';
import type { PortMapping, PortProtocol } from '../../shared/ports.js';

/** Result of a command that ran to completion. */
export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Kill the command if it runs longer (a hang guard, not a tuning knob). */
  timeoutMs?: number;
  /** Stops the command when aborted: SIGTERM, and its stdin closed so whatever reads it sees the end. */
  signal?: AbortSignal;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * Start the command in its own session so it outlives the engine (a container supervisor).
   * Its stdio is detached; the returned process only reports exit while the engine lives.
   */
  detached?: boolean;
}

/** A running command with streamed stdio. */
export interface HostProcess {
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves with the exit code (128+n for a signal) once the command ends. */
  readonly exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

export interface FileStat {
  size: number;
  isDirectory: boolean;
  mtimeMs: number;
}

/** One published port's own forward: the relay connects to `port` for this host port and guest port. */
export interface PortForward {
  protocol: PortProtocol;
  hostPort: number;
  guestPort: number;
  port: number;
}

/**
 * Where the port relay connects for a container's published ports: an address, and there either
 * the container's own port (`guest`), or for each published port a forward of its own (in WSL,
 * the distro's DNAT on to the container: two containers behind one host port number on two host
 * addresses each have theirs).
 */
export type PortPath = { address: string; port: 'guest' } | { address: string; port: 'forward'; forwards: readonly PortForward[] };

/** The forward of one published port (its protocol, host port and guest port), if there is one. */
export function forwardOf(forwards: readonly PortForward[], { protocol, hostPort, guestPort }: Omit<PortForward, 'port'>): PortForward | undefined {
  return forwards.find((f) => f.protocol === protocol && f.hostPort === hostPort && f.guestPort === guestPort);
}

/** A UNIX socket listening on the Linux side; closing it removes its socket file. */
export interface UnixListener {
  close(): Promise<void>;
}

/**
 * Where Linux runs. The only seam that knows a local Linux host from a WSL2 distro:
 * everything above it speaks in Linux argv and Linux paths.
 */
export interface Host {
  readonly kind: 'local' | 'wsl';
  /** Folders the user names may be Windows paths (C:\Users\me, where the colon is no separator); linuxPath translates them. */
  readonly windowsPaths: boolean;
  /**
   * Linux is Berth's own (its WSL distro), not the user's machine: well-known paths there, such as
   * /var/run/docker.sock, are Berth's to set up, as Docker Desktop does in its VM.
   */
  readonly ownLinux: boolean;
  /** What the status line says once this host is ready. */
  readonly readyMessage: string;
  /** Root of Berth's data on the Linux side (layers, bundles, runtime state, logs). */
  readonly dataRoot: string;
  /** Run argv to completion. Never throws for a non-zero exit: the caller reads `code`. */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Start argv with streamed stdio. */
  spawn(argv: string[], options?: SpawnOptions): HostProcess;
  /**
   * argv as this machine starts it (behind wsl.exe's prefix on a WSL host), for another of Berth's
   * own processes to spawn with `spawnProcess` (the terminal host runs the engine's agents so).
   */
  commandLine(argv: string[]): string[];
  /** Stream bytes into argv's stdin (e.g. a layer into tar) and wait for it to finish. */
  pipeIn(argv: string[], input: Readable, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Where a folder the user names (a `-v` source) is on the Linux side: itself on Linux; in WSL a
   * Windows path C:\Users\me becomes /mnt/c/Users/me. Undefined when the path is not absolute.
   */
  linuxPath(path: string): string | undefined;
  readFile(path: string): Promise<Buffer>;
  /** At most the last `bytes` of a file; empty when the file is missing. */
  readTail(path: string, bytes: number): Promise<Buffer>;
  /** Writes atomically: readers see the old content or the new one, never a torn file. */
  writeFile(path: string, data: Buffer | string, mode?: number): Promise<void>;
  stat(path: string): Promise<FileStat | undefined>;
  /** A symlink's target; undefined when the path is not a symlink or does not exist. */
  readlink(path: string): Promise<string | undefined>;
  mkdir(path: string): Promise<void>;
  /** Removes a file or a tree; a missing path is not an error. */
  remove(path: string): Promise<void>;
  /**
   * Makes a container's published ports reachable from the engine's machine and says where the
   * relay connects: on Linux the container's own address; in WSL the VM's address, where the distro
   * has a forward of its own for each published port on to the container.
   */
  openPorts(containerAddress: string, mappings: readonly PortMapping[]): Promise<PortPath>;
  /** Undoes openPorts, given what it returned; idempotent. */
  closePorts(path: PortPath): Promise<void>;
  /**
   * Listens on a UNIX socket at a Linux path (made with `mode`); each connection arrives as a
   * stream that supports half-close. Fails if the path exists.
   */
  listenUnix(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener>;
  /** Connects to a UNIX socket at a Linux path (which may lead into a container through /proc/PID/root). */
  connectUnix(path: string): Promise<Duplex>;
  /** Ends what the host keeps running for the engine (not the containers). */
  close(): Promise<void>;
}
