/**
 * Compose benchmark (npm run bench:compose): `docker compose up -d` and `down` of a five-service
 * stack (one network, two published ports), against Berth's Docker socket and against a dockerd of
 * its own, side by side in one run, rounds interleaved. Then name lookups inside a running stack:
 * A queries for another service, one at a time, from the container's network namespace to its own
 * resolver (Berth's aardvark-dns against dockerd's embedded DNS), in batches alternating between the two.
 *
 * Options: --rounds N (default 5; also the lookup batches), --lookups N (default 1000 a batch).
 * Needs root, and docker compose v2 (scripts/install-compose.sh puts it in place).
 * Leaves the machine as it found it: its dockerd, engine, bridges and temp dirs go when it ends.
 */
import { access, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../e2e/fixtures/ports.js';
import { startBerthEngine, type BerthEngine } from './berth-engine.js';
import { buildImageArchives } from './bench-image.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { formatTable, type LatencySummary, ratio, summarise } from './latency-summary.js';
import { captureMachineState } from './machine-state.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';
import { succeeded, timeCommand } from './timed-command.js';

const IMAGE = 'berth-bench/web:latest';
const LAYOUT_TAG = 'bench';
const COMPOSE_V2 = '/usr/local/lib/berth-test/cli-plugins/docker-compose';
const SERVICES = 5;
const STEP_TIMEOUT_MS = 5 * 60_000;

interface Target {
  label: string;
  env: NodeJS.ProcessEnv;
}

/** Five web servers on the project's default network; the first two publish a port each. */
function composeFile(ports: readonly number[]): string {
  const services = Array.from({ length: SERVICES }, (_, i) => {
    const published = ports[i] === undefined ? '' : `\n    ports: ["127.0.0.1:${ports[i]}:80"]`;
    return `  s${i + 1}:\n    image: ${IMAGE}${published}`;
  });
  return `services:\n${services.join('\n')}\n`;
}

/**
 * Sequential A queries for NAME to SERVER from inside a container's network namespace, each timed in
 * microseconds (one line each): the same client for both engines, so only the name servers differ.
 */
const LOOKUP_SCRIPT = String.raw`
import socket, struct, sys, time
server, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
question = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0' + struct.pack('>HH', 1, 1)
for i in range(count):
    started = time.perf_counter()
    s.sendto(struct.pack('>HHHHHH', i & 0xffff, 0x0100, 1, 0, 0, 0) + question, (server, 53))
    answer, _ = s.recvfrom(4096)
    took = time.perf_counter() - started
    if struct.unpack('>H', answer[6:8])[0] < 1:
        sys.exit('no address for ' + name)
    print(round(took * 1e6))
`;

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), {
    rounds: { flag: '--rounds', default: 5, min: 1, max: 50 },
    lookups: { flag: '--lookups', default: 1000, min: 10, max: 100_000 },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs containers and makes bridges: run it as root');
  await ensureCommands(DOCKER_BENCH_COMMANDS, log);
  await access(COMPOSE_V2).catch(() => {
    throw new Error(`docker compose v2 is missing at ${COMPOSE_V2}: run scripts/install-compose.sh first`);
  });
  const dockerdPath = (await findCommand('dockerd'))!;
  const dockerCli = (await access('/usr/bin/docker').then(() => '/usr/bin/docker', () => undefined)) ?? (await findCommand('docker'));
  if (!dockerCli) throw new Error('no docker CLI found (package docker.io)');

  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-compose-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  try {
    log('building the benchmark image');
    // A server that ends on SIGTERM (as a real one does), so `down` times the engines, not a stop timeout.
    const archives = await buildImageArchives(workDir, LAYOUT_TAG, IMAGE, { cmd: ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 80 -h /www & wait'], files: { '/www/index.html': 'compose bench\n' } });
    log('starting a dockerd and a Berth engine of their own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    berth = await startBerthEngine(workDir, log);
    const configs = { berth: join(workDir, 'berth-cli-config'), docker: join(workDir, 'docker', 'cli-config') };
    for (const config of Object.values(configs)) {
      await mkdir(join(config, 'cli-plugins'), { recursive: true });
      await symlink(COMPOSE_V2, join(config, 'cli-plugins', 'docker-compose'));
    }
    const targets: Target[] = [
      { label: 'berth', env: { ...process.env, DOCKER_HOST: `unix://${join(berth.home, 'docker.sock')}`, DOCKER_CONFIG: configs.berth } },
      { label: 'docker', env: { ...process.env, DOCKER_HOST: `unix://${join(workDir, 'docker', 'docker.sock')}`, DOCKER_CONFIG: configs.docker } },
    ];
    const run = (target: Target, args: string[]) => timeCommand([dockerCli, ...args], { env: target.env, timeoutMs: STEP_TIMEOUT_MS });
    for (const target of targets) succeeded(await run(target, ['load', '-i', archives.dockerArchive]), `${target.label} load`);
    const file = join(workDir, 'compose.yaml');
    await writeFile(file, composeFile([await freePort('127.0.0.1'), await freePort('127.0.0.1')]));

    const up = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    const down = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    log(`compose up -d and down of ${SERVICES} services, ${options.rounds} rounds`);
    for (let round = 0; round < options.rounds; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const project = ['compose', '-f', file, '-p', `bench${round}`];
        const started = await run(target, [...project, 'up', '-d']);
        succeeded(started, `${target.label} compose up`);
        up.get(target.label)!.push(started.ms);
        const stopped = await run(target, [...project, 'down', '-t', '1']);
        succeeded(stopped, `${target.label} compose down`);
        down.get(target.label)!.push(stopped.ms);
      }
    }

    // Both stacks run at once and the batches alternate, so neither engine's lookups come first after
    // the machine's busiest moment (a measured order effect: the first batch's tail was up to 2x either way).
    log(`${options.lookups} name lookups in a running stack, ${options.rounds} batches each, interleaved`);
    const lookups = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    // No published ports: the two stacks run side by side, and names need none.
    const lookupFile = join(workDir, 'lookups.yaml');
    await writeFile(lookupFile, composeFile([]));
    const stack = ['compose', '-f', lookupFile, '-p', 'lookups'];
    const askers: { target: Target; pid: string; server: string }[] = [];
    const stacksUp: Target[] = [];
    try {
      for (const target of targets) {
        stacksUp.push(target);
        succeeded(await run(target, [...stack, 'up', '-d']), `${target.label} compose up`);
        // The container's own resolver (aardvark-dns on the gateway, or dockerd's 127.0.0.11), asked from its namespace.
        const pid = succeeded(await run(target, ['inspect', '--format', '{{.State.Pid}}', 'lookups-s1-1']), `${target.label} inspect`).stdout.trim();
        const resolv = await readFile(`/proc/${pid}/root/etc/resolv.conf`, 'utf8');
        const server = /^nameserver\s+(\S+)/m.exec(resolv)?.[1];
        if (!server) throw new Error(`${target.label}: no nameserver in the container's resolv.conf`);
        askers.push({ target, pid, server });
      }
      for (let round = 0; round < options.rounds; round++) {
        for (const { target, pid, server } of round % 2 === 0 ? askers : [...askers].reverse()) {
          const out = succeeded(await timeCommand(['nsenter', `--net=/proc/${pid}/ns/net`, 'python3', '-c', LOOKUP_SCRIPT, server, 's2', String(options.lookups)], { timeoutMs: STEP_TIMEOUT_MS }), `${target.label} lookups`).stdout.trim();
          lookups.get(target.label)!.push(...out.split('\n').map((us) => Number(us) / 1000));
        }
      }
    } finally {
      for (const target of stacksUp) succeeded(await run(target, [...stack, 'down', '-t', '1']), `${target.label} compose down`);
    }

    const rows: LatencySummary[] = [];
    for (const target of targets) {
      rows.push(summarise(`${target.label}: compose up -d`, up.get(target.label)!)!, summarise(`${target.label}: compose down`, down.get(target.label)!)!);
    }
    const p = (values: readonly number[], at: number) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.ceil((at / 100) * values.length) - 1)]!;
    const b = { up: up.get('berth')!, down: down.get('berth')!, lookups: lookups.get('berth')! };
    const d = { up: up.get('docker')!, down: down.get('docker')!, lookups: lookups.get('docker')! };
    const ratios = {
      up_p50_docker_over_berth: ratio(p(d.up, 50), p(b.up, 50)),
      down_p50_docker_over_berth: ratio(p(d.down, 50), p(b.down, 50)),
      lookup_p50_berth_over_docker: ratio(p(b.lookups, 50), p(d.lookups, 50)),
      lookup_p99_berth_over_docker: ratio(p(b.lookups, 99), p(d.lookups, 99)),
    };
    const lookupRow = (label: string, ms: readonly number[]) => `${label}: lookup p50 ${p(ms, 50).toFixed(2)} ms, p99 ${p(ms, 99).toFixed(2)} ms`;
    const versions = succeeded(await run(targets[1]!, ['version', '--format', '{{.Server.Version}}']), 'docker version').stdout.trim();
    const composeVersion = succeeded(await run(targets[1]!, ['compose', 'version', '--short']), 'compose version').stdout.trim();
    process.stdout.write(
      [
        '',
        `Compose: docker compose ${composeVersion} against Berth and against dockerd ${versions}, ${SERVICES} services, ${options.rounds} rounds interleaved; ${options.rounds} interleaved batches of ${options.lookups} lookups of a service name from a container to its resolver.`,
        '',
        formatTable(rows),
        '',
        lookupRow('berth (aardvark-dns)', b.lookups),
        lookupRow('docker (embedded DNS)', d.lookups),
        '',
        `docker/berth p50 (above 1: Berth is faster): up ${ratios.up_p50_docker_over_berth}, down ${ratios.down_p50_docker_over_berth}; lookups berth/docker (below 1: Berth is faster): p50 ${ratios.lookup_p50_berth_over_docker}, p99 ${ratios.lookup_p99_berth_over_docker}`,
        '',
      ].join('\n'),
    );
    const json = { benchmark: 'compose', date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length }, options, dockerVersion: versions, composeVersion, rows, ratios };
    process.stdout.write(`\n${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
