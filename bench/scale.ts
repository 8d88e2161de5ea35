/**
 * Scale benchmark (npm run bench:scale): N containers (default 100) running at once with two
 * published ports each, Berth and Docker side by side on one machine and one image. Measures the
 * start of each container, API latency while they all run (listing all, inspecting one, and on
 * Berth with a stats stream open as the app's window keeps one), the resident memory of what each
 * engine runs besides the containers (Berth: `berth serve` with a conmon per container; Docker:
 * dockerd, containerd, shims and docker-proxy) split by program, the memory each running container
 * costs with everything included (the drop in MemAvailable over all of them, idle), that every
 * published port answers, and removal.
 *
 * Options: --containers N (default 100), --requests N (API calls per kind, default 500).
 * Needs root. Installs missing Debian packages (docker.io, skopeo, umoci, busybox-static, runc).
 * Ports bind the engine's own loopback address; traffic stays on 127.0.0.0/8. Leaves the machine as it found it.
 */
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { httpGet } from '../e2e/fixtures/ports.js';
import { socketPath } from '../electron/engine/engine-config.js';
import { SocketClient } from '../electron/transport/socket/socket-client.js';
import { BERTH_CLI, startBerthEngine, type BerthEngine } from './berth-engine.js';
import { buildImageArchives, loadIntoBerth } from './bench-image.js';
import { startDockerDaemon, type DockerDaemon } from './docker-daemon.js';
import { captureMachineState } from './machine-state.js';
import { cleanUpBenchmark, log, parseCounts, runBenchmark } from './bench-run.js';
import { descendants, memAvailableMb, memoryByProgram, processTable, totalRssMb, type ProcessInfo } from './process-memory.js';
import { DOCKER_BENCH_COMMANDS, ensureCommands, findCommand } from './system-packages.js';

const IMAGE = 'berth-bench/web:latest';
const LAYOUT_TAG = 'scale';
/** A web server that stops at once on TERM, so removing a hundred takes no stop timeouts. */
const COMMAND = ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 80 -h /var/www & wait'];
const GUEST_PORTS = [80, 8080];
const SETTLE_MS = 3000;
const OPTIONS = {
  containers: { flag: '--containers', default: 100, min: 1, max: 300 },
  requests: { flag: '--requests', default: 500, min: 1, max: 10_000 },
};

/** One engine, seen the same way for both. */
interface Side {
  label: string;
  run(index: number): Promise<{ id: string; ports: { guest: number; host: number }[] }>;
  list(): Promise<number>;
  inspect(id: string): Promise<void>;
  /** What the engine runs besides the containers' own processes. */
  overhead(): Promise<ProcessInfo[]>;
  /** Resident memory of the engine's own process (berth serve; dockerd), in MB. */
  engineMb(): Promise<number>;
  remove(id: string): Promise<void>;
  /** Opens what the app's window keeps open (Berth: the stats stream); returns how to close it. */
  watch(): Promise<() => void>;
}

interface SideResult {
  label: string;
  startP50: number;
  startP99: number;
  listP50: number;
  listP99: number;
  inspectP50: number;
  inspectP99: number;
  overheadMb: number;
  /** The same by program, in MB: resident, and proportional (shared libraries split among their users). */
  overheadSplit: Record<string, number>;
  overheadPssSplit: Record<string, number>;
  /** The drop in MemAvailable per running container, everything included, in MB. */
  perContainerMb: number;
  engineMb: number;
  answered: number;
  removeMs: number;
}


function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? 0;
  return Math.round(value * 10) / 10;
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

function berthSide(berth: BerthEngine, image: string): Side {
  const client = berth.client;
  return {
    label: 'Berth',
    async run(index) {
      const container = await client.call('containers.run', {
        image, name: `scale-${index}`, cmd: COMMAND, autoExpose: false,
        ports: GUEST_PORTS.map((port) => `${berth.publishIp}::${port}`),
      });
      return { id: container.id, ports: container.ports.map((m) => ({ guest: m.guestPort, host: m.hostPort })) };
    },
    list: async () => (await client.call('containers.list', { all: true })).length,
    inspect: async (id) => void (await client.call('containers.inspect', { id })),
    async overhead() {
      // The engine, its relay thread, and per container its monitor: not the container's own processes.
      return descendants(await processTable(), [berth.pid]).filter((p) => !p.cgroup.includes('/berth/'));
    },
    engineMb: async () => totalRssMb((await processTable()).filter((p) => p.pid === berth.pid)),
    remove: (id) => berth.remove(id),
    async watch() {
      // A connection of its own, as the window's: closing it ends the stream.
      const window = await SocketClient.connect(socketPath(berth.home));
      void window.call('containers.stats', { stream: true }, () => {}).catch(() => {});
      return () => window.close();
    },
  };
}

function dockerSide(docker: DockerDaemon, workDir: string, publishIp: string): Side {
  const json = async (method: string, path: string, body?: unknown) => {
    const answer = await docker.api(method, path, body);
    if (answer.status >= 300) throw new Error(`docker ${method} ${path}: ${answer.status} ${answer.body.trim()}`);
    return answer.body;
  };
  return {
    label: 'Docker',
    async run(index) {
      const bindings = Object.fromEntries(GUEST_PORTS.map((port) => [`${port}/tcp`, [{ HostIp: publishIp, HostPort: '' }]]));
      const created = JSON.parse(
        await json('POST', `/containers/create?name=scale-${index}`, {
          Image: IMAGE, Cmd: COMMAND,
          ExposedPorts: Object.fromEntries(GUEST_PORTS.map((port) => [`${port}/tcp`, {}])),
          HostConfig: { PortBindings: bindings },
        }),
      ) as { Id: string };
      await json('POST', `/containers/${created.Id}/start`);
      const inspected = JSON.parse(await json('GET', `/containers/${created.Id}/json`)) as {
        NetworkSettings: { Ports: Record<string, { HostPort: string }[] | null> };
      };
      const ports = GUEST_PORTS.map((guest) => ({ guest, host: Number(inspected.NetworkSettings.Ports[`${guest}/tcp`]?.[0]?.HostPort ?? 0) }));
      return { id: created.Id, ports };
    },
    list: async () => (JSON.parse(await json('GET', '/containers/json?all=1')) as unknown[]).length,
    inspect: async (id) => void (await json('GET', `/containers/${id}/json`)),
    async overhead() {
      const table = await processTable();
      const dockerd = Number((await readFile(join(workDir, 'docker', 'docker.pid'), 'utf8')).trim());
      // dockerd with its docker-proxy children, and containerd with the shims (whose command lines name its socket).
      const ours = table.filter((p) => p.cmdline.includes(join(workDir, 'docker')));
      const tree = descendants(table, [dockerd, ...ours.map((p) => p.pid)]).filter((p) => !p.cgroup.includes('/docker') || p.cmdline.includes('containerd-shim'));
      return tree.filter((p) => !/^(sh|httpd) /.test(p.cmdline));
    },
    async engineMb() {
      const dockerd = Number((await readFile(join(workDir, 'docker', 'docker.pid'), 'utf8')).trim());
      return totalRssMb((await processTable()).filter((p) => p.pid === dockerd));
    },
    remove: (id) => docker.remove(id),
    watch: async () => () => {},
  };
}

async function measure(side: Side, options: Record<keyof typeof OPTIONS, number>, publishIp: string): Promise<SideResult> {
  const started: { id: string; ports: { guest: number; host: number }[] }[] = [];
  const starts: number[] = [];
  // Settled first, so what loading the image held and gave back is not counted either way.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const availableBefore = await memAvailableMb();
  const engineBefore = await side.engineMb();
  for (let i = 0; i < options.containers; i++) {
    const at = performance.now();
    started.push(await side.run(i));
    starts.push(performance.now() - at);
  }
  log(`${side.label}: ${started.length} containers running with ${GUEST_PORTS.length} ports each`);
  // Idle for a moment, so what starting them took and gave back has settled.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  // The engine process's own heap grows and shrinks with its garbage collector by more than a container
  // costs: its change is taken out, the rest (monitors, runtimes, shims, namespaces, mounts) stays in.
  const dropMb = availableBefore - (await memAvailableMb()) - ((await side.engineMb()) - engineBefore);
  const perContainerMb = Math.round((dropMb / started.length) * 10) / 10;
  const stopWatching = await side.watch();
  const lists: number[] = [];
  const inspects: number[] = [];
  try {
    for (let i = 0; i < options.requests; i++) {
      lists.push(await timed(() => side.list()));
      inspects.push(await timed(() => side.inspect(started[i % started.length]!.id)));
    }
  } finally {
    stopWatching();
  }
  const overhead = await side.overhead();
  const engineMb = await side.engineMb();
  let answered = 0;
  for (const container of started) {
    const web = container.ports.find((p) => p.guest === 80);
    if (web && (await httpGet(publishIp, web.host).then((body) => body.includes('scale'), () => false))) answered++;
  }
  const removeMs = await timed(async () => {
    for (const container of started) await side.remove(container.id);
  });
  return {
    label: side.label,
    startP50: percentile(starts, 50), startP99: percentile(starts, 99),
    listP50: percentile(lists, 50), listP99: percentile(lists, 99),
    inspectP50: percentile(inspects, 50), inspectP99: percentile(inspects, 99),
    overheadMb: totalRssMb(overhead), overheadSplit: memoryByProgram(overhead, 'rssKb'), overheadPssSplit: memoryByProgram(overhead, 'pssKb'), perContainerMb, engineMb, answered, removeMs: Math.round(removeMs),
  };
}

async function main(): Promise<number> {
  const options = parseCounts(process.argv.slice(2), OPTIONS);
  await ensureCommands(DOCKER_BENCH_COMMANDS, log);
  const dockerdPath = (await findCommand('dockerd'))!;
  const dockerCli = (await findCommand('docker'))!;
  await access(BERTH_CLI);
  const before = await captureMachineState();
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  let docker: DockerDaemon | undefined;
  let berth: BerthEngine | undefined;
  try {
    log('building the benchmark image');
    const archives = await buildImageArchives(workDir, LAYOUT_TAG, IMAGE, { cmd: COMMAND, files: { '/var/www/index.html': 'scale\n' } });
    log('starting a Berth engine of its own');
    berth = await startBerthEngine(workDir, log);
    const berthImage = await loadIntoBerth(berth, workDir, archives, LAYOUT_TAG, log);
    const results: SideResult[] = [await measure(berthSide(berth, berthImage), options, berth.publishIp)];
    await berth.stop();
    berth = undefined;

    log('starting a dockerd of its own');
    docker = await startDockerDaemon({ workDir: join(workDir, 'docker'), dockerdPath, cliPath: dockerCli, log });
    await docker.load(archives.dockerArchive);
    const dockerIp = '127.0.0.1';
    results.push(await measure(dockerSide(docker, workDir, dockerIp), options, dockerIp));

    const [b, d] = results as [SideResult, SideResult];
    const ratio = (x: number, y: number) => (y > 0 ? Math.round((x / y) * 100) / 100 : undefined);
    const row = (r: SideResult) =>
      `${r.label.padEnd(7)} ${String(r.startP50).padStart(8)} ${String(r.startP99).padStart(8)} ${String(r.listP50).padStart(8)} ${String(r.listP99).padStart(8)} ${String(r.inspectP50).padStart(8)} ${String(r.inspectP99).padStart(8)} ${String(r.engineMb).padStart(8)} ${String(r.overheadMb).padStart(8)} ${`${r.answered}/${options.containers}`.padStart(8)} ${String(r.removeMs).padStart(9)}`;
    const ratios = {
      start_p50: ratio(b.startP50, d.startP50),
      list_p99: ratio(b.listP99, d.listP99),
      inspect_p99: ratio(b.inspectP99, d.inspectP99),
      overhead_mb: ratio(b.overheadMb, d.overheadMb),
      per_container_mb: ratio(b.perContainerMb, d.perContainerMb),
      remove: ratio(b.removeMs, d.removeMs),
    };
    process.stdout.write(
      [
        '',
        `${options.containers} containers with ${GUEST_PORTS.length} published ports each, ${options.requests} API calls of each kind while all run; ${cpus().length} CPUs, node ${process.version}, ${docker.version}`,
        '',
        `${''.padEnd(7)} ${'start50'.padStart(8)} ${'start99'.padStart(8)} ${'list50'.padStart(8)} ${'list99'.padStart(8)} ${'insp50'.padStart(8)} ${'insp99'.padStart(8)} ${'engineMB'.padStart(8)} ${'allMB'.padStart(8)} ${'answered'.padStart(8)} ${'remove ms'.padStart(9)}`,
        row(b),
        row(d),
        '(times in ms; engineMB = berth serve or dockerd alone; allMB = with monitors, shims and proxies, not the containers)',
        '',
        ...results.map((r) => {
          const split = (byProgram: Record<string, number>) => Object.entries(byProgram).map(([k, v]) => `${k} ${v}`).join(', ');
          return `${r.label}: ${r.perContainerMb} MB of MemAvailable per running container; by program (MB), RSS: ${split(r.overheadSplit)}; PSS: ${split(r.overheadPssSplit)}`;
        }),
        '',
        `Berth/Docker: start p50 ${ratios.start_p50}×, list p99 ${ratios.list_p99}×, inspect p99 ${ratios.inspect_p99}×, memory ${ratios.overhead_mb}×, per container ${ratios.per_container_mb}×, removal ${ratios.remove}×`,
        '',
        JSON.stringify({ benchmark: 'scale', date: new Date().toISOString(), options, results, ratios }, null, 2),
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await cleanUpBenchmark({ berth, docker, workDir, before });
  }
}

runBenchmark(main);
