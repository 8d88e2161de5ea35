/** A process running on a pseudo-terminal, seen as bytes. */
export interface PtyProcess {
  onData(listener: (data: Buffer) => void): void;
  /** The exit code, 128+n when a signal ended it. */
  onExit(listener: (exitCode: number) => void): void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Stops reading the pty: the program blocks once the buffers on the way fill. */
  pause(): void;
  resume(): void;
  kill(signal?: NodeJS.Signals): void;
}
