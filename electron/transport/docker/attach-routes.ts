import type { Readable } from 'node:stream';
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

/**
 * Pipes a terminal session both ways: its output raw, the client's bytes as its input, until it ends
 * (its exit code) or the client goes.
 */
export async function pipeTerminal(call: DockerCall, sessionId: string, stream: Hijacked, stdin: boolean): Promise<number | null> {
  if (stdin) {
    stream.input.on('data', (data: Buffer) => {
      call.engine('terminal.input', { sessionId, base64: data.toString('base64') }).catch(() => {});
    });
  }
  try {
    const { exitCode } = await call.engine('terminal.attach', { sessionId }, (item) => stream.write(Buffer.from(item.base64, 'base64')));
    return exitCode;
  } finally {
    stream.end();
  }
}

/** Sends what the client types, in order, once `ready` says the process takes it; with `closeOnEnd` (StdinOnce) its end closes the process's stdin. */
function forwardStdin(call: DockerCall, id: string, input: Readable, ready: Promise<void>, closeOnEnd: boolean): void {
  let chain = ready;
  const send = (base64: string, end: boolean) => {
    chain = chain.then(() => call.engine('containers.input', { id, base64, end })).then(
      () => {},
      () => {},
    );
  };
  input.on('data', (data: Buffer) => send(data.toString('base64'), false));
  if (closeOnEnd) input.on('end', () => send('', true));
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
        if (container.spec.tty) {
          const stream = call.hijack(RAW_STREAM);
          const session = await call.engine('terminal.open', { id, main: true, awaitStart: true, command: [], cols: 80, rows: 24 });
          await pipeTerminal(call, session.id, stream, wants.stdin && container.spec.interactive);
          return undefined;
        }
        const stream = call.hijack(MULTIPLEXED_STREAM);
        let live!: () => void;
        const ready = new Promise<void>((resolve) => (live = resolve));
        if (wants.stdin && container.spec.interactive) forwardStdin(call, id, stream.input, ready, container.spec.stdinOnce);
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
