import { join } from 'node:path';
import { BerthError } from '../../../shared/berth-error.js';
import type { HostStatus } from '../../../shared/host-status.js';
import type { Engine } from '../../engine/engine.js';
import { configFromEnv, packageRoot, socketPath } from '../../engine/engine-config.js';
import { openEngineInto } from '../../engine/engine-host.js';
import { EngineSlot } from '../../engine/engine-slot.js';
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
    // Served from the start, so a window shows the host's bootstrap while it runs.
    const slot = EngineSlot.starting(config.host.kind);
    const server = await serveSocket(slot, path);
    let ui: WebServer | undefined;
    let engine: Engine | undefined;
    try {
      ui = web ? await serveWeb(slot, { rendererDir: join(packageRoot(), 'dist', 'renderer') }) : undefined;
      // The page answers from now on, showing the host's set-up until the engine is in.
      if (ui) out(`Berth UI: ${ui.url}`);
      engine = await openEngineInto(slot, config, progressPrinter(err));
    } catch (error) {
      await ui?.close();
      await server.close();
      throw error;
    }
    for (const warning of engine?.warnings ?? []) err(`warning: ${warning}`);
    // Scripts and tests wait for this line: the engine answers (or its host's problem is printed above).
    out(engine ? `Berth engine serving on ${path}` : `Berth serving on ${path}, without an engine: Linux is not ready`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Containers stop and give back their ports, unless BERTH_KEEP_RUNNING leaves them to the next engine.
    slot.detach();
    await ui?.close();
    await server.close();
    await engine?.quit();
    return 0;
  },
};

/** Bootstrap steps as lines: each new step, its progress in tenths, and a final problem with its fix. */
function progressPrinter(err: (line: string) => void): (status: HostStatus) => void {
  let last = '';
  return (status) => {
    const progress = status.progress;
    const line = progress
      ? `${progress.step}… ${Math.floor(progress.fraction * 10) * 10}%`
      : status.state === 'ready'
        ? ''
        : [status.message, status.fix].filter(Boolean).join(' ');
    if (line && line !== last) err(line);
    last = line;
  };
}
