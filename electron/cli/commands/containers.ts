import type { Container } from '../../../shared/containers.js';
import { eachName, type Command, type CommandContext } from '../command.js';
import { ago, bytes, portLine, portsColumn, quoteCommand, shortId, statusText, table } from '../format.js';
import { parseLogTime } from '../log-time.js';
import { flagInt, flagSet, flagValue, parseFlags } from '../parse-flags.js';
import { RUN_FLAGS, runSpecFromFlags } from '../run-options.js';
import { progressPrinter } from './images.js';

function needOne(args: string[], usage: string, context: CommandContext): string | undefined {
  if (args.length === 0) context.err(`"${usage.split(' ')[0]}" needs at least one container: berth ${usage}`);
  return args[0];
}

async function followUntilExit(container: Container, context: CommandContext): Promise<number> {
  const api = await context.client();
  await api.call('containers.logs', { id: container.id, follow: true }, (chunk) => context.raw(Buffer.from(chunk.base64, 'base64'), chunk.stream));
  const final = await api.call('containers.inspect', { id: container.id });
  return final.state.exitCode;
}

export const containerCommands: Record<string, Command> = {
  run: {
    usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create and start a container',
    async run(args, context) {
      const parsed = parseFlags(args, RUN_FLAGS, true);
      const spec = runSpecFromFlags(parsed);
      let container: Container;
      try {
        container = await (await context.client()).call('containers.run', spec, progressPrinter(context.err));
      } catch (err) {
        // Docker's codes: 125 the engine failed, 126 the command cannot run, 127 it was not found.
        const message = (err as Error).message;
        context.err(`berth: ${message}`);
        if (/executable file not found|no such file or directory/i.test(message)) return 127;
        if (/permission denied/i.test(message)) return 126;
        return 125;
      }
      if (flagSet(parsed, 'detach')) {
        context.out(container.id);
        return 0;
      }
      return followUntilExit(container, context);
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
          context.err(`Error: ${(err as Error).message}`);
          status = 1;
        }
      }
      context.out(JSON.stringify(found, null, 2));
      return status;
    },
  },
  start: {
    usage: 'start CONTAINER...',
    summary: 'Start stopped containers',
    async run(args, context) {
      if (!needOne(args, this.usage, context)) return 2;
      const api = await context.client();
      return eachName(args, context, (id) => api.call('containers.start', { id }));
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
    usage: 'rm [-f] CONTAINER...',
    summary: 'Remove containers (-f: even running ones)',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'force', short: 'f' }], false);
      if (!needOne(parsed.positionals, this.usage, context)) return 2;
      const force = flagSet(parsed, 'force');
      const api = await context.client();
      return eachName(parsed.positionals, context, (id) => api.call('containers.remove', { id, force }));
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
      const time = (flag: string) => {
        const text = flagValue(parsed, flag);
        return text === undefined ? undefined : parseLogTime(flag, text);
      };
      const request = { id, tail, follow: flagSet(parsed, 'follow'), timestamps: flagSet(parsed, 'timestamps'), since: time('since'), until: time('until') };
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
