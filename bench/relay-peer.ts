/**
 * The ends of the relay benchmark's ping-pong, run as their own processes:
 *   node relay-peer.js echo ADDRESS PORT        echoes every byte back (the "container" side); prints "ready"
 *   node relay-peer.js ping HOST PORT COUNT WARMUP
 *       sends one byte, waits for it to come back, COUNT times after WARMUP untimed ones, and prints
 *       the round trips in microseconds as a JSON array
 */
import net from 'node:net';

function echo(address: string, port: number): void {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.listen(port, address, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => process.exit(0));
}

function ping(host: string, port: number, count: number, warmup: number): void {
  const samples = new Float64Array(count);
  const byte = Buffer.from('x');
  let done = -warmup;
  let sentAt = 0n;
  const socket = net.connect({ host, port, noDelay: true });
  const send = () => {
    sentAt = process.hrtime.bigint();
    socket.write(byte);
  };
  socket.on('connect', send);
  socket.on('data', (chunk: Buffer) => {
    const now = process.hrtime.bigint();
    // One byte out, one byte back: anything else means the peer misbehaves.
    if (chunk.length !== 1) throw new Error(`expected 1 byte back, got ${chunk.length}`);
    if (done >= 0) samples[done] = Number(now - sentAt) / 1000;
    done++;
    if (done < count) return send();
    socket.end();
    process.stdout.write(`${JSON.stringify(Array.from(samples, (us) => Math.round(us * 10) / 10))}\n`);
  });
  socket.on('error', (error) => {
    process.stderr.write(`ping ${host}:${port}: ${error.message}\n`);
    process.exit(1);
  });
}

const [mode, host = '', port = '', count = '', warmup = '0'] = process.argv.slice(2);
if (mode === 'echo') echo(host, Number(port));
else if (mode === 'ping') ping(host, Number(port), Number(count), Number(warmup));
else {
  process.stderr.write('usage: relay-peer.js echo ADDRESS PORT | ping HOST PORT COUNT WARMUP\n');
  process.exit(2);
}
