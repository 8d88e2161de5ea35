import { BerthError } from '../../../shared/berth-error.js';
import { CONTAINER_ACTIONS, isOneOf, WAIT_CONDITIONS } from '../../../shared/choices.js';
import type { Container, ContainerAction, RunSpecInput } from '../../../shared/containers.js';
import type { LogChunk } from '../../../shared/contract.js';

type ContainerActionName = ContainerAction['action'];
import { eachName, type Command, type CommandContext } from '../command.js';
import { ago, bytes, portLine, portsColumn, quoteCommand, shortId, statusText, table } from '../format.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../streams/detach-keys.js';
import { flagTime } from '../log-time.js';
import { flagInt, flagSet, flagValue, flagValues, parseFlags, type ParsedFlags } from '../parse-flags.js';
import { attachTerminal, terminalSize } from '../terminal-attach.js';
import { RUN_FLAGS, runSpecFromFlags } from '../run-options.js';
import { progressPrinter } from './images.js';
import type { SocketClient } from '../../transport/socket/socket-client.js';

function needOne(args: string[], usage: string, context: CommandContext): string | undefined {
  if (args.length === 0) context.err(`"${usage.split(' ')[0]}" needs at least one container: berth ${usage}`);
  return args[0];
}

/** Docker's codes when a run fails before the command runs: 125 the engine failed, 126 it cannot run, 127 it was not found. */
function runFailure(err: unknown, context: CommandContext): number {
  const error = BerthError.from(err);
  context.err(`berth: ${error.line}`);
  if (error.code === 'COMMAND_NOT_FOUND') return 127;
  if (error.code === 'COMMAND_NOT_RUNNABLE') return 126;
  return 125;
}

/**
 * `run` without -d, as Docker's CLI does it: the exit is waited for before the start, so a container
 * that exits at once still answers its code (and with --rm is gone when this returns). A start that
 * fails removes what the create made. With -t this terminal shows the container's own (from its first
 * output, which the engine holds), until it exits or the detach keys leave it running.
 */
async function runInForeground(spec: RunSpecInput, options: Omit<ShowOptions, 'interactive'>, context: CommandContext): Promise<number> {
  const api = await context.client();
  let container: Container;
  try {
    container = await api.call('containers.create', spec, progressPrinter(context.err));
  } catch (err) {
    return runFailure(err, context);
  }
  const exited = api.call('containers.wait', { id: container.id, condition: spec.autoRemove ? 'removed' : 'next-exit' });
  exited.catch(() => {});
  const start = async () => {
    try {
      printWarnings(await api.call('containers.start', { id: container.id }), context);
    } catch (err) {
      await api.call('containers.remove', { id: container.id, force: true }).catch(() => {});
      throw err;
    }
  };
  try {
    return await showUntilExit(container, { ...options, interactive: spec.interactive ?? false }, exited, start, context);
  } catch (err) {
    return runFailure(err, context);
  }
}

/** What the start had to leave out (an IPv6 half of a port on a host without IPv6), as Docker's CLI prints its warnings. */
function printWarnings(container: Container, context: CommandContext): void {
  for (const warning of container.state.warnings) context.err(`WARNING: ${warning}`);
}

interface ShowOptions {
  /** Our stdin goes into the process's. */
  interactive: boolean;
  detachKeys: Buffer;
  /** Docker's --sig-proxy: a signal this command gets goes to the container's process (no terminal only). */
  sigProxy: boolean;
}

/** The signals a user sends a foreground command; with --sig-proxy they go to the container instead. */
const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * This terminal on the container's own (-t), or its output, stdout and stderr apart (with -i, our
 * stdin going into the process's), until it exits (its code, from the wait asked for before) or the
 * detach keys leave it (0). As Docker does, it attaches first and only then calls `start` (run,
 * start -a): what is shown is this run from its first line. A running container is shown from now.
 */
async function showUntilExit(container: Container, options: ShowOptions, exited: Promise<{ exitCode: number }>, start: () => Promise<void>, context: CommandContext): Promise<number> {
  const api = await context.client();
  if (container.spec.tty) {
    const opening = api.call('terminal.open', { id: container.id, main: true, awaitStart: true, ...terminalSize() });
    opening.catch(() => {});
    await start();
    const session = await opening;
    if ((await attachTerminal(session, { interactive: options.interactive, detachKeys: options.detachKeys, hangUpEnds: false }, context)) === 'detached') return 0;
    return (await exited).exitCode;
  }
  // Our input goes in once the output it causes is sure to be shown (the attach's first, empty chunk).
  let live = () => {};
  const followed = new Promise<void>((resolve) => (live = resolve));
  // A process that ends before reading all of it has no more use for our stdin.
  if (options.interactive) void followed.then(() => pipeStdin(api, container.id)).catch(() => {});
  const proxy = (signal: NodeJS.Signals) => void api.call('containers.kill', { id: container.id, signal }).catch(() => {});
  if (options.sigProxy) for (const signal of PROXIED_SIGNALS) process.on(signal, proxy);
  try {
    const show = (chunk: LogChunk) => {
      live();
      context.raw(Buffer.from(chunk.base64, 'base64'), chunk.stream);
    };
    // With --rm a container that ended at once may be gone already; the wait still has its code.
    const attached = api.call('containers.attach', { id: container.id, awaitStart: true }, show).catch(() => {});
    await start();
    await attached;
    return (await exited).exitCode;
  } finally {
    for (const signal of PROXIED_SIGNALS) process.off(signal, proxy);
    if (options.interactive) process.stdin.destroy();
  }
}

/** Bytes of our stdin per message: well under the message's bound once in base64. */
const STDIN_CHUNK_BYTES = 256 * 1024;

/** Our stdin into the process's, each piece taken by the engine before the next is read, then its end. */
async function pipeStdin(api: SocketClient, id: string): Promise<void> {
  for await (const chunk of process.stdin) {
    const data = chunk as Buffer;
    for (let at = 0; at < data.length; at += STDIN_CHUNK_BYTES) {
      await api.call('containers.input', { id, base64: data.subarray(at, at + STDIN_CHUNK_BYTES).toString('base64') });
    }
  }
  await api.call('containers.input', { id, base64: '', end: true });
}

function detachKeysOf(parsed: ParsedFlags): Buffer {
  return parseDetachKeys(flagValue(parsed, 'detach-keys') ?? DEFAULT_DETACH_KEYS);
}

/** --sig-proxy is on unless turned off (`--sig-proxy=false`), as Docker's. */
function sigProxyOf(parsed: ParsedFlags): boolean {
  return flagValue(parsed, 'sig-proxy') !== 'false';
}

export const containerCommands: Record<string, Command> = {
  run: {
    usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create and start a container (--rm: remove it once it exits)',
    async run(args, context) {
      const parsed = parseFlags(args, RUN_FLAGS, true);
      const spec = runSpecFromFlags(parsed);
      // As Docker's CLI: in the foreground, -i without -t closes the process's stdin when ours ends.
      if (!flagSet(parsed, 'detach')) {
        return runInForeground({ ...spec, stdinOnce: spec.interactive && !spec.tty }, { detachKeys: detachKeysOf(parsed), sigProxy: sigProxyOf(parsed) }, context);
      }
      try {
        const container = await (await context.client()).call('containers.run', spec, progressPrinter(context.err));
        printWarnings(container, context);
        context.out(container.id);
        return 0;
      } catch (err) {
        return runFailure(err, context);
      }
    },
  },
  create: {
    usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create a container without starting it',
    async run(args, context) {
      const parsed = parseFlags(args, RUN_FLAGS.filter((f) => f.name !== 'detach' && f.name !== 'sig-proxy'), true);
      const container = await (await context.client()).call('containers.create', runSpecFromFlags(parsed, 'create'), progressPrinter(context.err));
      context.out(container.id);
      return 0;
    },
  },
  wait: {
    usage: 'wait [--condition not-running|next-exit|removed] CONTAINER...',
    summary: 'Wait until containers stop, then print their exit codes',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'condition', value: true }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const condition = flagValue(parsed, 'condition') ?? 'not-running';
      if (!isOneOf(WAIT_CONDITIONS, condition)) throw new BerthError('INVALID_ARGUMENT', `invalid condition "${condition}"`, { fix: `use ${WAIT_CONDITIONS.join(', ')}` });
      const api = await context.client();
      let status = 0;
      for (const id of parsed.positionals) {
        try {
          context.out(String((await api.call('containers.wait', { id, condition })).exitCode));
        } catch (err) {
          context.err(`Error: ${BerthError.from(err).line}`);
          status = 1;
        }
      }
      return status;
    },
  },
  events: {
    usage: 'events [--since TIME] [--until TIME] [--filter event=ACTION|container=NAME|label=KEY[=VALUE]] [--json]',
    summary: "What happens to containers, as it happens (Docker's events)",
    async run(args, context) {
      const flags = [{ name: 'since', value: true }, { name: 'until', value: true }, { name: 'filter', short: 'f', value: true, repeat: true }, { name: 'json' }];
      const parsed = parseFlags(args, flags, false);
      const filter = { actions: [] as ContainerActionName[], containers: [] as string[], labels: [] as string[] };
      for (const text of flagValues(parsed, 'filter')) {
        const [key, ...rest] = text.split('=');
        const value = rest.join('=');
        if (key === 'event' && isOneOf(CONTAINER_ACTIONS, value)) filter.actions.push(value);
        else if (key === 'container' && value) filter.containers.push(value);
        else if (key === 'label' && value) filter.labels.push(value);
        else if (key !== 'type' || value !== 'container') {
          throw new BerthError('INVALID_ARGUMENT', `invalid filter "${text}"`, {
            fix: `use event=ACTION (${CONTAINER_ACTIONS.join(', ')}), container=NAME, label=KEY[=VALUE] or type=container`,
          });
        }
      }
      const api = await context.client();
      process.once('SIGINT', () => api.cancelAll());
      await api.call('system.events', { ...filter, since: flagTime(parsed, 'since'), until: flagTime(parsed, 'until') }, (event) => {
        if (flagSet(parsed, 'json')) return context.out(JSON.stringify(event));
        const attributes = Object.entries(event.attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
        context.out(`${event.time} container ${event.action} ${event.id} (${attributes.join(', ')})`);
      });
      return 0;
    },
  },
  rename: {
    usage: 'rename CONTAINER NEW_NAME',
    summary: 'Rename a container',
    async run(args, context) {
      if (args.length !== 2) {
        context.err(`"rename" needs a container and its new name: berth ${this.usage}`);
        return 2;
      }
      await (await context.client()).call('containers.rename', { id: args[0]!, name: args[1]! });
      return 0;
    },
  },
  ps: {
    usage: 'ps [-a] [-q] [--json]',
    summary: 'List containers',
    async run(args, { client, out }) {
      const parsed = parseFlags(args, [{ name: 'all', short: 'a' }, { name: 'quiet', short: 'q' }, { name: 'json' }], false);
      const containers = await (await client()).call('containers.list', { all: flagSet(parsed, 'all') });
      if (flagSet(parsed, 'json')) out(JSON.stringify(containers, null, 2));
      else if (flagSet(parsed, 'quiet')) containers.forEach((c) => out(shortId(c.id)));
      else {
        const rows = containers.map((c) => [shortId(c.id), c.image, quoteCommand(c.command), ago(c.created), statusText(c), portsColumn(c.ports), c.name]);
        out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
      }
      return 0;
    },
  },
  port: {
    usage: 'port [--json] CONTAINER',
    summary: "Where each of a container's ports is published, and why there",
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'json' }], false);
      const id = needOne(parsed.positionals, this.usage, context);
      if (!id) return 2;
      const container = await (await context.client()).call('containers.inspect', { id });
      if (flagSet(parsed, 'json')) context.out(JSON.stringify(container.ports, null, 2));
      else container.ports.forEach((m) => context.out(portLine(m)));
      return 0;
    },
  },
  inspect: {
    usage: 'inspect CONTAINER...',
    summary: 'Show a container in full, as JSON',
    async run(args, context) {
      if (!needOne(args, this.usage, context)) return 2;
      const api = await context.client();
      const found: Container[] = [];
      let status = 0;
      for (const id of args) {
        try {
          found.push(await api.call('containers.inspect', { id }));
        } catch (err) {
          context.err(`Error: ${BerthError.from(err).line}`);
          status = 1;
        }
      }
      context.out(JSON.stringify(found, null, 2));
      return status;
    },
  },
  start: {
    usage: 'start [-a] [-i] [--detach-keys KEYS] CONTAINER...',
    summary: 'Start stopped containers (-a: show its output, or its terminal, until it exits)',
    async run(args, context) {
      const flags = [{ name: 'attach', short: 'a' }, { name: 'interactive', short: 'i' }, { name: 'detach-keys', value: true }];
      const parsed = parseFlags(args, flags, false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const api = await context.client();
      if (!flagSet(parsed, 'attach') && !flagSet(parsed, 'interactive')) return eachName(parsed.positionals, context, (id) => api.call('containers.start', { id }));
      if (parsed.positionals.length > 1) throw new BerthError('INVALID_ARGUMENT', 'you cannot start and attach to several containers at once');
      const container = await api.call('containers.inspect', { id: parsed.positionals[0]! });
      const exited = api.call('containers.wait', { id: container.id, condition: 'next-exit' });
      exited.catch(() => {});
      const options = { interactive: flagSet(parsed, 'interactive'), detachKeys: detachKeysOf(parsed), sigProxy: true };
      return showUntilExit(container, options, exited, async () => void (await api.call('containers.start', { id: container.id })), context);
    },
  },
  attach: {
    usage: 'attach [--no-stdin] [--sig-proxy=false] [--detach-keys KEYS] CONTAINER',
    summary: "This terminal on a running container's main process (its terminal with -t, else its output from now); Ctrl+P Ctrl+Q detaches",
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'no-stdin' }, { name: 'sig-proxy' }, { name: 'detach-keys', value: true }], false);
      const id = needOne(parsed.positionals, this.usage, context);
      if (!id) return 2;
      const api = await context.client();
      const container = await api.call('containers.inspect', { id });
      if (container.state.status !== 'running') {
        throw new BerthError('CONTAINER_NOT_RUNNING', `container ${container.name} is not running`, { fix: `start it with berth start -a ${container.name}` });
      }
      const exited = api.call('containers.wait', { id: container.id, condition: 'next-exit' });
      exited.catch(() => {});
      // Stdin goes in only where the engine holds it: a container started with -i.
      const interactive = !flagSet(parsed, 'no-stdin') && (container.spec.tty || container.spec.interactive);
      return showUntilExit(container, { interactive, detachKeys: detachKeysOf(parsed), sigProxy: sigProxyOf(parsed) }, exited, async () => {}, context);
    },
  },
  stop: {
    usage: 'stop [-t SECONDS] CONTAINER...',
    summary: 'Stop containers: stop signal, then SIGKILL after the timeout',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'time', short: 't', value: true }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const timeout = flagInt(parsed, 'time');
      const api = await context.client();
      return eachName(parsed.positionals, context, (id) => api.call('containers.stop', { id, timeout }));
    },
  },
  restart: {
    usage: 'restart [-t SECONDS] CONTAINER...',
    summary: 'Restart containers',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'time', short: 't', value: true }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const timeout = flagInt(parsed, 'time');
      const api = await context.client();
      return eachName(parsed.positionals, context, (id) => api.call('containers.restart', { id, timeout }));
    },
  },
  kill: {
    usage: 'kill [-s SIGNAL] CONTAINER...',
    summary: 'Send a signal to containers (default KILL)',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'signal', short: 's', value: true }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const signal = flagValue(parsed, 'signal') ?? 'KILL';
      const api = await context.client();
      return eachName(parsed.positionals, context, (id) => api.call('containers.kill', { id, signal }));
    },
  },
  rm: {
    usage: 'rm [-f] [-v] CONTAINER...',
    summary: 'Remove containers (-f: even running ones; -v: their anonymous volumes too)',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'force', short: 'f' }, { name: 'volumes', short: 'v' }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const force = flagSet(parsed, 'force');
      const volumes = flagSet(parsed, 'volumes');
      const api = await context.client();
      return eachName(parsed.positionals, context, (id) => api.call('containers.remove', { id, force, volumes }));
    },
  },
  logs: {
    usage: 'logs [-f] [-t] [--tail N] [--since TIME] [--until TIME] CONTAINER',
    summary: "Show a container's output (its stderr on ours)",
    async run(args, context) {
      const flags = [
        { name: 'follow', short: 'f' },
        { name: 'timestamps', short: 't' },
        { name: 'tail', short: 'n', value: true },
        { name: 'since', value: true },
        { name: 'until', value: true },
      ];
      const parsed = parseFlags(args, flags, false);
      const id = needOne(parsed.positionals, this.usage, context);
      if (!id) return 2;
      const tailText = flagValue(parsed, 'tail');
      const tail = tailText === undefined || tailText === 'all' ? undefined : flagInt(parsed, 'tail');
      const request = { id, tail, follow: flagSet(parsed, 'follow'), timestamps: flagSet(parsed, 'timestamps'), since: flagTime(parsed, 'since'), until: flagTime(parsed, 'until') };
      const api = await context.client();
      process.once('SIGINT', () => api.cancelAll());
      await api.call('containers.logs', request, (chunk) => context.raw(Buffer.from(chunk.base64, 'base64'), chunk.stream));
      return 0;
    },
  },
  stats: {
    usage: 'stats [--no-stream] [CONTAINER...]',
    summary: 'Live CPU and memory of running containers',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'no-stream' }], false);
      const stream = !flagSet(parsed, 'no-stream');
      const api = await context.client();
      const render = (stats: { id: string; name: string; cpuPercent: number; memoryBytes: number; memoryLimitBytes: number; pids: number }[]) => {
        const rows = stats.map((s) => [
          shortId(s.id),
          s.name,
          `${s.cpuPercent.toFixed(2)}%`,
          `${bytes(s.memoryBytes)} / ${s.memoryLimitBytes > 0 && s.memoryLimitBytes < 2 ** 60 ? bytes(s.memoryLimitBytes) : 'unlimited'}`,
          String(s.pids),
        ]);
        context.out(table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS'], rows));
      };
      process.once('SIGINT', () => api.cancelAll());
      const last = await api.call('containers.stats', { ids: parsed.positionals, stream }, stream ? render : undefined);
      if (!stream) render(last);
      return 0;
    },
  },
};
