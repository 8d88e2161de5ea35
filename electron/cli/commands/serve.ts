import { join } from 'node:path';
import { BerthError } from '../../../shared/berth-error.js';
import type { HostStatus } from '../../../shared/host-status.js';
import type { Engine } from '../../engine/engine.js';
import { configFromEnv, dockerHostOf, packageRoot } from '../../engine/engine-config.js';
import { serveEngine } from '../../transport/serve-engine.js';
import { serveWeb, type WebServer } from '../../transport/web/web-server.js';
import type { Command } from '../command.js';

export const serveCommand: Pick<Command, 'run'> = {
  async run(args, { out, err }) {
    const unknown = args.filter((arg) => arg !== '--web');
    if (unknown.length > 0) throw new BerthError('INVALID_ARGUMENT', `serve: unknown option "${unknown[0]}" (usage: berth serve [--web])`);
    const web = args.includes('--web');
    // Heard from the start: a stop during the host's set-up (a distro import) ends it cleanly too.
    const stopAsked = new Promise<'stop'>((resolve) => {
      process.once('SIGINT', () => resolve('stop'));
      process.once('SIGTERM', () => resolve('stop'));
    });
    const served = await serveEngine(configFromEnv(), progressPrinter(err));
    let ui: WebServer | undefined;
    let engine: Engine | undefined;
    try {
      ui = web ? await serveWeb(served.slot, { rendererDir: join(packageRoot(), 'dist', 'renderer') }) : undefined;
      // The page answers from now on, showing the host's set-up until the engine is in.
      if (ui) out(`Berth UI: ${ui.url}`);
      const opened = await Promise.race([served.opening, stopAsked]);
      if (opened === 'stop') {
        await ui?.close();
        await served.stop();
        return 0;
      }
      engine = opened;
    } catch (error) {
      await ui?.close();
      await served.stop();
      throw error;
    }
    for (const warning of engine?.warnings ?? []) err(`warning: ${warning}`);
    // Scripts and tests wait for this line: the engine answers (or its host's problem is printed above).
    if (engine) out(`Docker API: export DOCKER_HOST=${dockerHostOf(served.dockerSocketPath)}`);
    out(engine ? `Berth engine serving on ${served.socketPath}` : `Berth serving on ${served.socketPath}, without an engine: Linux is not ready`);
    await stopAsked;
    await ui?.close();
    await served.stop();
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
