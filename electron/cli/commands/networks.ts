import { eachName, type Command } from '../command.js';
import { table } from '../format.js';
import { flagPairs, flagSet, flagValue, flagValues, parseFlags } from '../parse-flags.js';

const USAGE =
  'network create [--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME | network ls [-q] [--json] | network inspect NAME... | ' +
  'network rm NAME... | network connect [--alias NAME] NETWORK CONTAINER | network disconnect NETWORK CONTAINER | network prune';

/** `KEY=VALUE` labels, a bare KEY meaning an empty value (as Docker has it). */
/** `berth network ...`: Docker's networks, each a bridge of its own where containers find each other by name. */
export const networkCommands: Record<string, Command> = {
  network: {
    usage: 'network create|ls|inspect|rm|connect|disconnect|prune',
    summary: 'Manage networks',
    async run(args, context) {
      const [sub, ...rest] = args;
      const { out, err } = context;
      if (sub === 'create') {
        const parsed = parseFlags(rest, [{ name: 'subnet', value: true }, { name: 'gateway', value: true }, { name: 'internal' }, { name: 'label', value: true, repeat: true }, { name: 'driver', short: 'd', value: true }], false);
        const [name, ...extra] = parsed.positionals;
        if (!name || extra.length > 0) {
          err('"network create" takes one name: berth network create [OPTIONS] NAME');
          return 2;
        }
        const driver = flagValue(parsed, 'driver') ?? 'bridge';
        if (driver !== 'bridge') {
          err(`berth: network driver "${driver}" is not supported (bridge is)`);
          return 2;
        }
        const api = await context.client();
        const network = await api.call('networks.create', { name, subnet: flagValue(parsed, 'subnet'), gateway: flagValue(parsed, 'gateway'), internal: flagSet(parsed, 'internal'), labels: flagPairs(parsed, 'label') });
        out(network.id);
        return 0;
      }
      if (sub === 'ls' || sub === 'list') {
        const parsed = parseFlags(rest, [{ name: 'quiet', short: 'q' }, { name: 'json' }], false);
        const networks = await (await context.client()).call('networks.list', {});
        if (flagSet(parsed, 'json')) out(JSON.stringify(networks, null, 2));
        else if (flagSet(parsed, 'quiet')) networks.forEach((n) => out(n.id.slice(0, 12)));
        else out(table(['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'CONTAINERS'], networks.map((n) => [n.id.slice(0, 12), n.name, n.driver, n.subnet, String(n.containers.length)])));
        return 0;
      }
      if (sub === 'inspect' || sub === 'rm' || sub === 'remove') {
        const { positionals } = parseFlags(rest, [], false);
        if (positionals.length === 0) {
          err(`"network ${sub}" needs at least one network: berth network ${sub} NAME...`);
          return 2;
        }
        const api = await context.client();
        if (sub !== 'inspect') return eachName(positionals, context, (network) => api.call('networks.remove', { network }));
        const found = [];
        for (const network of positionals) {
          try {
            found.push(await api.call('networks.inspect', { network }));
          } catch (error) {
            err(`Error: ${(error as Error).message}`);
          }
        }
        out(JSON.stringify(found, null, 2));
        return found.length === positionals.length ? 0 : 1;
      }
      if (sub === 'connect' || sub === 'disconnect') {
        const parsed = parseFlags(rest, sub === 'connect' ? [{ name: 'alias', value: true, repeat: true }] : [{ name: 'force', short: 'f' }], false);
        const [network, container, ...extra] = parsed.positionals;
        if (!network || !container || extra.length > 0) {
          err(`"network ${sub}" takes a network and a container: berth network ${sub} NETWORK CONTAINER`);
          return 2;
        }
        const api = await context.client();
        if (sub === 'connect') await api.call('networks.connect', { network, container, aliases: flagValues(parsed, 'alias') });
        else await api.call('networks.disconnect', { network, container, force: flagSet(parsed, 'force') });
        return 0;
      }
      if (sub === 'prune') {
        const parsed = parseFlags(rest, [{ name: 'force', short: 'f' }, { name: 'filter', value: true, repeat: true }], false);
        const labels = flagValues(parsed, 'filter').map((f) => (f.startsWith('label=') ? f.slice('label='.length) : f));
        const { removed } = await (await context.client()).call('networks.prune', { labels });
        if (removed.length > 0) out(['Deleted Networks:', ...removed].join('\n'));
        return 0;
      }
      err(`berth: ${sub === undefined ? '"network" needs a subcommand' : `unknown network command "${sub}"`}: berth ${USAGE}`);
      return 2;
    },
  },
};
