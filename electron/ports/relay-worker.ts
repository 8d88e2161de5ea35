import { parentPort, workerData } from 'node:worker_threads';
import { BerthError } from '../../shared/berth-error.js';
import { LocalPortRelay } from './relay-local.js';
import type { RelayReady, RelayReply, RelayRequest, RelayWorkerData } from './relay-messages.js';

/** The port relay's thread: every published port's sockets live here, off the engine's main thread. */
const port = parentPort;
if (!port) throw new Error('relay-worker runs as a worker thread (see WorkerPortRelay)');

const data = (workerData ?? { limits: {} }) as RelayWorkerData;
const relay = new LocalPortRelay(data.limits);

async function answer(request: RelayRequest): Promise<RelayReply> {
  try {
    switch (request.op) {
      case 'reserve':
        return { id: request.id, ok: true, reserved: await relay.reserve(request.owner, request.ports) };
      case 'activate':
        await relay.activate(request.owner, request.target);
        return { id: request.id, ok: true };
      case 'release':
        await relay.release(request.owner);
        return { id: request.id, ok: true };
      case 'close':
        await relay.close();
        return { id: request.id, ok: true };
    }
  } catch (error) {
    const failure = BerthError.from(error);
    return { id: request.id, ok: false, code: failure.code, message: failure.message };
  }
}

port.on('message', (request: RelayRequest) => {
  void answer(request).then((reply) => port.postMessage(reply));
});
const ready: RelayReady = { ready: true };
port.postMessage(ready);
