/**
 * Socket forwarding benchmark (npm run bench:sockets): round trips and bulk bytes through Berth's
 * UNIX socket forwards against a direct connection to the same server, in one run on one machine.
 *   - to-host (`--socket HOST:CONTAINER`): a client connects where the container's process would (the
 *     listener the engine binds into the container) and reaches an echo server (usock) on the host;
 *     direct is the same client connected to the host server itself.
 *   - to-container (`--socket-listen CONTAINER:HOST`): a host client connects to the forward's host
 *     path and reaches an echo server (usock) in the container; direct is the same client connected to
 *     that server through /proc/PID/root.
 * Both echo servers are the same program in a process of their own, as an SSH agent or a database
 * would be. The forwards run in a `berth serve` of its own, as they do for users. Rounds of each path are
 * interleaved so machine noise spreads over all four.
 *
 * Options: --pings N (timed 1-byte round trips per path, default 20000), --bulk-mb N (echoed per bulk
 * run, default 256), --reps N (bulk runs per path, default 3).
 * Needs root and gcc (for usock). Leaves the machine as it found it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installUsock } from '../e2e/fixtures/usock/usock.js';
import { startBerthEngine, type BerthEngine } from './berth-engine.js';
import { captureMachineState } from './machine-state.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { stopChild, waitUntil } from './process-control.js';
import { ensureCommands } from './system-packages.js';

const PING_ROUNDS = 8;
const PING_WARMUP = 2_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const STEP_TIMEOUT_MS = 120_000;
const OPTIONS = {
  pings: { flag: '--pings', default: 20_000, min: 100, max: 1_000_000 },
  bulkMb: { flag: '--bulk-mb', default: 256, min: 1, max: 4096 },
  reps: { flag: '--reps', default: 3, min: 1, max: 20 },
};

interface Path {
  label: string;
  socket: string;
  rtts: number[];
  mbps: number[];
}


function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Bounded: a path that stops answering fails the run instead of hanging it. */
function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out`)), STEP_TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** 1-byte round trips on one connection, the next sent only once the last came back; ms each. */
async function pingPong(path: string, count: number): Promise<number[]> {
  const socket = await open(path);
  const rtts: number[] = [];
  await withTimeout(`ping-pong through ${path}`, new Promise<void>((resolve, reject) => {
    let sent = 0;
    const send = () => {
      sent = performance.now();
      socket.write('x');
    };
    socket.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        rtts.push(performance.now() - sent);
        if (rtts.length === count) return resolve();
        send();
      }
    });
    socket.once('error', reject);
    send();
  }));
  socket.destroy();
  return rtts;
}

/** Writes `mb` MiB and reads them all back from the echo; MB/s of the echoed stream. */
async function bulk(path: string, mb: number): Promise<number> {
  const socket = await open(path);
  const total = mb * 1024 * 1024;
  const started = performance.now();
  await withTimeout(`bulk through ${path}`, new Promise<void>((resolve, reject) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= total) resolve();
    });
    socket.once('error', reject);
    let written = 0;
    const pump = () => {
      while (written < total) {
        written += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once('drain', pump);
      }
    };
    pump();
  }));
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return total / 1e6 / seconds;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), OPTIONS);
  await ensureCommands([{ command: 'gcc', debianPackage: 'gcc' }], log);
  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  let berth: BerthEngine | undefined;
  let hostEcho: ChildProcess | undefined;
  try {
    const tools = join(workDir, 'tools');
    await mkdir(tools);
    const usock = await installUsock(tools);
    const hostSocket = join(workDir, 'host-echo.sock');
    hostEcho = spawn(usock, ['serve', hostSocket, ''], { stdio: 'ignore' });
    await waitUntil('the echo server on the host', () => open(hostSocket).then((s) => (s.destroy(), true), () => false), 10_000);

    log('starting a Berth engine of its own');
    berth = await startBerthEngine(workDir, log);
    const forwardedOut = join(workDir, 'container-echo.sock');
    const container = await berth.client.call('containers.run', {
      image: 'hello',
      name: 'bench-sockets',
      autoExpose: false,
      cmd: ['sh', '-c', 'mkdir -p /sock && exec /opt/tools/usock serve /sock/echo.sock ""'],
      volumes: [`${tools}:/opt/tools:ro`],
      sockets: [`${hostSocket}:/run/host.sock`],
      socketListens: [`/sock/echo.sock:${forwardedOut}`],
    });
    const inContainer = `/proc/${container.state.pid}/root/sock/echo.sock`;
    await waitUntil('the echo server in the container', () => open(inContainer).then((s) => (s.destroy(), true), () => false), 10_000);
    const toHost = container.sockets.find((f) => f.direction === 'to-host')!;
    const paths: Path[] = [
      { label: 'to-host, direct', socket: hostSocket, rtts: [], mbps: [] },
      { label: 'to-host, forwarded', socket: `${berth.dataRoot}/sockets/${toHost.id.slice(0, 32)}.sock`, rtts: [], mbps: [] },
      { label: 'to-container, direct', socket: inContainer, rtts: [], mbps: [] },
      { label: 'to-container, forwarded', socket: forwardedOut, rtts: [], mbps: [] },
    ];

    log(`round trips: ${PING_ROUNDS} rounds of ${Math.ceil(options.pings / PING_ROUNDS)} per path, interleaved`);
    for (const path of paths) await pingPong(path.socket, PING_WARMUP);
    for (let round = 0; round < PING_ROUNDS; round++) {
      for (const path of round % 2 ? [...paths].reverse() : paths) path.rtts.push(...(await pingPong(path.socket, Math.ceil(options.pings / PING_ROUNDS))));
    }
    log(`bulk: ${options.reps} runs of ${options.bulkMb} MiB echoed per path, interleaved`);
    for (let rep = 0; rep < options.reps; rep++) {
      for (const path of rep % 2 ? [...paths].reverse() : paths) path.mbps.push(await bulk(path.socket, options.bulkMb));
    }

    const rows = paths.map((path) => {
      const sorted = [...path.rtts].sort((a, b) => a - b);
      return { label: path.label, p50us: Math.round(percentile(sorted, 50) * 1000), p99us: Math.round(percentile(sorted, 99) * 1000), mbps: Math.round(median(path.mbps)) };
    });
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const ratios = {
      to_host: { p50: ratio(rows[1]!.p50us, rows[0]!.p50us), p99: ratio(rows[1]!.p99us, rows[0]!.p99us), bulk: ratio(rows[1]!.mbps, rows[0]!.mbps) },
      to_container: { p50: ratio(rows[3]!.p50us, rows[2]!.p50us), p99: ratio(rows[3]!.p99us, rows[2]!.p99us), bulk: ratio(rows[3]!.mbps, rows[2]!.mbps) },
    };
    const width = Math.max(...rows.map((r) => r.label.length));
    process.stdout.write(
      [
        '',
        `UNIX socket forwards vs direct: ${options.pings} 1-byte round trips and ${options.reps}×${options.bulkMb} MiB echoed per path; ${cpus().length} CPUs, node ${process.version}`,
        '',
        `${''.padEnd(width)}  ${'p50 µs'.padStart(8)}${'p99 µs'.padStart(8)}${'echo MB/s'.padStart(11)}`,
        ...rows.map((r) => `${r.label.padEnd(width)}  ${String(r.p50us).padStart(8)}${String(r.p99us).padStart(8)}${String(r.mbps).padStart(11)}`),
        '',
        `forwarded/direct, to-host:      p50 ${ratios.to_host.p50}×, p99 ${ratios.to_host.p99}×, bulk ${ratios.to_host.bulk}×`,
        `forwarded/direct, to-container: p50 ${ratios.to_container.p50}×, p99 ${ratios.to_container.p99}×, bulk ${ratios.to_container.bulk}×`,
        '',
        JSON.stringify({ benchmark: 'socket-forwarding', date: new Date().toISOString(), options, rows, ratios }, null, 2),
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    if (hostEcho) await stopChild(hostEcho, 5_000);
    await cleanUpBenchmark({ berth, workDir, before });
  }
}

runBenchmark(main);
