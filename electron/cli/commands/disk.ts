import type { DiskUsage, PruneReport } from '../../../shared/disk-usage.js';
import type { Command, CommandContext } from '../command.js';
import { ago, bytes, shortId, table } from '../format.js';
import { flagSet, parseFlags } from '../parse-flags.js';
import { promptLine } from '../prompt.js';
import { familiarReference } from '../../images/reference.js';

function share(part: number, whole: number): string {
  return whole > 0 ? `${bytes(part)} (${Math.round((part / whole) * 100)}%)` : bytes(part);
}

/** Docker's summary table, with the containers' logs on a line of their own. */
function summary(usage: DiskUsage): string {
  const stopped = usage.containers.filter((c) => c.status !== 'running');
  const rw = (list: typeof usage.containers) => list.reduce((sum, c) => sum + c.sizeRw, 0);
  const logs = (list: typeof usage.containers) => list.reduce((sum, c) => sum + c.logSize, 0);
  const unusedVolumes = usage.volumes.filter((v) => v.containers === 0);
  const volumeBytes = (list: typeof usage.volumes) => list.reduce((sum, v) => sum + v.size, 0);
  return table(
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    [
      ['Images', String(usage.images.length), String(usage.images.filter((i) => i.containers > 0).length), bytes(usage.imagesSize), share(usage.imagesReclaimable, usage.imagesSize)],
      ['Containers', String(usage.containers.length), String(usage.containers.length - stopped.length), bytes(rw(usage.containers)), share(rw(stopped), rw(usage.containers))],
      ['Container logs', String(usage.containers.length), String(usage.containers.length - stopped.length), bytes(logs(usage.containers)), share(logs(stopped), logs(usage.containers))],
      ['Local Volumes', String(usage.volumes.length), String(usage.volumes.length - unusedVolumes.length), bytes(volumeBytes(usage.volumes)), share(volumeBytes(unusedVolumes), volumeBytes(usage.volumes))],
      ['Build Cache', '', '', bytes(usage.buildCacheSize), bytes(usage.buildCacheSize)],
    ],
  );
}

/** `system df -v`: each image, container and volume on its own line. */
function details(usage: DiskUsage): string {
  const images = table(
    ['REPOSITORY', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
    usage.images.map((i) => [i.names[0] ? familiarReference(i.names[0]) : '<none>', shortId(i.id), ago(i.created), bytes(i.size), bytes(i.sharedSize), bytes(i.size - i.sharedSize), String(i.containers)]),
  );
  const containers = table(
    ['CONTAINER ID', 'IMAGE', 'SIZE', 'LOGS', 'STATUS', 'NAMES'],
    usage.containers.map((c) => [c.id.slice(0, 12), c.image, bytes(c.sizeRw), bytes(c.logSize), c.status, c.name]),
  );
  const volumes = table(['VOLUME NAME', 'LINKS', 'SIZE'], usage.volumes.map((v) => [v.name, String(v.containers), bytes(v.size)]));
  return ['Images space usage:', '', images, '', 'Containers space usage:', '', containers, '', 'Local Volumes space usage:', '', volumes, '', `Build cache usage: ${bytes(usage.buildCacheSize)}`].join('\n');
}

/**
 * Docker's prune dialogue: what would go and the space it would free, then a yes before anything is
 * removed (none with -f). Answers what was removed.
 */
async function confirmed(context: CommandContext, force: boolean, what: string, dryRun: () => Promise<{ count: number; space: number }>): Promise<boolean> {
  if (force) return true;
  const { count, space } = await dryRun();
  if (count === 0) {
    context.out(`Nothing to remove: no ${what}.`);
    return false;
  }
  context.err(`WARNING! This will remove ${count} ${what}, freeing ${bytes(space)}.`);
  const answer = await promptLine('Are you sure you want to continue? [y/N] ', false).catch(() => '');
  return /^y(es)?$/i.test(answer.trim());
}

function printReport(out: (text: string) => void, heading: string, report: PruneReport, name: (removed: string) => string = (removed) => removed): void {
  if (report.removed.length > 0) out([heading, ...report.removed.map(name), ''].join('\n'));
}

const PRUNE_FLAGS = [{ name: 'force', short: 'f' }, { name: 'all', short: 'a' }];

export interface PruneKind {
  /** What the warning names, e.g. "stopped containers". */
  what: (all: boolean) => string;
  heading: string;
  call: (context: CommandContext, all: boolean, dryRun: boolean) => Promise<PruneReport>;
}

/** `KIND prune [-a] [-f]`: shared by containers, images, volumes and the build cache. */
export async function runPrune(args: string[], context: CommandContext, kind: PruneKind): Promise<number> {
  const parsed = parseFlags(args, PRUNE_FLAGS, false);
  const all = flagSet(parsed, 'all');
  const go = await confirmed(context, flagSet(parsed, 'force'), kind.what(all), async () => {
    const report = await kind.call(context, all, true);
    return { count: report.removed.length, space: report.spaceReclaimed };
  });
  if (!go) return 0;
  const report = await kind.call(context, all, false);
  printReport(context.out, kind.heading, report, kind.heading === 'Deleted Images:' ? (id) => `deleted: ${id}` : undefined);
  context.out(`Total reclaimed space: ${bytes(report.spaceReclaimed)}`);
  return 0;
}

function pruneCommand(group: string, summaryText: string, kind: PruneKind): Command {
  return {
    usage: `${group} prune [-a] [-f]`,
    summary: summaryText,
    async run(args, context) {
      const [sub, ...rest] = args;
      if (sub === 'prune') return runPrune(rest, context, kind);
      context.err(`berth: ${sub === undefined ? `"${group}" needs a subcommand` : `unknown ${group} command "${sub}"`}: berth ${group} prune [-a] [-f]`);
      return 2;
    },
  };
}

/** `berth system df|prune` and each kind's prune: where the disk went, and getting it back. */
export const diskCommands: Record<string, Command> = {
  system: {
    usage: 'system df [-v] [--json] | system prune [-a] [--volumes] [-f]',
    summary: 'Show disk usage, or remove what nothing uses',
    async run(args, context) {
      const [sub, ...rest] = args;
      const { out, err } = context;
      if (sub === 'df') {
        const parsed = parseFlags(rest, [{ name: 'verbose', short: 'v' }, { name: 'json' }], false);
        const usage = await (await context.client()).call('system.df', {});
        if (flagSet(parsed, 'json')) out(JSON.stringify(usage, null, 2));
        else out(flagSet(parsed, 'verbose') ? details(usage) : summary(usage));
        return 0;
      }
      if (sub === 'prune') {
        const parsed = parseFlags(rest, [...PRUNE_FLAGS, { name: 'volumes' }], false);
        const request = { all: flagSet(parsed, 'all'), volumes: flagSet(parsed, 'volumes') };
        const api = await context.client();
        const kinds = ['stopped containers', 'unused networks', request.all ? 'unused images' : 'dangling images', ...(request.volumes ? ['unused volumes made without a name'] : []), ...(request.all ? ['the build cache'] : [])];
        const go = await confirmed(context, flagSet(parsed, 'force'), `items (${kinds.join(', ')})`, async () => {
          const dry = await api.call('system.prune', { ...request, dryRun: true });
          return { count: dry.containers.removed.length + dry.networks.length + dry.images.removed.length + dry.volumes.removed.length + dry.buildCache.removed.length, space: dry.spaceReclaimed };
        });
        if (!go) return 0;
        const report = await api.call('system.prune', { ...request, dryRun: false });
        printReport(out, 'Deleted Containers:', report.containers);
        printReport(out, 'Deleted Networks:', { removed: report.networks, spaceReclaimed: 0 });
        printReport(out, 'Deleted Volumes:', report.volumes);
        printReport(out, 'Deleted Images:', report.images, (id) => `deleted: ${id}`);
        if (report.buildCache.spaceReclaimed > 0) out(`Emptied the build cache: ${bytes(report.buildCache.spaceReclaimed)}\n`);
        out(`Total reclaimed space: ${bytes(report.spaceReclaimed)}`);
        return 0;
      }
      err(`berth: ${sub === undefined ? '"system" needs a subcommand' : `unknown system command "${sub}"`}: berth system df [-v] | system prune [-a] [--volumes] [-f]`);
      return 2;
    },
  },
  container: pruneCommand('container', 'Remove every stopped container', {
    what: () => 'stopped containers',
    heading: 'Deleted Containers:',
    call: async (context, _all, dryRun) => (await context.client()).call('containers.prune', { dryRun }),
  }),
  image: pruneCommand('image', 'Remove dangling images (with -a, every unused image)', {
    what: (all) => (all ? 'images no container uses' : 'dangling images'),
    heading: 'Deleted Images:',
    call: async (context, all, dryRun) => (await context.client()).call('images.prune', { all, dryRun }),
  }),
  builder: pruneCommand('builder', 'Empty the build cache', {
    what: () => 'build cache entries',
    heading: 'Deleted build cache objects:',
    call: async (context, _all, dryRun) => (await context.client()).call('builder.prune', { dryRun }),
  }),
};
