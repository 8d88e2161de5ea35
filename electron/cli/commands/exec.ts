import type { Command, CommandContext } from '../command.js';
import { flagSet, flagValues, parseFlags, type ParsedFlags } from '../parse-flags.js';
import { attachTerminal, terminalSize } from '../terminal-attach.js';

/** `-i` input larger than this is refused: it travels in one message. */
const MAX_STDIN_BYTES = 2 * 1024 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const data = chunk as Buffer;
    size += data.length;
    if (size > MAX_STDIN_BYTES) throw new Error(`stdin is larger than ${MAX_STDIN_BYTES / 1024 / 1024} MiB: use a file in the container instead`);
    chunks.push(data);
  }
  return Buffer.concat(chunks).toString();
}

/** Without -t: the command's stdout and stderr go to ours, apart; its code is ours. */
async function execPlain(id: string, command: string[], parsed: ParsedFlags, context: CommandContext): Promise<number> {
  const stdin = flagSet(parsed, 'interactive') ? await readStdin() : undefined;
  const api = await context.client();
  const { exitCode } = await api.call('containers.exec', { id, command, env: flagValues(parsed, 'env'), stdin }, (item) =>
    context.raw(Buffer.from(item.base64, 'base64'), item.stream),
  );
  return exitCode;
}

/**
 * With -t: a session in the engine, shown in this terminal until the shell ends. Typing into it, in a
 * terminal of ours, the keys go to conmon directly where the engine can offer that.
 */
async function execTerminal(id: string, command: string[], parsed: ParsedFlags, context: CommandContext): Promise<number> {
  const api = await context.client();
  const interactive = flagSet(parsed, 'interactive');
  const direct = interactive && process.stdin.isTTY && process.stdout.isTTY;
  const session = await api.call('terminal.open', { id, command, ...terminalSize(), direct });
  const ended = await attachTerminal(session, { interactive, hangUpEnds: true }, context);
  return ended === 'detached' ? 0 : ended;
}

export const execCommands: Record<string, Command> = {
  exec: {
    usage: 'exec [-i] [-t] [-e K=V] CONTAINER COMMAND [ARG...]',
    summary: 'Run a command in a running container',
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'interactive', short: 'i' }, { name: 'tty', short: 't' }, { name: 'env', short: 'e', value: true, repeat: true }], true);
      const [id, ...command] = parsed.positionals;
      if (!id || command.length === 0) {
        context.err(`"exec" needs a container and a command: berth ${this.usage}`);
        return 2;
      }
      for (const pair of flagValues(parsed, 'env')) {
        if (!/^[^=]+=/.test(pair)) {
          context.err(`berth: invalid environment variable "${pair}": use K=V`);
          return 2;
        }
      }
      return flagSet(parsed, 'tty') ? execTerminal(id, command, parsed, context) : execPlain(id, command, parsed, context);
    },
  },
};
