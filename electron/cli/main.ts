#!/usr/bin/env node
import { BerthError } from '../../shared/berth-error.js';
import { berthHome, socketPath, terminalSocketPath } from '../engine/engine-config.js';
import { connectToEngine, SocketClient } from '../transport/socket/socket-client.js';
import type { Command, CommandContext } from './command.js';
import { containerCommands } from './commands/containers.js';
import { diskCommands } from './commands/disk.js';
import { dockerCommands } from './commands/docker.js';
import { cpCommands } from './commands/cp.js';
import { execCommands } from './commands/exec.js';
import { imageCommands } from './commands/images.js';
import { networkCommands } from './commands/networks.js';
import { registryCommands } from './commands/registries.js';
import { volumeCommands } from './commands/volumes.js';

/** serve loads the whole engine; the other commands are thin clients and start without it. */
const serveCommand: Command = {
  usage: 'serve [--web]',
  summary: 'Run the engine headless; the API listens on a socket under BERTH_HOME',
  run: async (args, context) => (await import('./commands/serve.js')).serveCommand.run(args, context),
};

const commands: Record<string, Command> = { serve: serveCommand, ...containerCommands, ...execCommands, ...cpCommands, ...imageCommands, ...registryCommands, ...networkCommands, ...volumeCommands, ...diskCommands, ...dockerCommands };

function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(40)} ${c.summary}`);
  return ['Usage: berth COMMAND [ARGS]', '', 'Commands:', ...lines, '', 'BERTH_HOME selects the engine (default ~/.berth).'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`berth: unknown command "${name}" (see berth --help)\n`);
    return 2;
  }
  let client: SocketClient | undefined;
  const context: CommandContext = {
    client: async () => (client ??= await SocketClient.connect(socketPath(berthHome()))),
    terminalSocket: () => connectToEngine(terminalSocketPath(berthHome())),
    out: (text) => process.stdout.write(`${text}\n`),
    raw: (data, stream = 'stdout') => (stream === 'stderr' ? process.stderr : process.stdout).write(data),
    err: (text) => process.stderr.write(`${text}\n`),
  };
  try {
    return await command.run(args, context);
  } catch (err) {
    const error = BerthError.from(err);
    process.stderr.write(`berth: ${error.line}\n`);
    return error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    client?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
