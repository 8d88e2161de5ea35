/**
 * Port relay benchmark (npm run bench:relay): bulk throughput and 1-byte ping-pong latency into a
 * "container", side by side in one run: direct, through Docker's docker-proxy, and through Berth's
 * relay (WorkerPortRelay, sockets in a worker thread, as the engine runs it).
 *
 * The container is a network namespace this script creates, with a veth pair and a private /30
 * (10.231.77.0/30), reached at its own address as a bridged container is. In it run an iperf3
 * server (bulk) and a Node echo server (ping-pong). Both relays listen on 127.0.0.1 and forward to
 * the namespace address; "direct" connects to the namespace address. Runs are interleaved in
 * rotating order so machine noise spreads over all three.
 *
 * Options: --reps N (bulk runs per path and direction, default 3), --size-mb N (per bulk run,
 * default 2048), --pings N (timed round trips per path, default 20000).
 * Needs root. Installs missing Debian packages (iperf3, docker.io for docker-proxy, iproute2).
 * Traffic goes only to 127.0.0.0/8 and the namespace; the namespace and every process it started
 * are gone when it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WorkerPortRelay } from '../electron/ports/worker-port-relay.js';
import { captureMachineState, machineChanges } from './machine-state.js';
import { stopChild, waitUntil } from './process-control.js';
import { createNamespace, type BenchNamespace } from './relay-netns.js';
import { iperfRun } from './relay-iperf.js';
import { ensureCommands, findCommand } from './system-packages.js';
import { runChecked } from './timed-command.js';

const IPERF_PORT = 5201;
const ECHO_PORT = 7007;
/** More, shorter rounds spread shifts in machine load (which move latency a lot) over all paths. */
const PING_ROUNDS = 8;
const PING_WARMUP = 2_000;
const PEER = fileURLToPath(new URL('./relay-peer.js', import.meta.url));

interface Options {
  reps: number;
  sizeMb: number;
  pings: number;
}

/** One way to reach the container's two servers. */
interface Path {
  label: string;
  host: string;
  iperfPort: number;
  echoPort: number;
  /** CPU seconds the relay has used so far (none for direct). */
  cpuSeconds?: () => Promise<number>;
}

interface PathResult {
  into: number[];
  outOf: number[];
  cpuPerGb: number[];
  pings: number[];
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { reps: 3, sizeMb: 2048, pings: 20_000 };
  const bounds = { '--reps': ['reps', 1, 10], '--size-mb': ['sizeMb', 64, 16_384], '--pings': ['pings', 1_000, 200_000] } as const;
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = Number(argv[i + 1]);
    const bound = flag in bounds ? bounds[flag as keyof typeof bounds] : undefined;
    if (!bound || !Number.isInteger(value) || value < bound[1] || value > bound[2]) {
      throw new Error(`unknown or invalid argument ${flag}: use --reps N (1-10), --size-mb N (64-16384), --pings N (1000-200000)`);
    }
    options[bound[0]] = value;
  }
  return options;
}

/** Starts a long-running child and waits (bounded) until `ready` says so. */
async function startChild(argv: readonly string[], what: string, ready: (child: ChildProcess) => Promise<void>): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let said = '';
  child.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${said.trim()}`))),
  );
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not ready after 15 s: ${said.trim()}`)), 15_000).unref());
  try {
    await Promise.race([ready(child), exited, timeout]);
  } catch (error) {
    await stopChild(child, 2_000);
    throw error;
  }
  exited.catch(() => {});
  return child;
}

/** Resolves when the stream has printed `text`. */
function printed(stream: NodeJS.ReadableStream | null | undefined, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    stream?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes(text)) resolve();
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** docker-proxy as dockerd runs it; it reports "0" on fd 3 once it listens. */
async function startDockerProxy(dockerProxy: string, hostPort: number, address: string, port: number): Promise<ChildProcess> {
  const argv = [dockerProxy, '-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', String(hostPort), '-container-ip', address, '-container-port', String(port)];
  return startChild(argv, `docker-proxy for ${port}`, (child) => printed(child.stdio[3] as NodeJS.ReadableStream, '0\n'));
}

async function processCpuSeconds(pid: number, ticksPerSecond: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Round trips through one path: a fresh client process, so no path shares a warmed-up client. */
async function pingRound(path: Path, count: number): Promise<number[]> {
  const argv = [process.execPath, PEER, 'ping', path.host, String(path.echoPort), String(count), String(PING_WARMUP)];
  const result = await runChecked(argv, { timeoutMs: 120_000 });
  return JSON.parse(result.stdout) as number[];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]!);
}

async function measure(paths: Path[], options: Options, iperf3: string): Promise<Map<Path, PathResult>> {
  const results = new Map(paths.map((path) => [path, { into: [], outOf: [], cpuPerGb: [], pings: [] } as PathResult]));
  const bytes = options.sizeMb * 1024 * 1024;
  // A short untimed run per path first: connections, caches and JIT warm for everyone alike.
  for (const path of paths) await iperfRun(iperf3, path.host, path.iperfPort, 64 * 1024 * 1024, false);
  for (let rep = 0; rep < options.reps; rep++) {
    for (const path of rotated(paths, rep)) {
      for (const reverse of [false, true]) {
        const cpuBefore = await path.cpuSeconds?.();
        const run = await iperfRun(iperf3, path.host, path.iperfPort, bytes, reverse);
        const cpuAfter = await path.cpuSeconds?.();
        const result = results.get(path)!;
        (reverse ? result.outOf : result.into).push(run.bytesPerSecond / 1e6);
        if (cpuBefore !== undefined && cpuAfter !== undefined) result.cpuPerGb.push((cpuAfter - cpuBefore) / (bytes / 1e9));
        log(`${path.label} ${reverse ? 'out of' : 'into'} container: ${(run.bytesPerSecond / 1e6).toFixed(0)} MB/s`);
      }
    }
  }
  const perRound = Math.ceil(options.pings / PING_ROUNDS);
  for (let round = 0; round < PING_ROUNDS; round++) {
    for (const path of rotated(paths, round)) {
      const samples = await pingRound(path, perRound);
      results.get(path)!.pings.push(...samples);
      const sorted = [...samples].sort((a, b) => a - b);
      log(`${path.label} ping-pong round ${round + 1}: p50 ${percentile(sorted, 50)} µs, p99 ${percentile(sorted, 99)} µs`);
    }
  }
  return results;
}

function report(paths: Path[], results: Map<Path, PathResult>, options: Options): string {
  const [direct, proxy, berth] = paths.map((path) => results.get(path)!) as [PathResult, PathResult, PathResult];
  const width = Math.max(...paths.map((path) => path.label.length)) + 2;
  const mbps = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${median(values).toFixed(0)} [${sorted[0]!.toFixed(0)}-${sorted[sorted.length - 1]!.toFixed(0)}]`.padStart(20);
  };
  const lines: string[] = [];
  lines.push(`Bulk throughput, MB/s (iperf3, one stream, ${options.sizeMb} MiB per run, ${options.reps} runs each way; median [min-max])`);
  lines.push(`${''.padEnd(width)}${'into container'.padStart(20)}${'out of container'.padStart(20)}${'relay CPU s/GB'.padStart(16)}`);
  for (const path of paths) {
    const result = results.get(path)!;
    const cpu = result.cpuPerGb.length > 0 ? median(result.cpuPerGb).toFixed(2) : '-';
    lines.push(`${path.label.padEnd(width)}${mbps(result.into)}${mbps(result.outOf)}${cpu.padStart(16)}`);
  }
  const pings = paths.map((path) => [...results.get(path)!.pings].sort((a, b) => a - b));
  const base = pings[0]!;
  lines.push('');
  lines.push(`Ping-pong latency, µs (1 byte each way, ${base.length} round trips per path after warm-up, ${PING_ROUNDS} interleaved rounds)`);
  lines.push(`${''.padEnd(width)}${'p50'.padStart(8)}${'p90'.padStart(8)}${'p99'.padStart(8)}${'p99.9'.padStart(8)}${'added p50'.padStart(11)}${'added p99'.padStart(11)}`);
  paths.forEach((path, i) => {
    const sorted = pings[i]!;
    const at = (p: number) => percentile(sorted, p);
    const added = (p: number) => (i === 0 ? '-' : (at(p) - percentile(base, p)).toFixed(0));
    lines.push(
      `${path.label.padEnd(width)}${at(50).toFixed(0).padStart(8)}${at(90).toFixed(0).padStart(8)}${at(99).toFixed(0).padStart(8)}${at(99.9).toFixed(0).padStart(8)}${added(50).padStart(11)}${added(99).padStart(11)}`,
    );
  });
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const lost = (relay: number[], directRuns: number[]) => `${((1 - median(relay) / median(directRuns)) * 100).toFixed(0)}%`;
  const [, proxyPings, berthPings] = pings as [number[], number[], number[]];
  lines.push('');
  lines.push(
    `Berth / docker-proxy: throughput into ${ratio(median(berth.into), median(proxy.into))}, out of ${ratio(median(berth.outOf), median(proxy.outOf))}; ` +
      `latency p50 ${ratio(percentile(berthPings, 50), percentile(proxyPings, 50))}, p99 ${ratio(percentile(berthPings, 99), percentile(proxyPings, 99))}` +
      (proxy.cpuPerGb.length > 0 ? `; CPU per GB ${ratio(median(berth.cpuPerGb), median(proxy.cpuPerGb))}` : ''),
  );
  lines.push(
    `Overhead vs direct: throughput lost into/out of: docker-proxy ${lost(proxy.into, direct.into)}/${lost(proxy.outOf, direct.outOf)}, ` +
      `Berth ${lost(berth.into, direct.into)}/${lost(berth.outOf, direct.outOf)}; added p50/p99 µs: ` +
      `docker-proxy ${(percentile(proxyPings, 50) - percentile(base, 50)).toFixed(0)}/${(percentile(proxyPings, 99) - percentile(base, 99)).toFixed(0)}, ` +
      `Berth ${(percentile(berthPings, 50) - percentile(base, 50)).toFixed(0)}/${(percentile(berthPings, 99) - percentile(base, 99)).toFixed(0)}`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root: the benchmark makes a network namespace');
  await ensureCommands(
    [
      { command: 'iperf3', debianPackage: 'iperf3' },
      { command: 'docker-proxy', debianPackage: 'docker.io' },
      { command: 'ip', debianPackage: 'iproute2' },
    ],
    log,
  );
  const iperf3 = (await findCommand('iperf3'))!;
  const dockerProxy = (await findCommand('docker-proxy'))!;
  const ticksPerSecond = Number((await runChecked(['getconf', 'CLK_TCK'])).stdout.trim()) || 100;
  const before = await captureMachineState();
  const children: ChildProcess[] = [];
  let namespace: BenchNamespace | undefined;
  let relay: WorkerPortRelay | undefined;
  try {
    namespace = await createNamespace(String(process.pid));
    const ns = namespace;
    log(`container: namespace ${ns.name} at ${ns.address} (host side ${ns.hostAddress})`);
    children.push(
      await startChild([...ns.exec, iperf3, '-s', '-B', ns.address, '-p', String(IPERF_PORT), '--forceflush'], 'iperf3 server', (child) =>
        printed(child.stdout, 'Server listening'),
      ),
    );
    children.push(
      await startChild([...ns.exec, process.execPath, PEER, 'echo', ns.address, String(ECHO_PORT)], 'echo server', (child) => printed(child.stdout, 'ready')),
    );

    const proxyPorts = [await freePort(), await freePort()] as const;
    const proxies = [
      await startDockerProxy(dockerProxy, proxyPorts[0], ns.address, IPERF_PORT),
      await startDockerProxy(dockerProxy, proxyPorts[1], ns.address, ECHO_PORT),
    ];
    children.push(...proxies);

    relay = await WorkerPortRelay.start();
    const reserved = await relay.reserve('bench', [
      { hostIp: '127.0.0.1', hostPort: 0, guestPort: IPERF_PORT, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 0, guestPort: ECHO_PORT, protocol: 'tcp' },
    ]);
    if (!reserved.ok) throw new Error(`Berth's relay could not reserve: ${reserved.failure.message}`);
    await relay.activate('bench', { address: ns.address, port: 'guest' });
    const [berthIperf, berthEcho] = reserved.hostPorts as [number, number];

    const proxyCpu = async () => {
      let total = 0;
      for (const proxy of proxies) total += await processCpuSeconds(proxy.pid!, ticksPerSecond);
      return total;
    };
    // The bench's main thread only waits on iperf3 meanwhile: its CPU is the relay worker's.
    const berthCpu = async () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    };
    const paths: Path[] = [
      { label: 'direct', host: ns.address, iperfPort: IPERF_PORT, echoPort: ECHO_PORT },
      { label: 'docker-proxy', host: '127.0.0.1', iperfPort: proxyPorts[0], echoPort: proxyPorts[1], cpuSeconds: proxyCpu },
      { label: 'berth', host: '127.0.0.1', iperfPort: berthIperf, echoPort: berthEcho, cpuSeconds: berthCpu },
    ];
    const cores = cpus();
    log(`${cores.length} cores (${cores[0]?.model ?? 'unknown'}), Linux ${release()}, Node ${process.version}`);
    const started = Date.now();
    const loadBefore = loadavg()[0]!;
    const results = await measure(paths, options, iperf3);
    const loadAfter = loadavg()[0]!;
    log(`measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    process.stdout.write(
      `Port relay benchmark: ${cores.length} cores, Linux ${release()}, Node ${process.version}, load average ${loadBefore.toFixed(2)} before, ` +
        `${loadAfter.toFixed(2)} after. The container is a network namespace at ${ns.address} over a veth pair; docker-proxy and Berth ` +
        `listen on 127.0.0.1 and forward to it.\n\n`,
    );
    process.stdout.write(`${report(paths, results, options)}\n`);
  } finally {
    await relay?.close().catch(() => {});
    for (const child of children.reverse()) await stopChild(child, 3_000).catch(() => {});
    await namespace?.remove();
    await waitUntil('the namespace to go', async () => !(await runChecked(['ip', 'netns', 'list'])).stdout.includes(namespace?.name ?? '\0'), 10_000).catch(
      () => {},
    );
    // Only this run's traces: other work on the machine may change it meanwhile.
    const marks = namespace?.marks ?? [];
    const changes = machineChanges(before, await captureMachineState()).filter((line) => marks.some((mark) => line.includes(mark)));
    if (changes.length > 0) log(`left behind on the machine:\n  ${changes.join('\n  ')}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
