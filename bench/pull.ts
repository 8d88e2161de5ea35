/**
 * Pull benchmark (npm run bench:pull): one two-layer image (a Debian base and a Node app's
 * node_modules, ~130 MB gzipped, ~440 MB unpacked), in a gzip and a zstd variant, pulled from a
 * loopback docker-registry by Berth and by a dockerd of the benchmark's own, side by side in one
 * run, rounds interleaved, cold each time (the image removed after every pull).
 *
 * Each round also takes every layer's unpack apart (download, decompress, hash, check, extract, each
 * alone), times Berth's whole unpack on this host and into the WSL host (Berth's distro in the
 * wsl.exe simulator), and GNU tar's own `tar -xzf` of the same blob: the limit.
 * Everything runs on a fresh ext4 of the benchmark's own (see makeScratchFilesystem).
 * Options: --rounds N (default 5). Needs root, and the distro rootfs the build makes
 * (build/out/berth-distro.tar.gz). Leaves the machine as it found it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../electron/engine/engine-config.js';
import { startRegistry, type TestRegistry } from '../e2e/fixtures/registry.js';
import { startBerthEngine, type BerthEngine } from './berth-engine.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { formatTable, type LatencySummary, p50, ratio, summarise } from './latency-summary.js';
import { captureMachineState } from './machine-state.js';
import { makeBenchLayers, writeBenchLayout, type Compression } from './pull-image.js';
import { STAGES, timeStages, type Stage } from './pull-stages.js';
import { makeScratchFilesystem } from './scratch-filesystem.js';
import { startSimulatedWslHost, type SimulatedWslHost } from './wsl-sim-host.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import { runChecked, succeeded, timeCommand, type CommandResult } from './timed-command.js';

const STEP_TIMEOUT_MS = 5 * 60_000;
const COMPRESSIONS: readonly Compression[] = ['gzip', 'zstd'];
/** Room for the layers in every form, the registry's copy, and both engines' (sparse: only what is written takes disk). */
const FILESYSTEM_GIB = 12;

interface Puller {
  label: string;
  pull(reference: string): Promise<CommandResult>;
  remove(reference: string): Promise<CommandResult>;
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), { rounds: { flag: '--rounds', default: 5, min: 1, max: 20 } });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs engines that unpack as root: run it as root');
  const distro = join(packageRoot(), 'build', 'out', 'berth-distro.tar.gz');
  if (!existsSync(distro)) throw new Error(`${distro} is missing: build it first (node dist/build/distro/build-distro.js)`);
  await ensureCommands([...DOCKER_BENCH_COMMANDS, { command: 'zstd', debianPackage: 'zstd' }], log);
  const dockerdPath = (await findCommand('dockerd'))!;
  const dockerCli = '/usr/bin/docker';

  const before = await captureMachineState();
  const filesystem = await makeScratchFilesystem(FILESYSTEM_GIB);
  // Everything the run writes goes there: the engines' homes and data, dockerd's, the registry's.
  process.env.TMPDIR = filesystem.dir;
  const workDir = await mkdtemp(join(filesystem.dir, 'berth-bench-pull-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  let registry: TestRegistry | undefined;
  let wsl: SimulatedWslHost | undefined;
  try {
    log('tarring and compressing the two layers (gzip -6 and zstd -3)');
    const layers = await makeBenchLayers(workDir, distro, packageRoot());
    const layout = join(workDir, 'layout');
    await writeBenchLayout(layout, layers);
    registry = await startRegistry();
    const references = new Map<Compression, string>();
    for (const compression of COMPRESSIONS) references.set(compression, await registry.push(layout, compression, 'bench/pull'));

    log('importing Berth\'s distro into the wsl.exe simulator');
    wsl = await startSimulatedWslHost(distro, workDir);
    log('starting a dockerd and a Berth engine of their own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    berth = await startBerthEngine(workDir, log);
    const berthEngine = berth;
    const onDocker = { ...process.env, DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: join(workDir, 'docker', 'cli-config') };
    const dockerCmd = (args: string[]) => timeCommand([dockerCli, ...args], { env: onDocker, timeoutMs: STEP_TIMEOUT_MS });
    const pullers: Puller[] = [
      { label: 'berth pull', pull: (ref) => berthEngine.cli(['pull', ref], STEP_TIMEOUT_MS), remove: (ref) => berthEngine.cli(['rmi', ref]) },
      { label: 'docker pull', pull: (ref) => dockerCmd(['pull', ref]), remove: (ref) => dockerCmd(['rmi', ref]) },
    ];

    const pulls = new Map<string, number[]>();
    const stages = new Map<string, number[]>();
    const add = (map: Map<string, number[]>, key: string, value: number) => map.set(key, [...(map.get(key) ?? []), value]);
    const refused = new Set<string>();
    const scratch = join(workDir, 'stages');
    await mkdir(scratch);
    log(`pulling each variant with each engine, then the unpack's stages, ${options.rounds} rounds`);
    for (let round = 0; round < options.rounds; round++) {
      for (const compression of COMPRESSIONS) {
        const reference = references.get(compression)!;
        for (const puller of round % 2 === 0 ? pullers : [...pullers].reverse()) {
          const key = `${puller.label}, ${compression}`;
          if (refused.has(key)) continue;
          await runChecked(['sync']);
          const result = await puller.pull(reference);
          if (result.code !== 0) {
            // dockerd before 23 may not read zstd layers: that row is left out, and said why.
            log(`${key} failed, left out: ${(result.stderr.trim() || result.stdout.trim()).split('\n').pop()}`);
            refused.add(key);
            continue;
          }
          add(pulls, key, result.ms);
          succeeded(await puller.remove(reference), `${puller.label} rmi`);
        }
      }
      for (const layer of layers) {
        for (const compression of COMPRESSIONS) {
          const blobUrl = `http://${registry.host}/v2/bench/pull/blobs/${layer.blobs[compression].digest}`;
          const times = await timeStages(layer, compression, blobUrl, scratch, wsl.host);
          for (const stage of STAGES) add(stages, stageKey(layer.label, compression, stage), times[stage]);
        }
      }
      log(`round ${round + 1} of ${options.rounds} done`);
    }

    const rows: LatencySummary[] = [...pulls].map(([label, samples]) => summarise(label, samples)!);
    const median = (key: string) => p50(stages.get(key) ?? [NaN]);
    const stageTable = layers.flatMap((layer) =>
      COMPRESSIONS.map((compression) => `${`${layer.label}, ${compression}`.padEnd(20)}${STAGES.map((stage) => `${Math.round(median(stageKey(layer.label, compression, stage)))}`.padStart(11)).join('')}`),
    );
    const pullP50 = (key: string) => p50(pulls.get(key) ?? [NaN]);
    const unpackOverLimit = (compression: Compression) =>
      layers.map((layer) => `${layer.label} ${ratio(median(stageKey(layer.label, compression, 'unpack')), median(stageKey(layer.label, compression, 'limit')))}`).join(', ');
    const ratios = {
      docker_over_berth_gzip: ratio(pullP50('docker pull, gzip'), pullP50('berth pull, gzip')),
      docker_over_berth_zstd: ratio(pullP50('docker pull, zstd'), pullP50('berth pull, zstd')),
      berth_zstd_over_gzip: ratio(pullP50('berth pull, zstd'), pullP50('berth pull, gzip')),
    };
    const version = (await runChecked([dockerCli, 'version', '--format', '{{.Server.Version}}'], { env: onDocker })).stdout.trim();
    const sizes = layers.map((layer) => `${layer.label}: gzip ${mb(layer.blobs.gzip.size)}, zstd ${mb(layer.blobs.zstd.size)}`).join('; ');
    process.stdout.write(
      [
        '',
        `Pull: two layers (${sizes}) from a loopback docker-registry, cold; Berth against dockerd ${version}, ${options.rounds} rounds interleaved.`,
        '',
        formatTable(rows),
        '',
        `docker pull p50 / berth pull p50 (target at least 1.5): gzip ${ratios.docker_over_berth_gzip}, zstd ${ratios.docker_over_berth_zstd}`,
        `berth pull of zstd / of gzip (target at most 1): ${ratios.berth_zstd_over_gzip}`,
        '',
        `Each layer's unpack taken apart, p50 ms (unpack: Berth's whole pipeline; unpack-wsl: into the WSL host through wsl.exe; limit: GNU tar -x with -z or --zstd of the same blob):`,
        `${''.padEnd(20)}${STAGES.map((stage) => stage.padStart(11)).join('')}`,
        ...stageTable,
        '',
        `Berth's unpack / the limit (target at most 1.2): gzip ${unpackOverLimit('gzip')}; zstd ${unpackOverLimit('zstd')}`,
        '',
      ].join('\n'),
    );
    const stageMedians = Object.fromEntries([...stages].map(([key, samples]) => [key, Math.round(p50(samples))]));
    const json = { benchmark: 'pull', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, dockerVersion: version, rows, stageMedians, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await registry?.stop();
    await wsl?.remove();
    await cleanUpBenchmark({ berth, docker, workDir, filesystem, before });
  }
}

function stageKey(layer: string, compression: Compression, stage: Stage): string {
  return `${layer}, ${compression}: ${stage}`;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

runBenchmark(main);
