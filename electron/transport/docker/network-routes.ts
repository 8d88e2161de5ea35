import { z } from 'zod';
import { labelsMatch } from '../../../shared/labels.js';
import type { Network } from '../../../shared/networks.js';
import { describeIssues } from '../dispatch.js';
import { DockerError, noContent, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { queryFilters } from './docker-query.js';

/** A network as Docker shows it; `members` lists the containers running on it (inspect only, as dockerd). */
export function networkShape(network: Network, members: boolean) {
  const running = network.containers.filter((c) => c.address !== '');
  const prefix = network.subnet.split('/')[1] ?? '';
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: network.subnet ? [{ Subnet: network.subnet, Gateway: network.gateway }] : [] },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: members ? Object.fromEntries(running.map((c) => [c.id, { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: `${c.address}/${prefix}`, IPv6Address: '' }])) : {},
    Options: {},
    Labels: network.labels,
  };
}

const CreateNetwork = z.object({
  Name: z.string().min(1).max(128),
  Driver: z.string().nullish(),
  Internal: z.boolean().nullish(),
  EnableIPv6: z.boolean().nullish(),
  IPAM: z
    .object({ Driver: z.string().nullish(), Config: z.array(z.object({ Subnet: z.string().nullish(), Gateway: z.string().nullish(), IPRange: z.string().nullish() })).nullish() })
    .nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
});

const Connect = z.object({ Container: z.string().min(1), EndpointConfig: z.object({ Aliases: z.array(z.string()).nullish() }).nullish() });
const Disconnect = z.object({ Container: z.string().min(1), Force: z.boolean().nullish() });

async function parsed<T>(call: DockerCall, schema: z.ZodType<T>, what: string): Promise<T> {
  const result = schema.safeParse((await call.body()) ?? {});
  if (!result.success) throw new DockerError(400, describeIssues(what, result.error));
  return result.data;
}

/** `GET /networks` filters: Docker's name (part of it), id (prefix), label, driver, type (custom or builtin), dangling. */
function listFilter(query: URLSearchParams): (network: Network) => boolean {
  const filters = queryFilters(query, ['name', 'id', 'label', 'driver', 'type', 'dangling', 'scope']);
  const all = (name: string, test: (value: string) => boolean) => (filters.get(name) ?? []).every(test);
  const any = (name: string, test: (value: string) => boolean) => !filters.has(name) || filters.get(name)!.some(test);
  return (n) =>
    any('name', (v) => n.name.includes(v)) &&
    any('id', (v) => n.id.startsWith(v)) &&
    all('label', (v) => labelsMatch(n.labels, [v])) &&
    any('driver', (v) => n.driver === v) &&
    any('type', (v) => (v === 'builtin') === n.builtin) &&
    any('scope', (v) => v === 'local') &&
    any('dangling', (v) => (v === 'true' || v === '1') === (!n.builtin && n.containers.length === 0));
}

/** `/networks/...`: Docker's networks onto the contract; no plugins either, said as "none" and "not found". */
export function networkRoutes(): DockerRoute[] {
  return [
    { method: 'GET', path: '/plugins', handler: async () => ok([]) },
    {
      method: 'GET',
      path: '/plugins/*name/json',
      handler: async (call) => {
        throw new DockerError(404, `plugin "${call.params.name}" not found`);
      },
    },
    {
      method: 'GET',
      path: '/networks',
      handler: async (call) => {
        const keep = listFilter(call.query);
        return ok((await call.engine('networks.list', {})).filter(keep).map((n) => networkShape(n, false)));
      },
    },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (call) => {
        const body = await parsed(call, CreateNetwork, 'network create');
        if (body.Driver && body.Driver !== 'bridge') throw new DockerError(400, `network driver "${body.Driver}" is not supported by Berth (bridge is)`);
        if (body.EnableIPv6) throw new DockerError(400, 'IPv6 networks are not supported by Berth yet');
        const configs = body.IPAM?.Config ?? [];
        if (configs.some((c) => c.Subnet?.includes(':'))) throw new DockerError(400, 'IPv6 subnets are not supported by Berth yet');
        if (configs.length > 1) throw new DockerError(400, 'a network takes one subnet on Berth');
        const [config] = configs;
        const network = await call.engine('networks.create', { name: body.Name, subnet: config?.Subnet || undefined, gateway: config?.Gateway || undefined, internal: body.Internal ?? false, labels: body.Labels ?? {} });
        return ok({ Id: network.id, Warning: '' }, 201);
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (call) => {
        const filters = queryFilters(call.query, ['label', 'until']);
        const { removed } = await call.engine('networks.prune', { labels: filters.get('label') ?? [] });
        return ok({ NetworksDeleted: removed });
      },
    },
    { method: 'GET', path: '/networks/:name', handler: async (call) => ok(networkShape(await call.engine('networks.inspect', { network: call.params.name! }), true)) },
    {
      method: 'DELETE',
      path: '/networks/:name',
      handler: async (call) => {
        const network = await call.engine('networks.inspect', { network: call.params.name! });
        if (network.builtin) throw new DockerError(403, `${network.name} is a pre-defined network and cannot be removed`);
        await call.engine('networks.remove', { network: network.id });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/networks/:name/connect',
      handler: async (call) => {
        const body = await parsed(call, Connect, 'network connect');
        await call.engine('networks.connect', { network: call.params.name!, container: body.Container, aliases: body.EndpointConfig?.Aliases ?? [] });
        return ok(null);
      },
    },
    {
      method: 'POST',
      path: '/networks/:name/disconnect',
      handler: async (call) => {
        const body = await parsed(call, Disconnect, 'network disconnect');
        await call.engine('networks.disconnect', { network: call.params.name!, container: body.Container, force: body.Force ?? false });
        return ok(null);
      },
    },
  ];
}
