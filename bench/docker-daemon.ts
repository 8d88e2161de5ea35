import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runChecked, timeCommand, type CommandResult } from './timed-command.js';
import { hasExited, isAlive, logTail, stopChild, unmountUnder, waitUntil } from './process-control.js';

/**
 * A dockerd of the benchmark's own: data, exec root, socket and config in a temp dir, containers
 * on a bridge made for it, no iptables or sysctl changes, its own cgroup parent and containerd
 * namespace. Nothing it does touches a Docker the machine may already run.
 */
export interface DockerDaemon {
  /** The docker CLI binary used, and its version line. */
  readonly cliPath: string;
  readonly version: string;
  /** Top-level cgroup the daemon puts containers under (to remove once empty). */
  readonly cgroupParent: string;
  /** Runs the docker CLI against this daemon and times it. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** `docker load -i ARCHIVE`; throws with docker's own complaint when it fails. */
  load(archive: string): Promise<void>;
  /** One HTTP call to the daemon's API socket. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  /** `docker run -d` without the CLI: create then start over the socket; returns the id and the time. */
  apiRun(image: string, cmd: readonly string[], name: string): Promise<{ id: string; ms: number }>;
  isRunning(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Removes every container, stops the daemon, unmounts and deletes its directories and bridge. */
  stop(): Promise<void>;
}

export interface DockerDaemonOptions {
  workDir: string;
  dockerdPath: string;
  cliPath: string;
  /** Where the daemon log goes, for errors. */
  log: (line: string) => void;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A /24 in 10.240-249.x.0 that nothing on this machine routes yet. */
export async function freeSubnet(taken: readonly string[] = []): Promise<string> {
  const { stdout: routes } = await runChecked(['ip', '-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = `10.${240 + randomInt(10)}.${randomInt(256)}`;
    if (!routes.includes(`${base}.`) && !taken.some((subnet) => subnet.startsWith(`${base}.`))) return `${base}.0/24`;
  }
  throw new Error('no free subnet for the benchmark bridge');
}

export async function startDockerDaemon(options: DockerDaemonOptions): Promise<DockerDaemon> {
  const { workDir, dockerdPath, cliPath } = options;
  const tag = randomBytes(5).toString('hex');
  const bridge = `bd${tag}`;
  const cgroupParent = `bench-docker-${tag}`;
  const subnet = await freeSubnet();
  const gateway = subnet.replace(/\.0\/24$/, '.1/24');
  const socket = join(workDir, 'docker.sock');
  const configDir = join(workDir, 'cli-config');
  await mkdir(join(workDir, 'data'), { recursive: true });
  await mkdir(join(workDir, 'exec'), { recursive: true });
  await mkdir(configDir, { recursive: true });
  // dockerd 20.10 writes a trust key to /etc/docker/key.json unless its config file says otherwise.
  await writeFile(join(workDir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(workDir, 'key.json') }));

  const cliEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: configDir,
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let daemon: ChildProcess | undefined;
  let bridgeMade = false;

  const api = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: socket,
          agent,
          method,
          path,
          timeout: 30_000,
          headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`docker API ${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });

  const apiChecked = async (method: string, path: string, body?: unknown) => {
    const res = await api(method, path, body);
    if (res.status >= 300) throw new Error(`docker API ${method} ${path}: ${res.status} ${res.body.trim()}`);
    return res.body;
  };

  const stop = async () => {
    if (daemon && !hasExited(daemon)) {
      const listed = await api('GET', '/containers/json?all=1').catch(() => undefined);
      const ids = listed && listed.status === 200 ? (JSON.parse(listed.body) as { Id: string }[]).map((c) => c.Id) : [];
      for (const id of ids) await api('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
      if (await stopChild(daemon, STOP_TIMEOUT_MS)) options.log(`dockerd did not stop within ${STOP_TIMEOUT_MS / 1000} s: killed it`);
    }
    agent.destroy();
    // dockerd stops the containerd it started; if dockerd was killed, containerd is ours to end.
    const containerdPid = Number((await readFile(join(workDir, 'exec', 'containerd', 'containerd.pid'), 'utf8').catch(() => '')).trim());
    if (containerdPid > 0 && isAlive(containerdPid) && (await commandLine(containerdPid)).includes(workDir)) {
      process.kill(containerdPid, 'SIGKILL');
    }
    await unmountUnder(workDir);
    if (bridgeMade) await runChecked(['ip', 'link', 'del', bridge]).catch((err: Error) => options.log(err.message));
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    await runChecked(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    bridgeMade = true;
    await runChecked(['ip', 'addr', 'add', gateway, 'dev', bridge]);
    await runChecked(['ip', 'link', 'set', bridge, 'up']);

    const logFile = await open(join(workDir, 'dockerd.log'), 'a');
    try {
      daemon = spawn(
        dockerdPath,
        [
          `--config-file=${join(workDir, 'daemon.json')}`,
          `--data-root=${join(workDir, 'data')}`,
          `--exec-root=${join(workDir, 'exec')}`,
          `--pidfile=${join(workDir, 'docker.pid')}`,
          `--host=unix://${socket}`,
          `--bridge=${bridge}`,
          // Docker's NAT and forwarding rules only matter for outside traffic and published ports,
          // neither of which this benchmark has; off, the machine's firewall is left as it was.
          '--iptables=false',
          '--ip-forward=false',
          '--ip-masq=false',
          `--cgroup-parent=/${cgroupParent}`,
          `--containerd-namespace=bench-${tag}`,
          `--containerd-plugins-namespace=bench-${tag}-plugins`,
          '--log-level=warn',
        ],
        // Its own process group: a Ctrl-C meant for the benchmark must not stop it before cleanup.
        { stdio: ['ignore', logFile.fd, logFile.fd], detached: true },
      );
    } finally {
      await logFile.close();
    }
    const started = daemon;
    await waitUntil(
      'dockerd to answer on its socket',
      async () => {
        if (hasExited(started)) {
          throw new Error(`dockerd exited at start-up: ${await logTail(join(workDir, 'dockerd.log'))}`);
        }
        return (await api('GET', '/_ping').catch(() => undefined))?.status === 200;
      },
      START_TIMEOUT_MS,
    );
    const version = JSON.parse(await apiChecked('GET', '/version')) as { Version: string; ApiVersion: string };
    const cliVersion = (await runChecked([cliPath, '--version'], { env: cliEnv })).stdout.trim();
    const base = `/v${version.ApiVersion}`;

    return {
      cliPath,
      version: `dockerd ${version.Version} (API ${version.ApiVersion}); CLI: ${cliVersion}`,
      cgroupParent,
      cli: (args, timeoutMs) => timeCommand([cliPath, ...args], { env: cliEnv, timeoutMs }),
      load: async (archive) => {
        const loaded = await timeCommand([cliPath, 'load', '-i', archive], { env: cliEnv, timeoutMs: 120_000 });
        if (loaded.code !== 0) throw new Error(`docker load failed: ${loaded.stderr.trim()}`);
      },
      api,
      async apiRun(image, cmd, name) {
        const startedAt = performance.now();
        const created = JSON.parse(
          await apiChecked('POST', `${base}/containers/create?name=${encodeURIComponent(name)}`, { Image: image, Cmd: cmd }),
        ) as { Id: string };
        await apiChecked('POST', `${base}/containers/${created.Id}/start`);
        return { id: created.Id, ms: performance.now() - startedAt };
      },
      async isRunning(id) {
        const inspected = JSON.parse(await apiChecked('GET', `${base}/containers/${id}/json`)) as { State: { Running: boolean } };
        return inspected.State.Running;
      },
      async remove(id) {
        await apiChecked('DELETE', `${base}/containers/${id}?force=1`);
      },
      stop,
    };
  } catch (err) {
    await stop().catch((cleanupError: Error) => options.log(`cleanup after failed start: ${cleanupError.message}`));
    throw err;
  }
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}
