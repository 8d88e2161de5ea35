import type { SocketClient } from '../transport/socket/socket-client.js';
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
export async function attachTerminal(api: SocketClient, sessionId: string, options: TerminalAttachOptions, context: CommandContext): Promise<number | 'detached'> {
  const stdin = process.stdin;
  const raw = options.interactive && stdin.isTTY;
  const keys = options.detachKeys ? new DetachKeys(options.detachKeys) : undefined;
  let detached = false;
  const send = (data: Buffer) => {
    if (data.length > 0) api.notify('terminal.input', { sessionId, base64: data.toString('base64') });
  };
  const detach = () => {
    detached = true;
    api.cancelAll();
  };
  // Keys go to the session as typed (Ctrl-C included); the container's pty does the line editing.
  if (raw) stdin.setRawMode(true);
  const onInput = (data: Buffer) => {
    if (detached) return;
    const fed = keys?.feed(data) ?? { forward: data, detach: false };
    send(fed.forward);
    if (fed.detach) detach();
  };
  const onResize = () => void api.notify('terminal.resize', { sessionId, ...terminalSize() });
  const onHangup = options.hangUpEnds ? () => void api.call('terminal.close', { sessionId }).catch(() => {}) : detach;
  if (options.interactive) stdin.on('data', onInput);
  process.stdout.on('resize', onResize);
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onHangup);
  try {
    await api.call('terminal.resize', { sessionId, ...terminalSize() });
    const { exitCode } = await api.call('terminal.attach', { sessionId }, (item) => context.raw(Buffer.from(item.base64, 'base64')));
    return detached ? 'detached' : (exitCode ?? 0);
  } finally {
    stdin.off('data', onInput);
    process.stdout.off('resize', onResize);
    process.off('SIGHUP', onHangup);
    process.off('SIGTERM', onHangup);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}
