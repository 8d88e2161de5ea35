import { setFlagsFromString } from 'node:v8';
import { TerminalStream } from '../terminal/terminal-stream.js';
import type { CommandContext } from './command.js';
import { DetachKeys } from '../streams/detach-keys.js';

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
 * Shows an engine terminal session in this terminal: replays what it holds, streams its output, sends
 * our keys and size. Resolves with its exit code once it ends, or 'detached'.
 */
export async function attachTerminal(sessionId: string, options: TerminalAttachOptions, context: CommandContext): Promise<number | 'detached'> {
  const stream = new TerminalStream(await context.terminalSocket(), sessionId, (data) => context.raw(data));
  // From here the keys' path runs at V8's baseline tier, as the terminal host does: in a process this
  // young the optimising compiler's jobs, on a helper thread, are what delay the woken agent, conmon and
  // shell on a small machine (docs/benchmarks.md).
  setFlagsFromString('--max-opt=1');
  const stdin = process.stdin;
  const raw = options.interactive && stdin.isTTY;
  const keys = options.detachKeys ? new DetachKeys(options.detachKeys) : undefined;
  let detached = false;
  const detach = () => {
    detached = true;
    stream.detach();
  };
  // Keys go to the session as typed (Ctrl-C included); the container's pty does the line editing.
  if (raw) stdin.setRawMode(true);
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
  if (options.interactive) stdin.on('data', onInput);
  process.stdout.on('resize', resize);
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onHangup);
  try {
    resize();
    const exitCode = await stream.ended;
    return detached ? 'detached' : (exitCode ?? 0);
  } finally {
    stdin.off('data', onInput);
    process.stdout.off('resize', resize);
    process.off('SIGHUP', onHangup);
    process.off('SIGTERM', onHangup);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}
