import { DockerError, ok, type DockerRoute } from './docker-call.js';

/** The networks every container can join until user-defined ones come: Docker's three built-in ones. */
const NETWORKS = [
  { Name: 'bridge', Driver: 'bridge' },
  { Name: 'host', Driver: 'host' },
  { Name: 'none', Driver: 'null' },
];

function networkShape(network: { Name: string; Driver: string }) {
  return { Name: network.Name, Id: network.Name, Created: '0001-01-01T00:00:00Z', Scope: 'local', Driver: network.Driver, EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false, Containers: {}, Options: {}, Labels: {} };
}

/**
 * `GET /networks` and one network's inspect; making networks answers 501 until they exist. No
 * plugins either, said as "none" and "not found": `docker inspect NAME` asks each kind of object in
 * turn and needs a 404 from each to say "No such object".
 */
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
    { method: 'GET', path: '/networks', handler: async () => ok(NETWORKS.map(networkShape)) },
    {
      method: 'GET',
      path: '/networks/:name',
      handler: async (call) => {
        const network = NETWORKS.find((n) => n.Name === call.params.name);
        if (!network) throw new DockerError(404, `network ${call.params.name} not found`);
        return ok(networkShape(network));
      },
    },
  ];
}
