import { BerthError } from '../../shared/berth-error.js';

/** An IPv4 subnet with the addresses Berth gives special roles. Addresses are unsigned 32-bit numbers. */
export interface Subnet {
  /** Canonical text, e.g. '10.88.0.0/24'. */
  readonly cidr: string;
  readonly network: number;
  readonly prefixLength: number;
  readonly broadcast: number;
  /** The bridge's own address: the first host address. */
  readonly gateway: number;
  /** First and last addresses a container may take. */
  readonly firstHost: number;
  readonly lastHost: number;
}

// Wider than /8 would swallow other people's routes; narrower than /30 leaves no room for a container.
const MIN_PREFIX = 8;
const MAX_PREFIX = 30;

/** Parses dotted-quad IPv4 text strictly; `what` names the value in the error. */
export function parseIpv4(text: string, what = 'address'): number {
  const parts = text.split('.');
  if (parts.length !== 4) {
    throw invalid(`${what} '${text}' is not an IPv4 address (expected four numbers separated by dots)`);
  }
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some tools read '010' as octal 8.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) {
      throw invalid(`${what} '${text}': part '${part}' is not a number from 0 to 255`);
    }
    const octet = Number(part);
    if (octet > 255) throw invalid(`${what} '${text}': part '${part}' is out of range 0-255`);
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Parses 'A.B.C.D/N' where A.B.C.D is the network address itself (no host bits set). */
export function parseSubnet(cidr: string): Subnet {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw invalid(`subnet '${cidr}' has no prefix length (expected e.g. 10.88.0.0/24)`);
  const addressText = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  const address = parseIpv4(addressText, `subnet '${cidr}': address`);
  if (!/^[0-9]{1,2}$/.test(prefixText)) {
    throw invalid(`subnet '${cidr}': prefix length '${prefixText}' is not a number`);
  }
  const prefixLength = Number(prefixText);
  if (prefixLength < MIN_PREFIX || prefixLength > MAX_PREFIX) {
    throw invalid(
      `subnet '${cidr}': prefix length ${prefixLength} is outside ${MIN_PREFIX}-${MAX_PREFIX}`,
    );
  }
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    throw invalid(
      `subnet '${cidr}': address ${addressText} has host bits set; did you mean ${formatIpv4(network)}/${prefixLength}?`,
    );
  }
  const broadcast = network + size - 1;
  return {
    cidr: `${formatIpv4(network)}/${prefixLength}`,
    network,
    prefixLength,
    broadcast,
    gateway: network + 1,
    firstHost: network + 2,
    lastHost: broadcast - 1,
  };
}

/**
 * The subnet with another gateway than its first address (Docker's --gateway): containers may then
 * take every address but the network's, the broadcast and the gateway.
 */
export function withGateway(subnet: Subnet, gatewayText: string): Subnet {
  const gateway = parseIpv4(gatewayText, 'gateway');
  if (gateway <= subnet.network || gateway >= subnet.broadcast) {
    throw invalid(`gateway ${gatewayText} is not a host address of subnet ${subnet.cidr}`);
  }
  if (gateway === subnet.gateway) return subnet;
  return { ...subnet, gateway, firstHost: subnet.network + 1 };
}

/** Parses `address` and checks a container may use it in `subnet`; returns it as a number. */
export function containerAddress(subnet: Subnet, address: string): number {
  const value = parseIpv4(address);
  if (value < subnet.network || value > subnet.broadcast) {
    throw new BerthError('NETWORK_ERROR', `address ${address} is outside subnet ${subnet.cidr}`);
  }
  if (value === subnet.gateway) {
    throw new BerthError('NETWORK_ERROR', `address ${address} is the gateway of subnet ${subnet.cidr}`);
  }
  if (value < subnet.firstHost || value > subnet.lastHost) {
    throw new BerthError(
      'NETWORK_ERROR',
      `address ${address} is the network or broadcast address of subnet ${subnet.cidr}`,
    );
  }
  return value;
}

function invalid(message: string): BerthError {
  return new BerthError('INVALID_ARGUMENT', message);
}
