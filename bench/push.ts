/**
 * Push benchmark (npm run bench:push): one image (a busybox base and a 100 MB layer of random bytes)
 * pushed to a loopback docker-registry by Berth (its own CLI, and the docker CLI through Berth's API)
 * and by a dockerd of the benchmark's own, side by side in one run, rounds interleaved.
 *
 * Each round starts a fresh registry, so every push sends every layer (no pusher can mount a blob it
 * sent before); then each pushes again, when nothing need be sent. The image is built once by dockerd
 * and loaded into Berth from `docker save`, so both push the same bytes, gzipping its plain layers.
 * Options: --rounds N (default 3), --megabytes N (default 100). Needs root.
 * Leaves the machine as it found it: its dockerd, engine, registries, bridges and temp dirs go when it ends.
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

interface Pusher {
  label: string;
  /** Gives the image the name `name` (untimed). */
  tag(name: string): Promise<void>;
  push(name: string): Promise<CommandResult>;
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), {
    rounds: { flag: '--rounds', default: 3, min: 1, max: 20 },
    megabytes: { flag: '--megabytes', default: 100, min: 1, max: 1000 },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs engines and makes bridges: run it as root');
  await ensureCommands(DOCKER_BENCH_COMMANDS, log);
  const dockerdPath = (await findCommand('dockerd'))!;
  const dockerCli = '/usr/bin/docker';

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-push-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  let registry: TestRegistry | undefined;
  try {
    log('starting a registry, a dockerd and a Berth engine of their own');
    registry = await startRegistry();
    const { context } = await baseAndContext(workDir, registry, options.megabytes, 'COPY data.bin /data.bin\n');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    berth = await startBerthEngine(workDir, log);

    const berthEngine = berth;
    const onBerth = { ...process.env, DOCKER_HOST: `unix://${join(berth.home, 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'berth-cli-config') };
    const onDocker = { ...process.env, DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'docker', 'cli-config') };
    const dockerCmd = (env: NodeJS.ProcessEnv, args: string[]) => timeCommand([dockerCli, ...args], { env, timeoutMs: STEP_TIMEOUT_MS });

    log(`building the ${options.megabytes} MB image in dockerd and loading it into Berth`);
    succeeded(await dockerCmd({ ...onDocker, DOCKER_BUILDKIT: '0' }, ['build', '-q', '-t', 'bench/big:1', context]), 'docker build');
    const archive = join(workDir, 'big.tar');
    succeeded(await dockerCmd(onDocker, ['save', '-o', archive, 'bench/big:1']), 'docker save');
    succeeded(await berth.cli(['load', '-i', archive], STEP_TIMEOUT_MS), 'berth load');

    const pushers: Pusher[] = [
      { label: 'berth push', tag: async (name) => void succeeded(await berthEngine.cli(['tag', 'bench/big:1', name]), 'berth tag'), push: (name) => berthEngine.cli(['push', name], STEP_TIMEOUT_MS) },
      { label: 'docker CLI -> Berth', tag: async (name) => void succeeded(await dockerCmd(onBerth, ['tag', 'bench/big:1', name]), 'docker tag'), push: (name) => dockerCmd(onBerth, ['push', name]) },
      { label: 'dockerd', tag: async (name) => void succeeded(await dockerCmd(onDocker, ['tag', 'bench/big:1', name]), 'docker tag'), push: (name) => dockerCmd(onDocker, ['push', name]) },
    ];

    const first = new Map<string, number[]>(pushers.map((p) => [p.label, []]));
    const again = new Map<string, number[]>(pushers.map((p) => [p.label, []]));
    log(`push to a fresh registry, then push again, ${options.rounds} rounds`);
    for (let round = 0; round < options.rounds; round++) {
      for (const pusher of round % 2 === 0 ? pushers : [...pushers].reverse()) {
        const target = await startRegistry();
        try {
          const name = `${target.host}/bench/big:${round}`;
          await pusher.tag(name);
          first.get(pusher.label)!.push(succeeded(await pusher.push(name), `${pusher.label} push`).ms);
          again.get(pusher.label)!.push(succeeded(await pusher.push(name), `${pusher.label} push again`).ms);
        } finally {
          await target.stop();
        }
      }
    }

    const rows: LatencySummary[] = pushers.flatMap((p) => [summarise(`${p.label}: every layer`, first.get(p.label)!)!, summarise(`${p.label}: nothing new`, again.get(p.label)!)!]);
    const ratios = {
      push_berth_over_docker: ratio(p50(first.get('berth push')!), p50(first.get('dockerd')!)),
      again_berth_over_docker: ratio(p50(again.get('berth push')!), p50(again.get('dockerd')!)),
    };
    const version = (await runChecked([dockerCli, 'version', '--format', '{{.Server.Version}}'], { env: onDocker })).stdout.trim();
    process.stdout.write(
      [
        '',
        `Push: a busybox base and a ${options.megabytes} MB layer to a loopback docker-registry; Berth against dockerd ${version}, ${options.rounds} rounds interleaved.`,
        '',
        formatTable(rows),
        '',
        `berth push p50 / docker push p50 (below 1: Berth is faster): every layer ${ratios.push_berth_over_docker}, nothing new ${ratios.again_berth_over_docker}`,
        '',
      ].join('\n'),
    );
    const json = { benchmark: 'push', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, dockerVersion: version, rows, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await registry?.stop();
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
