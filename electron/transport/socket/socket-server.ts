import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { EventName, EventPayload } from '../../../shared/contract.js';
import { BerthError } from '../../../shared/berth-error.js';
import { ClientMessage, type ServerMessage } from '../../../shared/wire.js';
import type { Engine } from '../../engine/engine.js';
import { dispatch } from '../dispatch.js';
import { LineFramer } from '../line-framer.js';

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * The API on a UNIX socket for the `berth` command: JSON lines carrying the shared contract.
 * The socket file is 0600 inside the 0700 engine home, so only its owner can talk to it.
 */
export async function serveSocket(engine: Engine, path: string): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer((socket) => serveConnection(engine, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

function serveConnection(engine: Engine, socket: Socket): void {
  const framer = new LineFramer(MAX_MESSAGE_BYTES);
  const calls = new Map<number, AbortController>();
  const send = (message: ServerMessage) => {
    if (!socket.writable) return;
    socket.write(`${JSON.stringify(message)}\n`);
  };
  const onEvent = (event: EventName, payload: EventPayload<EventName>) => send({ event, payload });

  socket.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = framer.push(chunk);
    } catch (err) {
      send({ id: 0, error: new BerthError('INVALID_ARGUMENT', (err as Error).message).toInfo() });
      socket.end();
      return;
    }
    for (const line of lines) handleLine(line);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    engine.off('event', onEvent);
    for (const controller of calls.values()) controller.abort();
    calls.clear();
  });

  function handleLine(line: string): void {
    let message: ClientMessage;
    try {
      message = ClientMessage.parse(JSON.parse(line));
    } catch {
      send({ id: 0, error: new BerthError('INVALID_ARGUMENT', 'malformed message: expected one JSON object per line').toInfo() });
      return;
    }
    if ('subscribe' in message) {
      engine.on('event', onEvent);
      return;
    }
    if ('cancel' in message) {
      calls.get(message.id)?.abort();
      return;
    }
    const { id, method, params } = message;
    const controller = new AbortController();
    calls.set(id, controller);
    const context = { emit: (item: unknown) => send({ id, item }), signal: controller.signal };
    dispatch(engine.api, method, params, context)
      .then((result) => send({ id, result }))
      .catch((err: unknown) => send({ id, error: BerthError.from(err).toInfo() }))
      .finally(() => calls.delete(id));
  }
}
