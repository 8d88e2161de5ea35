/**
 * Docker API benchmark (npm run bench:docker): one docker CLI (Debian's docker.io, the same binary for
 * both) against Berth's Docker socket and against a dockerd of its own, side by side in one run:
 *   - `docker run -d -p 127.0.0.1:PORT:80 IMAGE` until the published port serves the page;
 *   - `docker ps -a` with 100 containers;
 *   - `docker exec C true`, a whole round trip through the CLI;
 *   - `docker logs C` of a container that wrote 100 MB of lines (bytes delivered per second, and how
 *     many: Berth keeps the last 10 MB × 3 generations of a log by default, dockerd's json-file all).
 * Rounds are interleaved, Berth and Docker in turn, so machine noise falls on both.
 *
 * Options: --runs N (default 10), --ps-containers N (default 100), --log-mb N (default 100).
 * Needs root. Installs missing Debian packages (docker.io, skopeo, umoci, busybox-static, runc).
 * Leaves the machine as it found it: its dockerd, engine, bridges and temp dirs go when it ends.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, httpGet } from '../e2e/fixtures/ports.js';
import { startBerthEngine, type BerthEngine } from './berth-engine.js';
import { buildImageArchives } from './bench-image.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { formatTable, summarise, type LatencySummary } from './latency-summary.js';
import { captureMachineState } from './machine-state.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import { succeeded, timeCommand, type CommandResult } from './timed-command.js';

const IMAGE = 'berth-bench/web:latest';
const LAYOUT_TAG = 'bench';
const PAGE = 'served by the benchmark\n';
const SERVE_TIMEOUT_MS = 10_000;
const LOG_TIMEOUT_MS = 5 * 60_000;

/** One engine as the docker CLI sees it. */
interface Target {
  label: string;
  docker(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  env: NodeJS.ProcessEnv;
}

/** `run -d -p` until the page comes back through the published port. */
async function runToServing(target: Target, name: string): Promise<number> {
  const port = await freePort('127.0.0.1');
  const started = performance.now();
  succeeded(await target.docker(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, IMAGE]), `${target.label} run`);
  for (const deadline = started + SERVE_TIMEOUT_MS; ; ) {
    const body = await httpGet('127.0.0.1', port).catch(() => '');
    if (body === PAGE) return performance.now() - started;
    if (performance.now() > deadline) throw new Error(`${target.label}: ${name} did not serve within ${SERVE_TIMEOUT_MS} ms`);
  }
}

/** `docker logs C` with its output counted and dropped: bytes and milliseconds. */
function timeLogs(target: Target, container: string): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('docker', ['logs', container], { env: target.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const timer = setTimeout(() => child.kill('SIGKILL'), LOG_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ bytes, ms: performance.now() - started });
      else reject(new Error(`${target.label}: docker logs exited ${code}`));
    });
  });
}

interface Samples {
  run: number[];
  ps: number[];
  exec: number[];
  logsMbPerSec: number[];
  logBytes: number;
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), {
    runs: { flag: '--runs', default: 10, min: 1, max: 100 },
    psContainers: { flag: '--ps-containers', default: 100, min: 1, max: 500 },
    logMb: { flag: '--log-mb', default: 100, min: 1, max: 1000 },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs containers and makes bridges: run it as root');
  await ensureCommands([...DOCKER_BENCH_COMMANDS, { command: 'iptables', debianPackage: 'iptables' }], log);
  const dockerdPath = (await findCommand('dockerd'))!;
  // The CLI from the same package as dockerd, for both engines.
  const dockerCli = (await access('/usr/bin/docker').then(() => '/usr/bin/docker', () => undefined)) ?? (await findCommand('docker'));
  if (!dockerCli) throw new Error('no docker CLI found (package docker.io)');

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-docker-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  try {
    log('building the benchmark image');
    const archives = await buildImageArchives(workDir, LAYOUT_TAG, IMAGE, { cmd: ['httpd', '-f', '-p', '80', '-h', '/www'], files: { '/www/index.html': PAGE } });
    log('starting a dockerd and a Berth engine of their own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    berth = await startBerthEngine(workDir, log);
    const berthEnv = { ...process.env, DOCKER_HOST: `unix://${join(berth.home, 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'berth-cli-config') };
    const dockerd = docker;
    const targets: Target[] = [
      { label: 'berth', env: berthEnv, docker: (args, timeoutMs) => timeCommand([dockerCli, ...args], { env: berthEnv, timeoutMs }) },
      { label: 'docker', env: { ...process.env, DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'docker', 'cli-config') }, docker: (args, timeoutMs) => dockerd.cli(args, timeoutMs) },
    ];
    for (const target of targets) succeeded(await target.docker(['load', '-i', archives.dockerArchive], 120_000), `${target.label} load`);

    const samples = new Map<string, Samples>(targets.map((t) => [t.label, { run: [], ps: [], exec: [], logsMbPerSec: [], logBytes: 0 }]));
    log(`run -d -p to serving, ${options.runs} rounds`);
    for (let round = 0; round < options.runs; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const name = `bench-run-${round}`;
        samples.get(target.label)!.run.push(await runToServing(target, name));
        succeeded(await target.docker(['rm', '-f', name]), `${target.label} rm`);
      }
    }

    log(`ps -a with ${options.psContainers} containers, and exec round trips`);
    for (const target of targets) {
      for (let i = 0; i < options.psContainers; i++) succeeded(await target.docker(['create', '--name', `bench-ps-${i}`, IMAGE]), `${target.label} create`);
      succeeded(await target.docker(['run', '-d', '--name', 'bench-exec', IMAGE]), `${target.label} run`);
    }
    for (let round = 0; round < options.runs * 2; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const ps = await target.docker(['ps', '-a']);
        const rows = succeeded(ps, `${target.label} ps`).stdout.trim().split('\n').length - 1;
        if (rows < options.psContainers) throw new Error(`${target.label}: ps -a listed ${rows} containers, not ${options.psContainers}`);
        samples.get(target.label)!.ps.push(ps.ms);
        const exec = await target.docker(['exec', 'bench-exec', 'true']);
        succeeded(exec, `${target.label} exec`);
        samples.get(target.label)!.exec.push(exec.ms);
      }
    }
    for (const target of targets) {
      const names = ['bench-exec', ...Array.from({ length: options.psContainers }, (_, i) => `bench-ps-${i}`)];
      succeeded(await target.docker(['rm', '-f', ...names], 120_000), `${target.label} rm`);
    }

    log(`logs of ${options.logMb} MB`);
    for (const target of targets) {
      const writer = `head -c ${options.logMb * 1_000_000} /dev/zero | tr '\\0' x | fold -w 99`;
      succeeded(await target.docker(['run', '--name', 'bench-logs', '-d', IMAGE, 'sh', '-c', writer]), `${target.label} run`);
      succeeded(await target.docker(['wait', 'bench-logs'], LOG_TIMEOUT_MS), `${target.label} wait`);
    }
    for (let round = 0; round < 3; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const { bytes, ms } = await timeLogs(target, 'bench-logs');
        const s = samples.get(target.label)!;
        s.logBytes = bytes;
        s.logsMbPerSec.push(bytes / 1e6 / (ms / 1000));
      }
    }
    for (const target of targets) succeeded(await target.docker(['rm', '-f', 'bench-logs']), `${target.label} rm`);

    const rows: LatencySummary[] = [];
    for (const [label, s] of samples) rows.push(summarise(`${label}: run -d -p to serving`, s.run)!, summarise(`${label}: ps -a (${options.psContainers})`, s.ps)!, summarise(`${label}: exec true`, s.exec)!);
    const b = samples.get('berth')!;
    const d = samples.get('docker')!;
    const p50 = (values: readonly number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    const ratios = {
      run_p50_berth_over_docker: ratio(p50(b.run), p50(d.run)),
      ps_p50_berth_over_docker: ratio(p50(b.ps), p50(d.ps)),
      exec_p50_berth_over_docker: ratio(p50(b.exec), p50(d.exec)),
      logs_mb_per_s_berth_over_docker: ratio(p50(b.logsMbPerSec), p50(d.logsMbPerSec)),
    };
    const dockerVersion = succeeded(await docker.cli(['version', '--format', '{{.Client.Version}} / {{.Server.Version}}']), 'docker version').stdout.trim();
    process.stdout.write(
      [
        '',
        `Docker API: the docker CLI ${dockerVersion.split(' / ')[0]} against Berth and against dockerd ${dockerVersion.split(' / ')[1]}, ${options.runs} rounds, interleaved.`,
        '',
        formatTable(rows),
        '',
        `logs: berth ${p50(b.logsMbPerSec).toFixed(0)} MB/s (${(b.logBytes / 1e6).toFixed(0)} MB kept), docker ${p50(d.logsMbPerSec).toFixed(0)} MB/s (${(d.logBytes / 1e6).toFixed(0)} MB)`,
        `berth/docker p50: run -d -p ${ratios.run_p50_berth_over_docker}, ps -a ${ratios.ps_p50_berth_over_docker}, exec ${ratios.exec_p50_berth_over_docker} (below 1: Berth is faster); logs MB/s ${ratios.logs_mb_per_s_berth_over_docker} (above 1: Berth is faster)`,
        '',
      ].join('\n'),
    );
    const json = { benchmark: 'docker', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, dockerVersion, rows, logs: { berth: { mbPerSec: b.logsMbPerSec, bytes: b.logBytes }, docker: { mbPerSec: d.logsMbPerSec, bytes: d.logBytes } }, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
