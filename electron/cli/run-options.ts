import { resolve } from 'node:path';
import { isOneOf, PULL_POLICIES } from '../../shared/choices.js';
import type { Resources, RestartPolicy, RunSpecInput } from '../../shared/containers.js';
import type { HealthCheck } from '../../shared/health.js';
import { BerthError } from '../../shared/berth-error.js';
import { parseByteCount } from './byte-count.js';
import { parseDuration } from './log-time.js';
import { flagInt, flagPairs, flagSet, flagValue, flagValues, type FlagSpec, type ParsedFlags } from './parse-flags.js';

export const RUN_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd' },
  { name: 'sig-proxy' },
  { name: 'name', value: true },
  { name: 'env', short: 'e', value: true, repeat: true },
  { name: 'publish', short: 'p', value: true, repeat: true },
  { name: 'volume', short: 'v', value: true, repeat: true },
  { name: 'socket', value: true, repeat: true },
  { name: 'socket-listen', value: true, repeat: true },
  { name: 'no-auto-expose' },
  { name: 'label', short: 'l', value: true, repeat: true },
  { name: 'network', value: true, repeat: true },
  { name: 'network-alias', value: true, repeat: true },
  { name: 'restart', value: true },
  { name: 'entrypoint', value: true },
  { name: 'workdir', short: 'w', value: true },
  { name: 'user', short: 'u', value: true },
  { name: 'hostname', short: 'h', value: true },
  { name: 'pull', value: true },
  { name: 'stop-timeout', value: true },
  { name: 'rm' },
  { name: 'interactive', short: 'i' },
  { name: 'tty', short: 't' },
  { name: 'detach-keys', value: true },
  { name: 'memory', short: 'm', value: true },
  { name: 'memory-swap', value: true },
  { name: 'cpus', value: true },
  { name: 'cpu-shares', short: 'c', value: true },
  { name: 'pids-limit', value: true },
  { name: 'health-cmd', value: true },
  { name: 'health-interval', value: true },
  { name: 'health-timeout', value: true },
  { name: 'health-start-period', value: true },
  { name: 'health-retries', value: true },
  { name: 'no-healthcheck' },
];

/** --health-cmd and friends (durations as Go spells them: 30s, 1m30s), or --no-healthcheck; undefined: the image's. */
function healthCheckFromFlags(parsed: ParsedFlags): HealthCheck | undefined {
  const ms = (flag: string) => {
    const text = flagValue(parsed, flag);
    if (text === undefined) return undefined;
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds <= 0) throw new BerthError('INVALID_ARGUMENT', `invalid value "${text}" for --${flag}`, { fix: 'use a duration like 30s or 1m30s' });
    return Math.max(1, Math.round(seconds * 1000));
  };
  const command = flagValue(parsed, 'health-cmd');
  if (flagSet(parsed, 'no-healthcheck')) {
    if (command !== undefined) throw new BerthError('INVALID_ARGUMENT', 'conflicting options: --no-healthcheck and --health-cmd');
    return { test: ['NONE'] };
  }
  const check = {
    test: command === undefined ? [] : ['CMD-SHELL', command],
    intervalMs: ms('health-interval'),
    timeoutMs: ms('health-timeout'),
    startPeriodMs: ms('health-start-period'),
    retries: flagInt(parsed, 'health-retries'),
  };
  const given = Object.entries(check).filter(([key, value]) => (key === 'test' ? command !== undefined : value !== undefined));
  return given.length === 0 ? undefined : (Object.fromEntries(given) as HealthCheck);
}

/** --memory, --memory-swap, --cpus, --cpu-shares, --pids-limit, in Docker's spelling. */
function resourcesFromFlags(parsed: ParsedFlags): Resources {
  const size = (flag: string) => {
    const text = flagValue(parsed, flag);
    return text === undefined ? undefined : text === '-1' ? -1 : parseByteCount(flag, text);
  };
  const cpusText = flagValue(parsed, 'cpus');
  const cpus = cpusText === undefined ? undefined : Number(cpusText);
  if (cpus !== undefined && !(cpus > 0)) throw new BerthError('INVALID_ARGUMENT', `invalid value "${cpusText}" for --cpus`, { fix: 'use a number of CPUs like 1.5' });
  const limits = { memory: size('memory'), memorySwap: size('memory-swap'), cpus, cpuShares: flagInt(parsed, 'cpu-shares'), pidsLimit: flagInt(parsed, 'pids-limit') };
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}

/** Docker's --restart grammar: no | on-failure[:N] | always | unless-stopped. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, extra] = text.split(':');
  if (extra === undefined && (name === 'no' || name === 'always' || name === 'unless-stopped') && count === undefined) {
    return { name, maxRetries: 0 };
  }
  if (name === 'on-failure' && extra === undefined && (count === undefined || /^\d+$/.test(count))) {
    return { name, maxRetries: Number(count ?? 0) };
  }
  throw new BerthError('INVALID_ARGUMENT', `invalid restart policy "${text}"`, { fix: 'use no, on-failure[:N], always or unless-stopped' });
}

/** `-e KEY` takes KEY's value from this shell's environment, and is dropped when it has none (as in Docker). */
function resolveEnv(values: string[]): string[] {
  return values.flatMap((entry) => {
    if (entry.includes('=')) return [entry];
    const value = process.env[entry];
    return value === undefined ? [] : [`${entry}=${value}`];
  });
}

/**
 * `-v ./src:/src`: a source starting with `.` is a folder relative to where the CLI runs (a volume
 * name cannot start with one), made absolute here as newer docker CLIs do; the engine takes only
 * absolute paths, as it cannot know where the CLI runs.
 */
function absoluteVolumeSources(specs: string[]): string[] {
  return specs.map((spec) => {
    const colon = spec.indexOf(':');
    return spec.startsWith('.') && colon > 0 ? `${resolve(spec.slice(0, colon))}${spec.slice(colon)}` : spec;
  });
}

/** Turns `run` flags and positionals into the contract's RunSpec. */
export function runSpecFromFlags(parsed: ParsedFlags, command: 'run' | 'create' = 'run'): RunSpecInput {
  const [image, ...cmd] = parsed.positionals;
  if (!image) throw new BerthError('INVALID_ARGUMENT', `"${command}" needs an image: berth ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]`);
  // The first --network is the one it starts on; each further one is joined too (as Docker does).
  const [network = 'bridge', ...more] = flagValues(parsed, 'network');
  const pull = flagValue(parsed, 'pull') ?? 'missing';
  if (!isOneOf(PULL_POLICIES, pull)) throw new BerthError('INVALID_ARGUMENT', `invalid pull policy "${pull}"`, { fix: 'use always, missing or never' });
  const restart = flagValue(parsed, 'restart');
  const stopTimeout = flagInt(parsed, 'stop-timeout');
  return {
    image,
    cmd,
    name: flagValue(parsed, 'name'),
    env: resolveEnv(flagValues(parsed, 'env')),
    ports: flagValues(parsed, 'publish'),
    volumes: absoluteVolumeSources(flagValues(parsed, 'volume')),
    sockets: flagValues(parsed, 'socket'),
    socketListens: flagValues(parsed, 'socket-listen'),
    ...(flagSet(parsed, 'no-auto-expose') ? { autoExpose: false } : {}),
    labels: flagPairs(parsed, 'label'),
    network,
    networkAliases: flagValues(parsed, 'network-alias'),
    extraNetworks: more.map((name) => ({ network: name, aliases: [] })),
    pull,
    entrypoint: flagValue(parsed, 'entrypoint'),
    workdir: flagValue(parsed, 'workdir'),
    user: flagValue(parsed, 'user'),
    hostname: flagValue(parsed, 'hostname'),
    ...(restart !== undefined ? { restart: parseRestartPolicy(restart) } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    autoRemove: flagSet(parsed, 'rm'),
    tty: flagSet(parsed, 'tty'),
    interactive: flagSet(parsed, 'interactive'),
    resources: resourcesFromFlags(parsed),
    healthcheck: healthCheckFromFlags(parsed),
  };
}
