/**
 * Build benchmark (npm run bench:build): the same Dockerfile (FROM an image on a loopback registry, a
 * RUN, a COPY of 50 MB) built cold and rebuilt with nothing changed, by Berth (its own CLI, and the
 * docker CLI through Berth's classic /build) and by a dockerd of the benchmark's own (classic builder
 * and BuildKit), side by side in one run, rounds interleaved.
 *
 * Cold: no build cache (`--no-cache`), the base image pulled already, as after a first `pull`; for
 * Berth that includes handing the base to buildah, which is taken out of buildah's storage first.
 * Options: --rounds N (default 3), --megabytes N (default 50). Needs root.
 * Leaves the machine as it found it: its dockerd, engine, registry, bridges and temp dirs go when it ends.
 */
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../e2e/fixtures/registry.js';
import { startBerthEngine, type BerthEngine } from './berth-engine.js';
import { baseAndContext } from './bench-image.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { formatTable, type LatencySummary, p50, ratio, summarise } from './latency-summary.js';
import { captureMachineState } from './machine-state.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import { runChecked, succeeded, timeCommand, type CommandResult } from './timed-command.js';

const STEP_TIMEOUT_MS = 5 * 60_000;

interface Builder {
  label: string;
  /** Builds the context as `name`, from the cache or not; answers the timed command. */
  build(name: string, noCache: boolean): Promise<CommandResult>;
  /** Forgets what a cold build must not find: the built image, and for Berth the base in buildah's storage. */
  forget(name: string): Promise<void>;
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), {
    rounds: { flag: '--rounds', default: 3, min: 1, max: 20 },
    megabytes: { flag: '--megabytes', default: 50, min: 1, max: 1000 },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs builds and makes bridges: run it as root');
  await ensureCommands(DOCKER_BENCH_COMMANDS, log);
  if (!(await findCommand('buildah'))) throw new Error('buildah is missing: run scripts/install-system-deps.sh first');
  const dockerdPath = (await findCommand('dockerd'))!;
  // Debian's 20.10 CLI: it speaks BuildKit to the daemon's own builder without a buildx plugin.
  const dockerCli = '/usr/bin/docker';

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-build-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  let registry: TestRegistry | undefined;
  try {
    log('starting a registry, a dockerd and a Berth engine of their own');
    registry = await startRegistry();
    const { base, context } = await baseAndContext(workDir, registry, options.megabytes, 'RUN echo built > /built.txt\nCOPY data.bin /data.bin\n');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    berth = await startBerthEngine(workDir, log);

    const berthEngine = berth;
    const onBerth = { ...process.env, DOCKER_HOST: `unix://${join(berth.home, 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'berth-cli-config'), DOCKER_BUILDKIT: '0' };
    const onDocker = { ...process.env, DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'docker', 'cli-config') };
    const dockerCmd = (env: NodeJS.ProcessEnv, args: string[]) => timeCommand([dockerCli, ...args], { env, timeoutMs: STEP_TIMEOUT_MS });
    const buildahRmi = async (name: string) => {
      const storage = ['--root', `${berthEngine.dataRoot}/build/storage`, '--runroot', `${berthEngine.dataRoot}/build/run`, '--storage-driver', 'overlay'];
      await timeCommand(['buildah', ...storage, 'rmi', '--force', name], { timeoutMs: STEP_TIMEOUT_MS });
    };
    const forgetOnBerth = async (name: string) => {
      await berthEngine.cli(['rmi', name]);
      await buildahRmi(base);
    };
    const builders: Builder[] = [
      { label: 'berth build', build: (name, noCache) => berthEngine.cli(['build', '-t', name, ...(noCache ? ['--no-cache'] : []), context], STEP_TIMEOUT_MS), forget: forgetOnBerth },
      { label: 'docker CLI -> Berth (classic)', build: (name, noCache) => dockerCmd(onBerth, ['build', '-t', name, ...(noCache ? ['--no-cache'] : []), context]), forget: forgetOnBerth },
      {
        label: 'dockerd, classic builder',
        build: (name, noCache) => dockerCmd({ ...onDocker, DOCKER_BUILDKIT: '0' }, ['build', '-t', name, ...(noCache ? ['--no-cache'] : []), context]),
        forget: async (name) => void (await dockerCmd(onDocker, ['rmi', name])),
      },
      {
        label: 'dockerd, BuildKit',
        build: (name, noCache) => dockerCmd({ ...onDocker, DOCKER_BUILDKIT: '1' }, ['build', '-t', name, ...(noCache ? ['--no-cache'] : []), context]),
        forget: async (name) => void (await dockerCmd(onDocker, ['rmi', name])),
      },
    ];
    log('pulling the base image into both engines');
    succeeded(await berth.cli(['pull', base], STEP_TIMEOUT_MS), 'berth pull');
    succeeded(await dockerCmd(onDocker, ['pull', base]), 'docker pull');
    // A first build of each, untimed: both engines' builders start warm from here.
    for (const builder of builders) succeeded(await builder.build('bench/warmup:1', false), `${builder.label} warm-up`);

    const cold = new Map<string, number[]>(builders.map((b) => [b.label, []]));
    const cached = new Map<string, number[]>(builders.map((b) => [b.label, []]));
    log(`cold build and no-change rebuild, ${options.rounds} rounds, ${options.megabytes} MB COPY`);
    for (let round = 0; round < options.rounds; round++) {
      for (const builder of round % 2 === 0 ? builders : [...builders].reverse()) {
        const name = `bench/app:${round}`;
        await builder.forget(name);
        cold.get(builder.label)!.push(succeeded(await builder.build(name, true), `${builder.label} cold build`).ms);
        cached.get(builder.label)!.push(succeeded(await builder.build(name, false), `${builder.label} rebuild`).ms);
      }
    }

    const rows: LatencySummary[] = builders.flatMap((b) => [summarise(`${b.label}: cold`, cold.get(b.label)!)!, summarise(`${b.label}: rebuild`, cached.get(b.label)!)!]);
    const best = (map: Map<string, number[]>) => Math.min(p50(map.get('dockerd, classic builder')!), p50(map.get('dockerd, BuildKit')!));
    const ratios = {
      cold_berth_over_docker_best: ratio(p50(cold.get('berth build')!), best(cold)),
      rebuild_berth_over_docker_best: ratio(p50(cached.get('berth build')!), best(cached)),
    };
    const version = (await runChecked([dockerCli, 'version', '--format', '{{.Server.Version}}'], { env: onDocker })).stdout.trim();
    process.stdout.write(
      [
        '',
        `Build: a FROM on a loopback registry, a RUN, a COPY of ${options.megabytes} MB; Berth (buildah) against dockerd ${version}, ${options.rounds} rounds interleaved.`,
        '',
        formatTable(rows),
        '',
        `berth build p50 / dockerd's best p50 (below 1: Berth is faster): cold ${ratios.cold_berth_over_docker_best}, rebuild ${ratios.rebuild_berth_over_docker_best}`,
        '',
      ].join('\n'),
    );
    const json = { benchmark: 'build', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, dockerVersion: version, rows, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await registry?.stop();
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
