import { Engine } from '../../engine/engine.js';
import { configFromEnv, socketPath } from '../../engine/engine-config.js';
import { SocketClient } from '../../transport/socket/socket-client.js';
import { serveSocket } from '../../transport/socket/socket-server.js';
import type { Command } from '../command.js';

export const serveCommand: Pick<Command, 'run'> = {
  async run(_args, { out, err }) {
    const config = configFromEnv();
    const path = socketPath(config.home);
    const existing = await SocketClient.connect(path).catch(() => undefined);
    if (existing) {
      existing.close();
      err(`an engine is already serving ${config.home} (socket ${path})`);
      return 1;
    }
    const engine = await Engine.open(config);
    const server = await serveSocket(engine, path);
    for (const warning of engine.warnings) err(`warning: ${warning}`);
    out(`Berth engine serving on ${path}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Containers keep running; the next engine adopts them.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await engine.close();
    return 0;
  },
};
