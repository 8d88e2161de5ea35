import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { makeTestEngineEnv, type TestEngineEnv } from '../e2e/fixtures/test-engine.js';
import { socketPath } from '../electron/engine/engine-config.js';
import { SocketClient } from '../electron/transport/socket/socket-client.js';
import { hasExited, logTail, stopChild, waitUntil } from './process-control.js';
import { timeCommand, type CommandResult } from './timed-command.js';

/** `berth serve` with its own home, bridge and subnet, plus a client connected to it. */
export interface BerthEngine {
  readonly cliPath: string;
  /** The engine's home, and the client this process holds on its socket. */
  readonly home: string;
  readonly client: SocketClient;
  readonly subnet: string;
  /** Where the engine keeps its Linux-side data (bundles, socket listeners). */
  readonly dataRoot: string;
  /** The `berth serve` process. */
  readonly pid: number;
  /** The loopback address its implicit ports bind, its own so parallel engines never collide. */
  readonly publishIp: string;
  /** Runs the berth CLI against this engine and times it. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** `containers.run` over the engine socket from this process: no CLI start-up. */
  apiRun(image: string, cmd: readonly string[], name: string): Promise<{ id: string; ms: number }>;
  isRunning(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Removes every container, stops the engine, then removes its bridge, mounts and home. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** The compiled CLI: this file is dist/bench/berth-engine.js, the CLI dist/electron/cli/main.js. */
export const BERTH_CLI = fileURLToPath(new URL('../electron/cli/main.js', import.meta.url));

export async function startBerthEngine(workDir: string, log: (line: string) => void): Promise<BerthEngine> {
  const testEnv: TestEngineEnv = await makeTestEngineEnv();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...testEnv.env };
  const socket = socketPath(testEnv.config.home);
  const logPath = join(workDir, 'berth-serve.log');
  let server: ChildProcess | undefined;
  let client: SocketClient | undefined;

  const stop = async () => {
    if (client) {
      const containers = await client.call('containers.list', { all: true }).catch(() => []);
      for (const container of containers) {
        await client.call('containers.remove', { id: container.id, force: true }).catch((err: Error) => log(`berth rm ${container.name}: ${err.message}`));
      }
      client.close();
    }
    if (server && (await stopChild(server, STOP_TIMEOUT_MS))) log(`berth serve did not stop within ${STOP_TIMEOUT_MS / 1000} s: killed it`);
    await testEnv.cleanup();
  };

  try {
    const logFile = await open(logPath, 'a');
    try {
      // Its own process group: a Ctrl-C meant for the benchmark must not stop it before cleanup.
      server = spawn(process.execPath, [BERTH_CLI, 'serve'], { env, stdio: ['ignore', logFile.fd, logFile.fd], detached: true });
    } finally {
      await logFile.close();
    }
    const started = server;
    await waitUntil(
      'berth serve to answer on its socket',
      async () => {
        if (hasExited(started)) throw new Error(`berth serve exited at start-up: ${await logTail(logPath)}`);
        client = await SocketClient.connect(socket).catch(() => undefined);
        return client !== undefined;
      },
      START_TIMEOUT_MS,
    );
    const connected = client!;
    return {
      cliPath: BERTH_CLI,
      home: testEnv.config.home,
      client: connected,
      subnet: testEnv.config.bridge.subnet,
      dataRoot: testEnv.dataRoot,
      pid: started.pid!,
      publishIp: testEnv.publishIp,
      cli: (args, timeoutMs) => timeCommand([process.execPath, BERTH_CLI, ...args], { env, timeoutMs }),
      async apiRun(image, cmd, name) {
        const startedAt = performance.now();
        const container = await connected.call('containers.run', { image, cmd: [...cmd], name });
        return { id: container.id, ms: performance.now() - startedAt };
      },
      async isRunning(id) {
        return (await connected.call('containers.inspect', { id })).state.status === 'running';
      },
      async remove(id) {
        await connected.call('containers.remove', { id, force: true });
      },
      stop,
    };
  } catch (err) {
    await stop().catch((cleanupError: Error) => log(`cleanup after failed start: ${cleanupError.message}`));
    throw err;
  }
}
