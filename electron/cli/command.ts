import type { SocketClient } from '../transport/socket/socket-client.js';

export interface CommandContext {
  /** Connects to the running engine on first use; says clearly when none runs. */
  client(): Promise<SocketClient>;
  out(text: string): void;
  /** Bytes as they are (container logs). */
  raw(data: Buffer): void;
  err(text: string): void;
}

export interface Command {
  usage: string;
  summary: string;
  run(args: string[], context: CommandContext): Promise<number>;
}
