import type { Socket } from 'node:net';
import { BerthError } from '../../shared/berth-error.js';
import type { ErrorInfo } from '../../shared/errors.js';
import { encodeFrame, FrameDecoder } from '../streams/typed-frames.js';
import { whenDrained } from '../streams/when-drained.js';
import type { SessionTable } from './session-table.js';
import type { ReaderOutput } from './terminal-session.js';

/**
 * One session's stream on the terminal host's socket, as Docker hijacks a connection for an exec: after
 * the first frame names the session, keys go one way and output the other as bytes, in typed frames
 * (`[type u8][length u32 BE][bytes]`), with no JSON or base64 on a keystroke's way. Closing the
 * connection detaches; the session runs on. Opening it starts a process held for its client.
 */
const enum ToHost {
  /** The session's id: the first frame (this or OpenDirect), and only there. */
  Open = 1,
  Input = 2,
  /** cols, rows: u16 BE each. */
  Resize = 3,
  /** Ends the session (the client's terminal went away from an exec's shell). */
  HangUp = 4,
  /**
   * The session's id, from a client connected to conmon's attach socket itself: the process's output
   * and keys go that way, and this stream carries only the agent's notices, resizes and the end.
   */
  OpenDirect = 5,
}

const enum ToClient {
  Output = 1,
  /** The session ended: its exit code, i32 BE. */
  Ended = 2,
  /** The stream could not be served: an ErrorInfo as JSON. */
  Error = 3,
}

/** A keystroke frame is small; a paste is bounded as `terminal.input` is. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** Serves one connection to the terminal host's socket from the host's sessions. */
export function serveTerminalStream(table: SessionTable, socket: Socket): void {
  const frames = new FrameDecoder(MAX_FRAME_BYTES);
  const detached = new AbortController();
  let sessionId: string | undefined;
  const fail = (error: unknown) => {
    detached.abort();
    if (socket.writable) socket.end(encodeFrame(ToClient.Error, Buffer.from(JSON.stringify(BerthError.from(error).toInfo()))));
    else socket.destroy();
  };
  const stream = (id: string, output: ReaderOutput) =>
    Promise.resolve()
      .then(() =>
        table.stream(
          id,
          { write: (data) => socket.write(encodeFrame(ToClient.Output, data)), drained: () => (socket.writableNeedDrain ? whenDrained(socket) : Promise.resolve()) },
          detached.signal,
          output,
        ),
      )
      .then((exitCode) => {
        if (exitCode === null) return;
        const code = Buffer.alloc(4);
        code.writeInt32BE(exitCode);
        socket.end(encodeFrame(ToClient.Ended, code));
      }, fail);

  socket.on('data', (chunk: Buffer) => {
    let received: { type: number; data: Buffer }[];
    try {
      received = frames.push(chunk);
    } catch (error) {
      return fail(new BerthError('INVALID_ARGUMENT', (error as Error).message));
    }
    for (const { type, data } of received) {
      if (sessionId === undefined) {
        if ((type !== ToHost.Open && type !== ToHost.OpenDirect) || data.length === 0 || data.length > 128) return fail(new BerthError('INVALID_ARGUMENT', 'a terminal stream starts with the session it is for'));
        sessionId = data.toString();
        void stream(sessionId, type === ToHost.Open ? 'all' : 'notices');
      } else if (type === ToHost.Input) {
        // A keystroke after the session ended is no error to report: the end is on its way.
        ignoreEnded(() => table.input(sessionId!, data));
      } else if (type === ToHost.Resize) {
        const [cols, rows] = data.length === 4 ? [data.readUInt16BE(0), data.readUInt16BE(2)] : [0, 0];
        if (!isTerminalSide(cols) || !isTerminalSide(rows)) return fail(new BerthError('INVALID_ARGUMENT', 'a resize is two numbers from 1 to 1000'));
        ignoreEnded(() => table.resize(sessionId!, cols, rows));
      } else if (type === ToHost.HangUp) {
        void table.close(sessionId).catch(() => {});
      } else {
        return fail(new BerthError('INVALID_ARGUMENT', `unknown frame type ${type} on a terminal stream`));
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => detached.abort());
}

/** The contract's TerminalSize bounds, checked here without zod: the CLI loads this file too, and starts faster without it. */
function isTerminalSide(n: number): boolean {
  return n >= 1 && n <= 1000;
}

function ignoreEnded(action: () => void): void {
  try {
    action();
  } catch {
    // The session ended or was forgotten: the stream learns it from its own end.
  }
}

/**
 * A client's side of a session's stream: what `berth exec -it` and `berth attach` use. `direct`: this
 * client reads and writes conmon's attach socket itself (see attach-client.ts); `onOutput` then gets
 * only the agent's notices.
 */
export class TerminalStream {
  /** The session's exit code once it ends; null when this side detached. Rejects if the stream could not be served or was cut. */
  readonly ended: Promise<number | null>;
  private detached = false;

  constructor(
    private readonly socket: Socket,
    sessionId: string,
    onOutput: (data: Buffer) => void,
    direct = false,
  ) {
    const frames = new FrameDecoder();
    this.ended = new Promise<number | null>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const { type, data } of frames.push(chunk)) {
          if (type === ToClient.Output) onOutput(data);
          else if (type === ToClient.Ended) resolve(data.readInt32BE(0));
          else if (type === ToClient.Error) reject(BerthError.fromInfo(JSON.parse(data.toString()) as ErrorInfo));
        }
      });
      socket.on('close', () => (this.detached ? resolve(null) : reject(new BerthError('ENGINE_NOT_RUNNING', 'the connection to the terminal host was lost'))));
    });
    socket.on('error', () => {});
    socket.write(encodeFrame(direct ? ToHost.OpenDirect : ToHost.Open, Buffer.from(sessionId)));
  }

  write(data: Buffer): void {
    if (data.length > 0) this.socket.write(encodeFrame(ToHost.Input, data));
  }

  resize(cols: number, rows: number): void {
    const size = Buffer.alloc(4);
    size.writeUInt16BE(cols, 0);
    size.writeUInt16BE(rows, 2);
    this.socket.write(encodeFrame(ToHost.Resize, size));
  }

  /** Ends the session; `ended` then resolves with its code. */
  hangUp(): void {
    this.socket.write(encodeFrame(ToHost.HangUp));
  }

  /** Leaves the session running; `ended` resolves with null. */
  detach(): void {
    this.detached = true;
    this.socket.end();
  }
}
