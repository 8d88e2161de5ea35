import { rm } from 'node:fs/promises';
import type { BerthEngine } from './berth-engine.js';
import type { DockerDaemon } from './docker-daemon.js';
import { leaveMachineAsFound, type MachineState } from './machine-state.js';
import type { ScratchFilesystem } from './scratch-filesystem.js';

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Runs a benchmark: its exit code, or 1 with the reason said. */
export function runBenchmark(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      log(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}

/** What every benchmark does last: stop the engines it started, remove its work, put the machine back. */
export async function cleanUpBenchmark(run: { berth?: BerthEngine; docker?: DockerDaemon; workDir: string; filesystem?: ScratchFilesystem; before: MachineState }): Promise<void> {
  log('cleaning up');
  if (run.berth) await run.berth.stop().catch((err: Error) => log(`stopping the Berth engine: ${err.message}`));
  if (run.docker) await run.docker.stop().catch((err: Error) => log(`stopping dockerd: ${err.message}`));
  await rm(run.workDir, { recursive: true, force: true, maxRetries: 3 });
  await run.filesystem?.remove().catch((err: Error) => log(`removing the scratch filesystem: ${err.message}`));
  await leaveMachineAsFound(run.before, run.docker ? ['berth', run.docker.cgroupParent] : ['berth'], log);
}

export interface CountOption {
  flag: string;
  default: number;
  min: number;
  max: number;
}

/**
 * A benchmark's `--flag N` options, each a whole number within its bounds; anything else is refused
 * with the usage of them all.
 */
export function parseCounts<K extends string>(argv: readonly string[], spec: Record<K, CountOption>): Record<K, number> {
  const keys = Object.keys(spec) as K[];
  const counts = Object.fromEntries(keys.map((key) => [key, spec[key].default])) as Record<K, number>;
  const usage = keys.map((key) => `${spec[key].flag} N (${spec[key].min}-${spec[key].max})`).join(', ');
  for (let i = 0; i < argv.length; i += 2) {
    const key = keys.find((k) => spec[k].flag === argv[i]);
    const value = Number(argv[i + 1]);
    if (key === undefined || !Number.isInteger(value) || value < spec[key].min || value > spec[key].max) {
      throw new Error(`unknown or invalid argument ${argv[i] ?? ''} ${argv[i + 1] ?? ''}: use ${usage}`);
    }
    counts[key] = value;
  }
  return counts;
}
