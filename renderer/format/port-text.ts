import { hostAddress, type PortMapping } from '../../shared/ports.js';

/** Where a browser can reach the port: a wildcard bind is reached through loopback. */
export function portUrl(mapping: PortMapping): string | undefined {
  if (mapping.protocol !== 'tcp') return undefined;
  const loopback = mapping.hostIp === '::' ? '::1' : mapping.hostIp === '0.0.0.0' || mapping.hostIp === '' ? '127.0.0.1' : mapping.hostIp;
  return `http://${hostAddress({ hostIp: loopback, hostPort: mapping.hostPort })}/`;
}

/** Why a mapping has the source it has, for the badge's tooltip. */
export function explainSource(mapping: PortMapping): string {
  switch (mapping.source) {
    case 'user':
      return `Published as you asked (-p); never moved.`;
    case 'auto_expose':
      return `The image exposes ${mapping.guestPort}/${mapping.protocol}; published on the same host port.`;
    case 'auto_remap':
      return mapping.requestedHostPort
        ? `${mapping.requestedHostPort} was busy; moved to ${mapping.hostPort}`
        : `The usual host port was busy; moved to ${mapping.hostPort}`;
  }
}
