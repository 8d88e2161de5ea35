/** A process running on a pseudo-terminal, seen as bytes. */
export interface PtyProcess {
  /** `notice`: said by Berth's agent (the runtime could not start the process), not by the process. */
  onData(listener: (data: Buffer, notice: boolean) => void): void;
  /** The exit code, 128+n when a signal ended it. */
  onExit(listener: (exitCode: number) => void): void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Lets a process held for a client of its own start; nothing for one already started. */
  start(): void;
  /** Stops reading the pty: the program blocks once the buffers on the way fill. */
  pause(): void;
  resume(): void;
  kill(signal?: NodeJS.Signals): void;
}
