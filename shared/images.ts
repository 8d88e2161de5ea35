import { z } from 'zod';
import { PULL_POLICIES } from './choices.js';
import { HealthCheck } from './health.js';

export const PullPolicy = z.enum(PULL_POLICIES);
export type PullPolicy = z.infer<typeof PullPolicy>;

/** The parts of an OCI image config a container is built from. */
export const ImageConfig = z.object({
  env: z.array(z.string()).default([]),
  entrypoint: z.array(z.string()).default([]),
  cmd: z.array(z.string()).default([]),
  workingDir: z.string().default(''),
  user: z.string().default(''),
  exposedPorts: z.array(z.string()).default([]),
  labels: z.record(z.string(), z.string()).default({}),
  stopSignal: z.string().default(''),
  healthcheck: HealthCheck.optional(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

export const Image = z.object({
  /** Digest of the image config: the image's identity. */
  id: z.string(),
  /** Normalised references that point at it, e.g. docker.io/library/busybox:latest. */
  names: z.array(z.string()),
  /** Digest of the manifest it was pulled or loaded from. */
  manifestDigest: z.string(),
  /** Digest of the multi-platform index the manifest was picked from, when there was one. */
  indexDigest: z.string().optional(),
  /** Uncompressed layer digests (diff ids), bottom first. */
  layers: z.array(z.string()),
  /** Bytes of the config and the layers as stored (compressed, as the registry sent them). */
  size: z.number().int().nonnegative(),
  created: z.string(),
  config: ImageConfig,
});
export type Image = z.infer<typeof Image>;

export const PullProgress = z.object({
  reference: z.string(),
  layer: z.string(),
  status: z.enum(['waiting', 'downloading', 'verifying', 'unpacking', 'done', 'cached']),
  current: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
export type PullProgress = z.infer<typeof PullProgress>;

/** An account on a registry, for basic auth or to obtain a bearer token. */
export const RegistryCredentials = z.object({
  username: z.string(),
  password: z.string(),
});
export type RegistryCredentials = z.infer<typeof RegistryCredentials>;
