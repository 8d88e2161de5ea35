/** A process running on a pseudo-terminal, seen as bytes. */
export interface PtyProcess {
  onData(listener: (data: Buffer) => void): void;
  /** The exit code, 128+n when a signal ended it. */
  onExit(listener: (exitCode: number) => void): void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Stops reading the pty: the program blocks once the kernel's buffer fills. */
  pause(): void;
  resume(): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface PtyOptions {
  cols: number;
  rows: number;
}

/**
 * Starts Linux argv on a pty. The local host runs argv directly; a WSL host will run it through
 * wsl.exe under a ConPTY, so this is the seam and nothing above it knows which.
 */
export interface PtyLauncher {
  launch(argv: string[], options: PtyOptions): PtyProcess;
}
