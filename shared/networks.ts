import { z } from 'zod';

/** Docker's network name rule (as for containers): a letter or digit, then letters, digits, _ . - */
export const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** How a network's containers are connected: a Linux bridge of their own, the host's stack, or nothing. */
export const NetworkDriver = z.enum(['bridge', 'host', 'null']);
export type NetworkDriver = z.infer<typeof NetworkDriver>;

/** A container on a network, as the network lists it. */
export const NetworkMember = z.object({
  id: z.string(),
  name: z.string(),
  /** '' while the container is not running. */
  address: z.string(),
  aliases: z.array(z.string()),
});
export type NetworkMember = z.infer<typeof NetworkMember>;

export const Network = z.object({
  id: z.string(),
  name: z.string(),
  driver: NetworkDriver,
  created: z.string(),
  /** bridge, host and none: made by the engine, never removed. */
  builtin: z.boolean(),
  /** '' for host and none. */
  subnet: z.string(),
  gateway: z.string(),
  /** No way out of the network: its containers reach each other only. */
  internal: z.boolean(),
  /** Whether its containers resolve each other by name (user-defined networks, as in Docker). */
  dns: z.boolean(),
  labels: z.record(z.string(), z.string()),
  /** The Linux bridge carrying it ('' for host and none). */
  bridge: z.string(),
  /** Containers on it, running or not. */
  containers: z.array(NetworkMember),
});
export type Network = z.infer<typeof Network>;

/** What `network create` asks for; what is left out is chosen by the engine. */
export const NetworkSpec = z.object({
  name: z.string().min(1).max(128),
  /** e.g. 10.90.4.0/24; by default a free /24 from the engine's pool. */
  subnet: z.string().max(64).optional(),
  /** By default the subnet's first address. */
  gateway: z.string().max(64).optional(),
  internal: z.boolean().default(false),
  labels: z.record(z.string().max(1024), z.string().max(64 * 1024)).default({}),
});
export type NetworkSpec = z.infer<typeof NetworkSpec>;
export type NetworkSpecInput = z.input<typeof NetworkSpec>;

/** A name a container answers to on a network: a DNS name (letters, digits, _ . -). */
export const NetworkAlias = z.string().min(1).max(253).regex(/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/, 'a network alias is letters, digits, _ . - and starts and ends with a letter, digit or _');

/** A network a container asks to be on, with the extra names it answers to there. */
export const EndpointRequest = z.object({
  /** A network's name, id or unique id prefix. */
  network: z.string().min(1).max(256),
  aliases: z.array(NetworkAlias).max(64).default([]),
});
export type EndpointRequest = z.infer<typeof EndpointRequest>;

/** How a container on `network` is networked: the host's stack, none, or bridges (the default or user-defined ones). */
export function networkModeOf(network: string): 'bridge' | 'host' | 'none' {
  return network === 'host' || network === 'none' ? network : 'bridge';
}
