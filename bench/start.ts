/**
 * Start-latency benchmark (npm run bench:start): how long `berth run -d IMAGE` takes to return with
 * the container running, against `docker run -d IMAGE` with dockerd, side by side in one run.
 *
 * Both run the same image (one busybox-static layer, loaded from one docker-save archive before any
 * timing), the same command (`sleep 300`), on their default bridge network. Runs are interleaved,
 * in rotating order, so machine noise spreads over both; each container is removed after it is
 * timed and checked running. Besides the CLIs it times the same start over each engine's socket
 * from this process (no CLI start-up), and each CLI's start-up alone.
 *
 * Options: --runs N (default 20, at most 200), --warmup N (default 2).
 * Needs root. Installs missing Debian packages (docker.io, skopeo, umoci, busybox-static, runc).
 * Leaves the machine as it found it: its dockerd, engine, bridges and temp dirs go when it ends.
 */
import { access, mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH_CLI, startBerthEngine, type BerthEngine } from './berth-engine.js';
import { buildImageArchives, loadIntoBerth } from './bench-image.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { formatTable, summarise, type LatencySummary } from './latency-summary.js';
import { captureMachineState } from './machine-state.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import type { CommandResult } from './timed-command.js';

const IMAGE = 'berth-bench/busybox:latest';
const LAYOUT_TAG = 'bench';
const COMMAND = ['sleep', '300'];
const OPTIONS = {
  runs: { flag: '--runs', default: 20, min: 1, max: 200 },
  warmup: { flag: '--warmup', default: 2, min: 0, max: 10 },
};
/** The timed loop stops early (and says so) rather than run past this. */
const MEASURE_BUDGET_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 60_000;

/** One thing timed per round: start a container (or just a CLI) and give back its id and time. */
interface Measure {
  key: string;
  label: string;
  once(name: string): Promise<{ id: string; ms: number }>;
  /** Untimed: the container must be running when the start call has returned. */
  isRunning?(id: string): Promise<boolean>;
  remove?(id: string): Promise<void>;
}


function containerId(result: CommandResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  const id = result.stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`${what} printed no container id: ${result.stdout.trim()}`);
  return id;
}

function dockerMeasures(docker: DockerDaemon): Measure[] {
  return [
    {
      key: 'docker_cli_run',
      label: 'docker run -d (CLI)',
      async once(name) {
        const result = await docker.cli(['run', '-d', '--name', name, IMAGE, ...COMMAND], RUN_TIMEOUT_MS);
        return { id: containerId(result, 'docker run -d'), ms: result.ms };
      },
      isRunning: (id) => docker.isRunning(id),
      remove: (id) => docker.remove(id),
    },
    {
      key: 'docker_api_run',
      label: 'docker API create+start (no CLI)',
      once: (name) => docker.apiRun(IMAGE, COMMAND, name),
      isRunning: (id) => docker.isRunning(id),
      remove: (id) => docker.remove(id),
    },
    {
      key: 'docker_cli_startup',
      label: 'docker --version (CLI start-up only)',
      async once() {
        const result = await docker.cli(['--version'], RUN_TIMEOUT_MS);
        if (result.code !== 0) throw new Error(`docker --version exited ${result.code}`);
        return { id: '', ms: result.ms };
      },
    },
  ];
}

function berthMeasures(berth: BerthEngine, image: string): Measure[] {
  return [
    {
      key: 'berth_cli_run',
      label: 'berth run -d (CLI)',
      async once(name) {
        const result = await berth.cli(['run', '-d', '--name', name, image, ...COMMAND], RUN_TIMEOUT_MS);
        return { id: containerId(result, 'berth run -d'), ms: result.ms };
      },
      isRunning: (id) => berth.isRunning(id),
      remove: (id) => berth.remove(id),
    },
    {
      key: 'berth_api_run',
      label: 'berth containers.run over socket (no CLI)',
      once: (name) => berth.apiRun(image, COMMAND, name),
      isRunning: (id) => berth.isRunning(id),
      remove: (id) => berth.remove(id),
    },
    {
      key: 'berth_cli_startup',
      label: 'berth --help (CLI start-up only)',
      async once() {
        const result = await berth.cli(['--help'], RUN_TIMEOUT_MS);
        if (result.code !== 0) throw new Error(`berth --help exited ${result.code}`);
        return { id: '', ms: result.ms };
      },
    },
  ];
}

interface MeasureResult {
  samples: number[];
  notRunning: number;
  errors: string[];
}

async function measureRounds(
  measures: readonly Measure[],
  options: Record<keyof typeof OPTIONS, number>,
  stopRequested: () => boolean,
): Promise<{ results: Map<string, MeasureResult>; rounds: number }> {
  const results = new Map(measures.map((m) => [m.key, { samples: [], notRunning: 0, errors: [] } as MeasureResult]));
  const deadline = Date.now() + MEASURE_BUDGET_MS;
  const dropped = new Set<string>();
  let rounds = 0;
  for (let round = -options.warmup; round < options.runs; round++) {
    if (stopRequested()) break;
    if (Date.now() > deadline) {
      log(`time budget of ${MEASURE_BUDGET_MS / 60_000} min used up after ${rounds} rounds: stopping early`);
      break;
    }
    // Rotating the order every round spreads warm caches and machine noise over every measure.
    const order = measures.map((_, i) => measures[(i + round + options.warmup) % measures.length]!);
    for (const measure of order) {
      if (dropped.has(measure.key)) continue;
      const result = results.get(measure.key)!;
      const name = `bench-${measure.key.replaceAll('_', '-')}-${round + options.warmup}`;
      let id = '';
      try {
        const timed = await measure.once(name);
        id = timed.id;
        if (measure.isRunning && !(await measure.isRunning(id))) {
          result.notRunning++;
          log(`${measure.label}: container ${name} was not running when the call returned`);
        } else if (round >= 0) {
          result.samples.push(timed.ms);
        }
      } catch (err) {
        result.errors.push((err as Error).message);
        log(`${measure.label}: ${(err as Error).message}`);
        // A measure that fails three times before any success will not start working: drop it, keep the rest.
        if (result.errors.length >= 3 && result.samples.length === 0) {
          dropped.add(measure.key);
          log(`${measure.label} keeps failing: no longer timed`);
        }
      } finally {
        if (id && measure.remove) await measure.remove(id).catch((err: Error) => log(`removing ${name}: ${err.message}`));
      }
    }
    if (round >= 0) rounds++;
  }
  return { results, rounds };
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), OPTIONS);
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs containers and makes bridges: run it as root');
  await ensureCommands([...DOCKER_BENCH_COMMANDS, { command: 'iptables', debianPackage: 'iptables' }], log);
  const dockerdPath = (await findCommand('dockerd'))!;
  // The CLI from the same package as dockerd (docker.io puts it in /usr/bin), not whatever is first on PATH.
  const dockerCli = (await access('/usr/bin/docker').then(() => '/usr/bin/docker', () => undefined)) ?? (await findCommand('docker'));
  if (!dockerCli) throw new Error('no docker CLI found (package docker.io)');

  let stopRequested = false;
  const onSignal = (signal: string) => {
    log(`${signal}: finishing the current run, then cleaning up`);
    stopRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  let berthError: string | undefined;
  let exitCode = 0;
  try {
    log('building the benchmark image');
    const archives = await buildImageArchives(workDir, LAYOUT_TAG, IMAGE, { cmd: COMMAND });

    log('starting a dockerd of its own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    await docker.load(archives.dockerArchive);
    const measures = dockerMeasures(docker);

    let berthImage = '';
    try {
      await access(BERTH_CLI).catch(() => {
        throw new Error(`${BERTH_CLI} is missing: run npm run build first`);
      });
      log('starting a Berth engine of its own');
      berth = await startBerthEngine(workDir, log);
      berthImage = await loadIntoBerth(berth, workDir, archives, LAYOUT_TAG, log);
      // One untimed start proves the engine can run the image before it is measured.
      const probe = await berth.cli(['run', '-d', '--name', 'bench-probe', berthImage, ...COMMAND], RUN_TIMEOUT_MS);
      const probeId = containerId(probe, 'berth run -d');
      await berth.remove(probeId);
      measures.push(...berthMeasures(berth, berthImage));
    } catch (err) {
      berthError = (err as Error).message;
      log(`Berth cannot be measured: ${berthError}`);
      exitCode = 1;
    }

    log(`timing ${options.runs} runs of each (after ${options.warmup} warm-up rounds), interleaved`);
    const { results, rounds } = await measureRounds(measures, options, () => stopRequested);

    const summaries = new Map<string, LatencySummary>();
    // Each docker row next to its Berth counterpart.
    const tableOrder = ['docker_cli_run', 'berth_cli_run', 'docker_api_run', 'berth_api_run', 'docker_cli_startup', 'berth_cli_startup'];
    const byTableOrder = [...measures].sort((a, b) => tableOrder.indexOf(a.key) - tableOrder.indexOf(b.key));
    for (const measure of byTableOrder) {
      const summary = summarise(measure.label, results.get(measure.key)!.samples);
      if (summary) summaries.set(measure.key, summary);
    }
    const ratio = (berthKey: string, dockerKey: string) => {
      const b = summaries.get(berthKey);
      const d = summaries.get(dockerKey);
      return b && d ? Math.round((b.p50 / d.p50) * 100) / 100 : undefined;
    };
    const ratios = {
      cli_run_p50_berth_over_docker: ratio('berth_cli_run', 'docker_cli_run'),
      api_run_p50_berth_over_docker: ratio('berth_api_run', 'docker_api_run'),
    };

    process.stdout.write(
      [
        '',
        `Start latency: run -d of a cached image (busybox-static, \`${COMMAND.join(' ')}\`), default bridge network,`,
        `${rounds} interleaved rounds after ${options.warmup} warm-up; wall time from spawn (or call) to return, container running.`,
        `docker: ${docker.version}`,
        `berth:  ${berth ? `node ${process.version}, ${BERTH_CLI}` : `not measured: ${berthError}`}`,
        '',
        formatTable([...summaries.values()]),
        '',
        `berth/docker p50, run -d through the CLIs:        ${ratios.cli_run_p50_berth_over_docker ?? 'n/a'}`,
        `berth/docker p50, over the API sockets (no CLIs): ${ratios.api_run_p50_berth_over_docker ?? 'n/a'}`,
        '',
      ].join('\n'),
    );
    const problems = measures.flatMap((m) => {
      const r = results.get(m.key)!;
      return [
        ...(r.notRunning > 0 ? [`${m.label}: ${r.notRunning} container(s) not running on return`] : []),
        ...r.errors.map((e) => `${m.label}: ${e}`),
      ];
    });
    for (const problem of problems) process.stdout.write(`problem: ${problem}\n`);
    if (problems.length > 0) exitCode = 1;
    const json = {
      benchmark: 'start-latency',
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length },
      docker: docker.version,
      berthError,
      command: COMMAND,
      rounds,
      warmup: options.warmup,
      results: Object.fromEntries([...summaries.entries()]),
      ratios,
      problems,
    };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
  } finally {
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
  return exitCode;
}

runBenchmark(main);
