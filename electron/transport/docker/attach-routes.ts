import { DEFAULT_DETACH_KEYS, DetachKeys, parseDetachKeys } from '../../streams/detach-keys.js';
import { DockerError, noContent, type DockerCall, type DockerRoute } from './docker-call.js';
import { queryBool, queryInt } from './docker-query.js';
import type { Hijacked } from './hijack.js';
import { frame } from './stream-frames.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** Terminal sizes as Docker sends them (`h` rows, `w` columns); 0 or absent keeps the size. */
export function querySize(query: URLSearchParams): { cols: number; rows: number } | undefined {
  const rows = queryInt(query, 'h', 0, 10_000);
  const cols = queryInt(query, 'w', 0, 10_000);
  return rows && cols ? { cols, rows } : undefined;
}

/** Docker's detach keys for a request (`detachKeys`, else Ctrl+P Ctrl+Q); a bad sequence is a 400 naming it. */
export function detachKeysOf(text: string | null | undefined): Buffer {
  try {
    return parseDetachKeys(text || DEFAULT_DETACH_KEYS);
  } catch (err) {
    throw new DockerError(400, (err as Error).message);
  }
}

/**
 * The client's bytes with the detach sequence taken out: on it the connection ends and the process
 * runs on, as when Docker's daemon reads the detach keys.
 */
function typed(stream: Hijacked, keys: Buffer, onBytes: (data: Buffer) => void): void {
  const watch = new DetachKeys(keys);
  stream.input.on('data', (data: Buffer) => {
    const { forward, detach } = watch.feed(data);
    if (forward.length > 0) onBytes(forward);
    if (detach) stream.end();
  });
}

/**
 * Pipes a terminal session both ways: its output raw, the client's bytes as its input, until it ends
 * (its exit code), the client types the detach keys or goes (null: it runs on).
 */
export async function pipeTerminal(call: DockerCall, sessionId: string, stream: Hijacked, stdin: boolean, keys: Buffer): Promise<number | null> {
  if (stdin) typed(stream, keys, (data) => void call.engine('terminal.input', { sessionId, base64: data.toString('base64') }).catch(() => {}));
  try {
    const { exitCode } = await call.engine('terminal.attach', { sessionId }, (item) => stream.write(Buffer.from(item.base64, 'base64')));
    return exitCode;
  } finally {
    stream.end();
  }
}

/** Sends what the client types, in order, once `ready` says the process takes it; with `closeOnEnd` (StdinOnce) its end closes the process's stdin. */
function forwardStdin(call: DockerCall, id: string, stream: Hijacked, keys: Buffer, ready: Promise<void>, closeOnEnd: boolean): void {
  let chain = ready;
  const send = (base64: string, end: boolean) => {
    chain = chain.then(() => call.engine('containers.input', { id, base64, end })).then(
      () => {},
      () => {},
    );
  };
  typed(stream, keys, (data) => send(data.toString('base64'), false));
  if (closeOnEnd) stream.input.on('end', () => send('', true));
}

/** `POST /containers/{id}/attach` (hijacked) and the main terminal's resize. */
export function attachRoutes(): DockerRoute[] {
  return [
    {
      method: 'POST',
      path: '/containers/:id/attach',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        const container = await call.engine('containers.inspect', { id });
        const wants = { stdin: queryBool(call.query, 'stdin'), stdout: queryBool(call.query, 'stdout'), stderr: queryBool(call.query, 'stderr') };
        const logs = queryBool(call.query, 'logs');
        if (!queryBool(call.query, 'stream') && !logs) throw new DockerError(400, 'attach: stream or logs must be set');
        const keys = detachKeysOf(call.query.get('detachKeys'));
        if (container.spec.tty) {
          const stream = call.hijack(RAW_STREAM);
          const session = await call.engine('terminal.open', { id, main: true, awaitStart: true, command: [], cols: 80, rows: 24 });
          await pipeTerminal(call, session.id, stream, wants.stdin && container.spec.interactive, keys);
          return undefined;
        }
        const stream = call.hijack(MULTIPLEXED_STREAM);
        let live!: () => void;
        const ready = new Promise<void>((resolve) => (live = resolve));
        if (wants.stdin && container.spec.interactive) forwardStdin(call, id, stream, keys, ready, container.spec.stdinOnce);
        try {
          await call.engine('containers.attach', { id, logs, awaitStart: true }, (chunk) => {
            if (chunk.base64 === '') return live();
            if (!wants[chunk.stream]) return;
            stream.write(frame(chunk.stream, Buffer.from(chunk.base64, 'base64')));
          });
        } finally {
          stream.end();
        }
        return undefined;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/resize',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        const size = querySize(call.query);
        const container = await call.engine('containers.inspect', { id });
        const session = (await call.engine('terminal.list', { containerId: container.id })).find((s) => s.main && s.exitCode === null);
        if (!session) throw new DockerError(409, `container ${container.name} has no terminal to resize (not running, or started without -t)`);
        if (size) await call.engine('terminal.resize', { sessionId: session.id, ...size });
        return noContent;
      },
    },
  ];
}
