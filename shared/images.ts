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
  /** Its VOLUMEs: container paths each run gets an anonymous volume at, filled from the image. */
  volumes: z.array(z.string()).default([]),
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

/** One step of how an image was made, oldest first (Docker's image history). */
export const ImageStep = z.object({
  created: z.string(),
  /** The instruction as the builder recorded it ('' when the image does not say). */
  createdBy: z.string(),
  comment: z.string(),
  /** The layer the step made; '' for a step that changed only the config (ENV, CMD, EXPOSE...). */
  diffId: z.string(),
  /** Bytes the layer takes unpacked; 0 for a config-only step. */
  size: z.number().int().nonnegative(),
});
export type ImageStep = z.infer<typeof ImageStep>;

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

export const PushProgress = z.object({
  reference: z.string(),
  layer: z.string(),
  /** `exists`: the registry had the layer already, so it was not sent. */
  status: z.enum(['preparing', 'waiting', 'pushing', 'pushed', 'exists']),
  current: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
export type PushProgress = z.infer<typeof PushProgress>;

/** What a push left in the registry: the manifest's digest and size, as `docker push` ends by saying. */
export const PushResult = z.object({ reference: z.string(), digest: z.string(), size: z.number().int().nonnegative() });
export type PushResult = z.infer<typeof PushResult>;

/** A registry as `docker login` takes it: `host[:port]`, a URL, or empty for Docker Hub. */
export const RegistryServer = z.string().max(1024).default('');

export const LoginRequest = z.object({
  server: RegistryServer,
  username: z.string().min(1).max(1024),
  password: z.string().min(1).max(64 * 1024),
  /** Keep the account where the docker CLI keeps its own; false only checks it (Docker's /auth). */
  save: z.boolean().default(true),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

const BuildArgs = z.record(z.string().min(1).max(256), z.string().max(64 * 1024));

/** A build of a Dockerfile, as `docker build` asks for it. */
export const BuildOptions = z.object({
  /** The Dockerfile's path within the context. */
  dockerfile: z.string().min(1).max(4096).default('Dockerfile'),
  /** Names for the result (`app:1`); none leaves it nameless, known by its id. */
  tags: z.array(z.string().min(1).max(1024)).max(64).default([]),
  buildArgs: BuildArgs.default({}),
  /** The stage to stop at, in a multi-stage Dockerfile. */
  target: z.string().min(1).max(256).optional(),
  noCache: z.boolean().default(false),
  /** Pull the base images again even when present. */
  pull: z.boolean().default(false),
  labels: BuildArgs.default({}),
});
export type BuildOptions = z.infer<typeof BuildOptions>;

/** A build of a context on the engine's machine: a folder named as its user names it, or a tar of one (plain, gzip or zstd), as Docker's API receives it. */
export const BuildRequest = BuildOptions.extend({ context: z.string().min(1).max(4096), contextIsArchive: z.boolean().default(false) });
export type BuildRequest = z.infer<typeof BuildRequest>;

/** The builder's output as it comes: its steps, and what each step's commands print. */
export const BuildOutput = z.object({ text: z.string() });
export type BuildOutput = z.infer<typeof BuildOutput>;
