import { spawn, type ChildProcess } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import type { OpenedTerminal } from '../../shared/terminals.js';
import { attachClientArgv } from '../runtime/attach-client.js';
import { TerminalStream } from '../terminal/terminal-stream.js';
import type { CommandContext } from './command.js';
import { DetachKeys } from '../streams/detach-keys.js';

/** Bounds on the attach client: its connection to conmon, and its last output once the session ended. */
const CLIENT_CONNECT_MS = 10_000;
const CLIENT_FINISH_MS = 2_000;

export interface TerminalAttachOptions {
  /** Our stdin goes to the session (raw, when it is a terminal). */
  interactive: boolean;
  /** Typed in sequence, these leave the session running and return (Docker's Ctrl+P Ctrl+Q). */
  detachKeys?: Buffer;
  /** Our terminal going away ends the session (an exec shell); otherwise it only detaches (a main process). */
  hangUpEnds: boolean;
}

/** This terminal's size, as the session should have it. */
export function terminalSize(): { cols: number; rows: number } {
  return { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
}

/**
 * Starts the attach client on our own terminal (attach-client.ts); resolves once it is connected to
 * conmon, or with undefined if it could not be (the stream is then relayed by the terminal host).
 */
function connectAttachClient(attachSocket: string): Promise<ChildProcess | undefined> {
  const [file, ...args] = attachClientArgv(attachSocket);
  // Its complaint, if it cannot connect, is not the user's: the relayed stream serves them instead.
  const client = spawn(file!, args, { stdio: ['inherit', 'inherit', 'ignore', 'pipe'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.kill('SIGKILL');
      resolve(undefined);
    }, CLIENT_CONNECT_MS);
    const settle = (connected: boolean) => {
      clearTimeout(timer);
      resolve(connected ? client : undefined);
    };
    client.stdio[3]!.once('data', () => settle(true));
    client.once('error', () => settle(false));
    client.once('exit', () => settle(false));
  });
}

/** Resolves once the attach client has written the session's last output and gone (killed if it lingers). */
function finished(client: ChildProcess): Promise<void> {
  if (client.exitCode !== null || client.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => client.kill('SIGKILL'), CLIENT_FINISH_MS);
    client.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Shows an engine terminal session in this terminal: replays what it holds, streams its output, sends
 * our keys and size. Resolves with its exit code once it ends, or 'detached'. A session held for a
 * direct client (`attachSocket`) has its keys and output go between this terminal and conmon through
 * the attach client, with no JavaScript on their way; the stream then carries the size and the end.
 */
export async function attachTerminal(session: Pick<OpenedTerminal, 'id' | 'attachSocket'>, options: TerminalAttachOptions, context: CommandContext): Promise<number | 'detached'> {
  const stdin = process.stdin;
  const raw = options.interactive && stdin.isTTY;
  // Raw before the client reads the terminal, so its first keys go as typed too.
  if (raw) stdin.setRawMode(true);
  const client = session.attachSocket ? await connectAttachClient(session.attachSocket) : undefined;
  const stream = new TerminalStream(await context.terminalSocket(), session.id, (data) => context.raw(data), client !== undefined);
  // From here the keys' path runs at V8's baseline tier, as the terminal host does: in a process this
  // young the optimising compiler's jobs, on a helper thread, are what delay the woken agent, conmon and
  // shell on a small machine (docs/benchmarks.md).
  setFlagsFromString('--max-opt=1');
  const keys = options.detachKeys ? new DetachKeys(options.detachKeys) : undefined;
  let detached = false;
  const detach = () => {
    detached = true;
    stream.detach();
  };
  // Keys go to the session as typed (Ctrl-C included); the container's pty does the line editing.
  const onInput = (data: Buffer) => {
    if (detached) return;
    const fed = keys?.feed(data) ?? { forward: data, detach: false };
    stream.write(fed.forward);
    if (fed.detach) detach();
  };
  const resize = () => {
    const { cols, rows } = terminalSize();
    stream.resize(cols, rows);
  };
  const onHangup = options.hangUpEnds ? () => stream.hangUp() : detach;
  // The client killed or failed: as if our terminal went away. It ends by itself (0) once conmon closes.
  client?.once('exit', (code) => code !== 0 && onHangup());
  if (options.interactive && !client) stdin.on('data', onInput);
  process.stdout.on('resize', resize);
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onHangup);
  try {
    resize();
    const exitCode = await stream.ended;
    if (client) await finished(client);
    return detached ? 'detached' : (exitCode ?? 0);
  } finally {
    client?.stdio[3]?.destroy();
    stdin.off('data', onInput);
    process.stdout.off('resize', resize);
    process.off('SIGHUP', onHangup);
    process.off('SIGTERM', onHangup);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}
