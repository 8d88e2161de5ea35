import { join } from 'node:path';
import { BerthError } from '../../../shared/berth-error.js';
import { Engine } from '../../engine/engine.js';
import { configFromEnv, packageRoot, socketPath } from '../../engine/engine-config.js';
import { SocketClient } from '../../transport/socket/socket-client.js';
import { serveSocket } from '../../transport/socket/socket-server.js';
import { serveWeb, type WebServer } from '../../transport/web/web-server.js';
import type { Command } from '../command.js';

export const serveCommand: Pick<Command, 'run'> = {
  async run(args, { out, err }) {
    const unknown = args.filter((arg) => arg !== '--web');
    if (unknown.length > 0) throw new BerthError('INVALID_ARGUMENT', `serve: unknown option "${unknown[0]}" (usage: berth serve [--web])`);
    const web = args.includes('--web');
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
    let ui: WebServer | undefined;
    try {
      ui = web ? await serveWeb(engine, { rendererDir: join(packageRoot(), 'dist', 'renderer') }) : undefined;
    } catch (error) {
      await server.close();
      await engine.close();
      throw error;
    }
    for (const warning of engine.warnings) err(`warning: ${warning}`);
    out(`Berth engine serving on ${path}`);
    // The last line, printed once the UI answers: scripts and tests wait for it.
    if (ui) out(`Berth UI: ${ui.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Containers keep running; the next engine adopts them.
    await ui?.close();
    await server.close();
    await engine.close();
    return 0;
  },
};
