import { eachName, type Command } from '../command.js';
import { table } from '../format.js';
import { runPrune } from './disk.js';
import { flagSet, parseFlags } from '../parse-flags.js';

const USAGE = 'volume create [NAME] | volume ls [-q] [--json] | volume rm NAME... | volume inspect NAME... | volume prune [-a] [-f]';

/** `berth volume ...`: named volumes, kept under the engine's data and mounted with -v NAME:/path. */
export const volumeCommands: Record<string, Command> = {
  volume: {
    usage: 'volume create|ls|rm|inspect|prune',
    summary: 'Manage named volumes',
    async run(args, context) {
      const [sub, ...rest] = args;
      const { out, err } = context;
      if (sub === 'create') {
        const { positionals } = parseFlags(rest, [], false);
        if (positionals.length > 1) {
          err('"volume create" takes at most one name: berth volume create [NAME]');
          return 2;
        }
        out((await (await context.client()).call('volumes.create', { name: positionals[0] })).name);
        return 0;
      }
      if (sub === 'ls' || sub === 'list') {
        const parsed = parseFlags(rest, [{ name: 'quiet', short: 'q' }, { name: 'json' }], false);
        const volumes = await (await context.client()).call('volumes.list', {});
        if (flagSet(parsed, 'json')) out(JSON.stringify(volumes, null, 2));
        else if (flagSet(parsed, 'quiet')) volumes.forEach((v) => out(v.name));
        else out(table(['DRIVER', 'VOLUME NAME', 'USED BY'], volumes.map((v) => ['local', v.name, v.usedBy.join(', ')])));
        return 0;
      }
      if (sub === 'rm' || sub === 'remove' || sub === 'inspect') {
        const { positionals } = parseFlags(rest, [], false);
        if (positionals.length === 0) {
          err(`"volume ${sub}" needs at least one volume: berth volume ${sub} NAME...`);
          return 2;
        }
        const api = await context.client();
        if (sub !== 'inspect') return eachName(positionals, context, (name) => api.call('volumes.remove', { name }));
        const volumes = await api.call('volumes.list', {});
        const found = volumes.filter((v) => positionals.includes(v.name));
        for (const name of positionals.filter((n) => !found.some((v) => v.name === n))) err(`Error: no such volume: ${name}`);
        out(JSON.stringify(found, null, 2));
        return found.length === positionals.length ? 0 : 1;
      }
      if (sub === 'prune') {
        return runPrune(rest, context, {
          what: (all) => (all ? 'unused volumes' : 'unused volumes made without a name (-a: named ones too)'),
          heading: 'Deleted Volumes:',
          call: async (ctx, all, dryRun) => (await ctx.client()).call('volumes.prune', { all, dryRun }),
        });
      }
      err(`berth: ${sub === undefined ? '"volume" needs a subcommand' : `unknown volume command "${sub}"`}: berth ${USAGE}`);
      return 2;
    },
  },
};
