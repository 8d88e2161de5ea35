/**
 * Terminal benchmark (npm run bench:terminal): an interactive shell in a container, several ways side
 * by side on one machine and one image:
 *   - `berth exec -it` in a pty (node-pty spawning the berth CLI): opened through the engine, then
 *     the pty → the CLI's attach client → conmon (holding the container's pty) → shell and back, the
 *     terminal host's agent reading the output beside it;
 *   - `docker exec -it` in a pty (node-pty spawning the docker CLI) against a dockerd of its own;
 *   - the relayed Berth path (what the app's terminal and a WSL host use), with this process as the
 *     client on the terminal host's socket: client → terminal host → agent → conmon;
 *   - raw `runc exec -t` in a pty, on the Berth container (the floor both build on);
 *   - Berth's monitor path alone: the same agent and conmon driven from this process, no engine
 *     between (where the time goes).
 * Measures keystroke-to-echo round trips (one byte to `tr` on a raw tty in the container, the next
 * only once the echo is back), cold (a fresh session, a JIT still compiling Berth's Node path) and
 * warm (after a few thousand keys), and output throughput (`head -c N /dev/zero | base64`, bytes
 * reaching the client until the command ends).
 *
 * Each target gets `--rounds` sessions, taken in turn with the other targets' so that a noisy minute
 * of the machine falls on all of them; the table gives each figure's median over the rounds, and the
 * first round apart (Berth's first session is also the engine's first: its JIT is cold too).
 *
 * Options: --keys N (default 1000), --warm-keys N (default 3000), --rounds N (default 3), --flood-mb N (default 100, input size before base64).
 * Needs root. Installs missing Debian packages (docker.io, skopeo, umoci, busybox-static, runc).
 * Leaves the machine as it found it: its dockerd, engine, bridges and temp dirs go when it ends.
 */
import { access, mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn as spawnPty } from 'node-pty';
import { buildBusyboxImage, exportOciArchive } from '../build/oci-image.js';
import { terminalSocketPath } from '../electron/engine/engine-config.js';
import { LocalHost } from '../electron/host/local/local-host.js';
import { RuntimeCli } from '../electron/runtime/runtime-cli.js';
import { connectToEngine } from '../electron/transport/socket/socket-client.js';
import { TerminalStream } from '../electron/terminal/terminal-stream.js';
import { agentPty, execAgent } from '../electron/terminal/monitor-pty.js';
import { BERTH_CLI, startBerthEngine, type BerthEngine } from './berth-engine.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { captureMachineState } from './machine-state.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import { runChecked } from './timed-command.js';

const IMAGE = 'berth-bench/busybox:latest';
const LAYOUT_TAG = 'bench';
const SLEEP = ['sleep', '3600'];
/**
 * On a raw, non-echoing tty, `tr` sends every byte back, upper-cased, as soon as it has it: the
 * answer comes from the program in the container, never from a terminal's local echo on the way.
 */
const ECHO_COMMAND = ['sh', '-c', 'stty raw -echo && exec tr a-z A-Z'];
const WARMUP_KEYS = 50;
const KEY_TIMEOUT_MS = 5_000;
const FLOOD_TIMEOUT_MS = 10 * 60_000;

/** An interactive command on a terminal, seen from the client. */
interface Tty {
  write(data: string): void;
  onData(listener: (data: Buffer) => void): void;
  /** Resolves when the command has ended and its output is all in. */
  readonly exited: Promise<number>;
  close(): void;
}

interface Target {
  label: string;
  open(command: string[]): Promise<Tty>;
}

interface Echo {
  p50: number;
  p99: number;
  mean: number;
}

interface Keystrokes {
  /** The first keys after a short warm-up: a fresh session and a JIT still compiling the path. */
  cold: Echo;
  /** The same once `--warm-keys` more have gone by: the steady state of a session in use. */
  warm: Echo;
}

interface Result extends Keystrokes {
  label: string;
  /** Each session's figures, in the order taken; `cold` and `warm` above are their medians. */
  rounds: Keystrokes[];
  mbPerSec: number;
  floodBytes: number;
}


/** A command on a local pty (docker CLI, runc): bytes in, bytes out. */
function ptyTty(argv: string[], env: Record<string, string> = {}): Tty {
  const [file, ...args] = argv;
  const pty = spawnPty(file!, args, { cols: 120, rows: 40, encoding: null, env: { ...(process.env as Record<string, string>), ...env } });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    write: (data) => pty.write(data),
    onData: (listener) => void pty.onData((data) => listener(data as unknown as Buffer)),
    exited,
    close: () => {
      try {
        pty.kill('SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A Berth terminal session as the CLI sees it: opened through the engine's socket, then its keys and
 * output through the terminal host's.
 */
async function berthTty(berth: BerthEngine, containerId: string, command: string[]): Promise<Tty> {
  const session = await berth.client.call('terminal.open', { id: containerId, command, cols: 120, rows: 40 });
  const listeners: ((data: Buffer) => void)[] = [];
  const stream = new TerminalStream(await connectToEngine(terminalSocketPath(berth.home)), session.id, (data) => {
    for (const listener of listeners) listener(data);
  });
  return {
    write: (data) => stream.write(Buffer.from(data)),
    onData: (listener) => void listeners.push(listener),
    exited: stream.ended.then((code) => code ?? -1),
    close: () => stream.hangUp(),
  };
}

/** An exec on conmon's pty through the engine's own agent, from this process: Berth's path without the engine hop. */
async function monitorTty(berth: BerthEngine, runtimeRoot: string, containerId: string, command: string[]): Promise<Tty> {
  const host = new LocalHost(berth.dataRoot);
  const runtime = await RuntimeCli.probe(host, runtimeRoot);
  const agent = await execAgent(host, runtime, { containerId, command, env: [], cols: 120, rows: 40 }, false);
  const pty = await agentPty(agent.mode, host.spawn(agent.argv), () => Promise.resolve(0));
  const exited = new Promise<number>((resolve) => pty.onExit(resolve));
  return { write: (data) => pty.write(Buffer.from(data)), onData: (listener) => pty.onData(listener), exited, close: () => pty.kill('SIGKILL') };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** One byte at a time; each round trip ends when that byte is back. Measures `count` keys cold, then again after `warmKeys` more. */
async function keystrokes(target: Target, count: number, warmKeys: number): Promise<Keystrokes> {
  const tty = await target.open(ECHO_COMMAND);
  let received = '';
  let waiter: (() => void) | undefined;
  tty.onData((data) => {
    received += data.toString('latin1');
    waiter?.();
  });
  const roundTrip = async (key: string): Promise<number> => {
    received = '';
    const started = performance.now();
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${target.label}: no echo of a keystroke within ${KEY_TIMEOUT_MS} ms`)), KEY_TIMEOUT_MS);
      waiter = () => {
        if (received.includes(key.toUpperCase())) {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        }
      };
    });
    tty.write(key);
    await back;
    return performance.now() - started;
  };
  try {
    // `cat` is running once a first key comes back; the warm-up also settles caches.
    for (let i = 0; i < WARMUP_KEYS; i++) await roundTrip('w');
    const measure = async (): Promise<Echo> => {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) samples.push(await roundTrip(String.fromCharCode(97 + (i % 26))));
      samples.sort((a, b) => a - b);
      const round = (ms: number) => Math.round(ms * 1000) / 1000;
      return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), mean: round(samples.reduce((a, b) => a + b, 0) / samples.length) };
    };
    const cold = await measure();
    for (let i = 0; i < warmKeys; i++) await roundTrip('w');
    return { cold, warm: await measure() };
  } finally {
    tty.close();
    await Promise.race([tty.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  }
}

/** Bytes of output reaching the client per second, from the first byte to the command's end. */
async function flood(target: Target, megabytes: number): Promise<{ mbPerSec: number; bytes: number }> {
  const tty = await target.open(['sh', '-c', `head -c ${megabytes * 1_000_000} /dev/zero | base64`]);
  let bytes = 0;
  let first = 0;
  tty.onData((data) => {
    if (bytes === 0) first = performance.now();
    bytes += data.length;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${target.label}: the flood did not end within ${FLOOD_TIMEOUT_MS / 60_000} min`)), FLOOD_TIMEOUT_MS);
  });
  try {
    const code = await Promise.race([tty.exited, timeout]);
    if (code !== 0) throw new Error(`${target.label}: the flood command exited ${code}`);
  } finally {
    clearTimeout(timer);
    tty.close();
  }
  const seconds = (performance.now() - first) / 1000;
  // base64 of N bytes is 4/3 N plus a newline every 76 characters.
  const expected = Math.ceil((megabytes * 1_000_000) / 3) * 4;
  if (bytes < expected) throw new Error(`${target.label}: only ${bytes} of at least ${expected} bytes arrived`);
  return { mbPerSec: Math.round((bytes / 1e6 / seconds) * 10) / 10, bytes };
}

async function prepareImage(workDir: string): Promise<{ dockerArchive: string; ociArchive: string }> {
  const layout = join(workDir, 'image-layout');
  await buildBusyboxImage(layout, LAYOUT_TAG, { cmd: SLEEP });
  const dockerArchive = join(workDir, 'busybox.docker.tar');
  await runChecked(['skopeo', 'copy', '--insecure-policy', '--quiet', `oci:${layout}:${LAYOUT_TAG}`, `docker-archive:${dockerArchive}:${IMAGE}`], {
    timeoutMs: 120_000,
  });
  const ociArchive = join(workDir, 'busybox.oci.tar');
  await exportOciArchive(layout, LAYOUT_TAG, ociArchive);
  return { dockerArchive, ociArchive };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round(((sorted[middle - 1]! + sorted[middle]!) / 2) * 1000) / 1000;
}

/** Each figure's median over the rounds. */
function medianOf(rounds: readonly Keystrokes[]): Keystrokes {
  const echo = (pick: (k: Keystrokes) => Echo): Echo => ({
    p50: median(rounds.map((k) => pick(k).p50)),
    p99: median(rounds.map((k) => pick(k).p99)),
    mean: median(rounds.map((k) => pick(k).mean)),
  });
  return { cold: echo((k) => k.cold), warm: echo((k) => k.warm) };
}

function table(rows: readonly (Keystrokes & { label: string; mbPerSec?: number })[]): string {
  const width = Math.max(...rows.map((r) => r.label.length));
  const cell = (text: string) => text.padStart(12);
  const header = `${''.padEnd(width)}${cell('cold p50 ms')}${cell('cold p99 ms')}${cell('warm p50 ms')}${cell('warm p99 ms')}${cell('flood MB/s')}`;
  const ms = (n: number) => cell(n.toFixed(3));
  const lines = rows.map((r) => `${r.label.padEnd(width)}${ms(r.cold.p50)}${ms(r.cold.p99)}${ms(r.warm.p50)}${ms(r.warm.p99)}${cell(r.mbPerSec?.toFixed(1) ?? '')}`);
  return [header, ...lines].join('\n');
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), {
    keys: { flag: '--keys', default: 1000, min: 10, max: 100_000 },
    warmKeys: { flag: '--warm-keys', default: 3000, min: 0, max: 100_000 },
    rounds: { flag: '--rounds', default: 3, min: 1, max: 20 },
    floodMb: { flag: '--flood-mb', default: 100, min: 1, max: 1000 },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs containers and makes bridges: run it as root');
  await ensureCommands(DOCKER_BENCH_COMMANDS, log);
  await access(BERTH_CLI).catch(() => {
    throw new Error(`${BERTH_CLI} is missing: run npm run build first`);
  });
  const dockerdPath = (await findCommand('dockerd'))!;
  const dockerCli = (await access('/usr/bin/docker').then(() => '/usr/bin/docker', () => undefined)) ?? (await findCommand('docker'));
  if (!dockerCli) throw new Error('no docker CLI found (package docker.io)');

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-terminal-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  try {
    log('building the benchmark image');
    const archives = await prepareImage(workDir);
    log('starting a dockerd and a Berth engine of their own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    await docker.load(archives.dockerArchive);
    berth = await startBerthEngine(workDir, log);
    const berthLoad = await berth.cli(['load', '-i', archives.ociArchive], 120_000);
    const berthImage = /Loaded image: (\S+)/.exec(berthLoad.stdout)?.[1];
    if (!berthImage) throw new Error(`berth load failed: ${berthLoad.stderr.trim() || berthLoad.stdout.trim()}`);

    const dockerContainer = (await docker.apiRun(IMAGE, SLEEP, 'bench-terminal')).id;
    const berthContainer = (await berth.apiRun(berthImage, SLEEP, 'bench-terminal')).id;
    const info = await berth.client.call('system.info', {});
    const runcRoot = `${info.home}/linux/runtime`;
    const runc = info.runtime.binary;
    const dockerEnv = { DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'docker', 'cli-config') };

    const targets: Target[] = [
      { label: 'berth exec -it (CLI in a pty → conmon)', open: async (command) => ptyTty([process.execPath, BERTH_CLI, 'exec', '-it', berthContainer, ...command], { BERTH_HOME: berth!.home }) },
      { label: 'docker exec -it (CLI in a pty → dockerd)', open: async (command) => ptyTty([dockerCli, 'exec', '-it', dockerContainer, ...command], dockerEnv) },
      { label: 'berth relayed: socket client → terminal host', open: (command) => berthTty(berth!, berthContainer, command) },
      { label: 'raw runc exec -t in a pty', open: async (command) => ptyTty([runc, '--root', runcRoot, 'exec', '-t', berthContainer, ...command]) },
      { label: 'agent → conmon, no engine', open: (command) => monitorTty(berth!, runcRoot, berthContainer, command) },
    ];
    const rounds = targets.map((): Keystrokes[] => []);
    for (let round = 1; round <= options.rounds; round++) {
      for (const [i, target] of targets.entries()) {
        log(`${target.label}: ${options.keys} keystrokes, round ${round} of ${options.rounds}`);
        rounds[i]!.push(await keystrokes(target, options.keys, options.warmKeys));
      }
    }
    const results: Result[] = [];
    for (const [i, target] of targets.entries()) {
      log(`${target.label}: flood of ${options.floodMb} MB through base64`);
      const out = await flood(target, options.floodMb);
      results.push({ label: target.label, ...medianOf(rounds[i]!), rounds: rounds[i]!, mbPerSec: out.mbPerSec, floodBytes: out.bytes });
    }
    const [b, d, s, r, m] = results as [Result, Result, Result, Result, Result];
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    const ratios = {
      cold_p50_berth_over_docker: ratio(b.cold.p50, d.cold.p50),
      cold_p99_berth_over_docker: ratio(b.cold.p99, d.cold.p99),
      first_round_cold_p99_berth_over_docker: ratio(b.rounds[0]!.cold.p99, d.rounds[0]!.cold.p99),
      warm_p50_berth_over_docker: ratio(b.warm.p50, d.warm.p50),
      warm_p99_berth_over_docker: ratio(b.warm.p99, d.warm.p99),
      warm_p50_berth_over_runc: ratio(b.warm.p50, r.warm.p50),
      flood_berth_over_docker: ratio(b.mbPerSec, d.mbPerSec),
      flood_berth_over_runc: ratio(b.mbPerSec, r.mbPerSec),
      cold_p99_socket_client_over_docker: ratio(s.cold.p99, d.cold.p99),
      cold_p99_monitor_over_docker: ratio(m.cold.p99, d.cold.p99),
    };
    process.stdout.write(
      [
        '',
        `Terminal: keystroke-to-echo over ${options.keys} keys (\`tr a-z A-Z\` on a raw tty) cold, and again after ${options.warmKeys} more (warm), in ${options.rounds} sessions each; output flood (\`head -c ${options.floodMb}MB /dev/zero | base64\`).`,
        `docker: ${docker.version}`,
        `berth:  node ${process.version}, runtime ${info.runtime.name} ${info.runtime.version}`,
        '',
        'Median over the rounds:',
        table(results),
        '',
        'First round (the engine\'s first session):',
        table(results.map((r) => ({ label: r.label, ...r.rounds[0]! }))),
        '',
        `echo, berth/docker (medians): cold p50 ${ratios.cold_p50_berth_over_docker}, p99 ${ratios.cold_p99_berth_over_docker} (first round ${ratios.first_round_cold_p99_berth_over_docker}); warm p50 ${ratios.warm_p50_berth_over_docker}, p99 ${ratios.warm_p99_berth_over_docker}   warm p50 berth/raw runc: ${ratios.warm_p50_berth_over_runc}`,
        `flood, berth/docker: ${ratios.flood_berth_over_docker}   berth/raw runc: ${ratios.flood_berth_over_runc}   (above 1: Berth is faster)`,
        `cold echo p99 / docker's: berth relayed through the terminal host ${ratios.cold_p99_socket_client_over_docker}, agent → conmon without the engine ${ratios.cold_p99_monitor_over_docker}`,
        '',
      ].join('\n'),
    );
    const json = { benchmark: 'terminal', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, results, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
