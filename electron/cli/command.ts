import { BerthError } from '../../shared/berth-error.js';
import type { LogStream } from '../../shared/containers.js';
import type { Socket } from 'node:net';
import type { SocketClient } from '../transport/socket/socket-client.js';

export interface CommandContext {
  /** Connects to the running engine on first use; says clearly when none runs. */
  client(): Promise<SocketClient>;
  /** A new connection to the terminal host, which carries a session's stream (keys, output, size) past the engine. */
  terminalSocket(): Promise<Socket>;
  out(text: string): void;
  /** Bytes as they are (container output), to our stdout or stderr as the container wrote them. */
  raw(data: Buffer, stream?: LogStream): void;
  err(text: string): void;
}

export interface Command {
  usage: string;
  summary: string;
  run(args: string[], context: CommandContext): Promise<number>;
}

/** Applies `action` to each name, printing each as Docker does; an error is reported and the rest go on. */
export async function eachName(names: string[], context: CommandContext, action: (name: string) => Promise<unknown>): Promise<number> {
  let status = 0;
  for (const name of names) {
    try {
      await action(name);
      context.out(name);
    } catch (err) {
      context.err(`Error: ${BerthError.from(err).line}`);
      status = 1;
    }
  }
  return status;
}
