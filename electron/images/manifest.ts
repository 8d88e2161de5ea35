import { z } from 'zod';
import type { HealthCheck } from '../../shared/health.js';
import { BerthError } from '../../shared/berth-error.js';
import { ImageConfig } from '../../shared/images.js';
import { oneLine, quoted } from './untrusted-text.js';

export const MediaType = {
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** What a registry is asked for: every manifest kind Berth can read, lists first. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** Manifests and configs are small documents; anything bigger is refused before it is parsed. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

const MAX_PLATFORMS_SHOWN = 8;

const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be a sha256 digest');

export const Descriptor = z.object({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
  platform: z
    .object({
      architecture: z.string(),
      os: z.string(),
      variant: z.string().nullish(),
    })
    .nullish(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const ImageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().nullish(),
  manifests: z.array(Descriptor),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().nullish(),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

const StringList = z.array(z.string()).nullish();

/** The OCI image config, as far as Berth reads it (Docker's `null`s included). */
export const OciConfig = z.object({
  created: z.string().nullish(),
  architecture: z.string().nullish(),
  os: z.string().nullish(),
  config: z
    .object({
      Env: StringList,
      Entrypoint: StringList,
      Cmd: StringList,
      WorkingDir: z.string().nullish(),
      User: z.string().nullish(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Volumes: z.record(z.string(), z.unknown()).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
      StopSignal: z.string().nullish(),
      // Docker's image format only; durations in nanoseconds.
      Healthcheck: z
        .object({
          Test: StringList,
          Interval: z.number().nonnegative().nullish(),
          Timeout: z.number().nonnegative().nullish(),
          StartPeriod: z.number().nonnegative().nullish(),
          Retries: z.number().int().nonnegative().nullish(),
        })
        .nullish(),
    })
    .nullish(),
  rootfs: z.object({
    type: z.string(),
    diff_ids: z.array(Digest),
  }),
  /** One entry per build step, oldest first; steps that changed only the config say `empty_layer`. */
  history: z
    .array(
      z.object({
        created: z.string().nullish(),
        created_by: z.string().nullish(),
        comment: z.string().nullish(),
        empty_layer: z.boolean().nullish(),
      }),
    )
    .nullish(),
});
export type OciConfig = z.infer<typeof OciConfig>;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The platform images are run on: Linux on this machine's architecture (amd64 on x64). */
export function defaultPlatform(): Platform {
  const architectures: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const architecture = architectures[process.arch] ?? process.arch;
  return architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
}

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

/**
 * Reads a manifest or an index. The content type is a hint; the document's own mediaType and
 * shape decide, since registries and archives are not always precise about the header.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BerthError('REGISTRY_ERROR', `manifest of ${what} is not valid JSON`);
  }
  const declared = (isRecord(json) && typeof json['mediaType'] === 'string' ? json['mediaType'] : undefined) ?? contentType?.split(';')[0]?.trim();
  if (declared === MediaType.dockerSchema1 || declared === MediaType.dockerSchema1Signed || (isRecord(json) && json['schemaVersion'] === 1)) {
    throw new BerthError('REGISTRY_ERROR', `manifest of ${what} uses Docker schema 1, which is not supported`);
  }
  const isIndex = declared === MediaType.ociIndex || declared === MediaType.dockerManifestList || (isRecord(json) && Array.isArray(json['manifests']));
  if (isIndex) {
    const parsed = ImageIndex.safeParse(json);
    if (!parsed.success) throw new BerthError('REGISTRY_ERROR', `image index of ${what} is malformed: ${firstIssue(parsed.error)}`);
    return { kind: 'index', index: parsed.data };
  }
  const parsed = ImageManifest.safeParse(json);
  if (!parsed.success) throw new BerthError('REGISTRY_ERROR', `manifest of ${what} is malformed: ${firstIssue(parsed.error)}`);
  return { kind: 'manifest', manifest: parsed.data };
}

/** True for index entries that describe signatures or build attestations rather than an image. */
export function isAttestation(entry: Descriptor): boolean {
  if (entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown';
}

/** Picks the entry for `platform` from an index; an exact variant wins, then any variant. */
export function selectPlatform(index: ImageIndex, platform: Platform, what: string): Descriptor {
  const images = index.manifests.filter((entry) => !isAttestation(entry));
  const matching = images.filter((entry) => entry.platform?.os === platform.os && entry.platform.architecture === platform.architecture);
  const exact = matching.find((entry) => (entry.platform?.variant ?? undefined) === platform.variant);
  const chosen = exact ?? matching[0];
  if (chosen) return chosen;
  const available = images.map((entry) => (entry.platform ? oneLine(platformName(entry.platform), 40) : 'unknown platform'));
  // An index may list thousands of entries: the message names a few.
  const shown = available.length > MAX_PLATFORMS_SHOWN ? [...available.slice(0, MAX_PLATFORMS_SHOWN), `${available.length - MAX_PLATFORMS_SHOWN} more`] : available;
  throw new BerthError(
    'IMAGE_NOT_FOUND',
    `${what} has no image for ${platformName(platform)} (available: ${shown.length > 0 ? shown.join(', ') : 'none'})`,
  );
}

function platformName(platform: { os: string; architecture: string; variant?: string | null | undefined }): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/');
}

export function parseConfig(bytes: Buffer, what: string): OciConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BerthError('REGISTRY_ERROR', `image config of ${what} is not valid JSON`);
  }
  const parsed = OciConfig.safeParse(json);
  if (!parsed.success) throw new BerthError('REGISTRY_ERROR', `image config of ${what} is malformed: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/** The parts of an OCI config a container is built from, with Docker's nulls made empty. */
export function toImageConfig(config: OciConfig): ImageConfig {
  const c = config.config;
  return ImageConfig.parse({
    env: c?.Env ?? [],
    entrypoint: c?.Entrypoint ?? [],
    cmd: c?.Cmd ?? [],
    workingDir: c?.WorkingDir ?? '',
    user: c?.User ?? '',
    exposedPorts: Object.keys(c?.ExposedPorts ?? {}),
    labels: c?.Labels ?? {},
    stopSignal: c?.StopSignal ?? '',
    healthcheck: c?.Healthcheck ? healthCheckOf(c.Healthcheck) : undefined,
    volumes: Object.keys(c?.Volumes ?? {}),
  });
}

/** Docker's Healthcheck (nanoseconds; 0 means the default) as the engine's (milliseconds). */
function healthCheckOf(check: NonNullable<NonNullable<OciConfig['config']>['Healthcheck']>): HealthCheck {
  const ms = (ns: number | null | undefined) => (ns ? Math.max(1, Math.round(ns / 1e6)) : undefined);
  return {
    test: check.Test ?? [],
    intervalMs: ms(check.Interval),
    timeoutMs: ms(check.Timeout),
    startPeriodMs: ms(check.StartPeriod),
    retries: check.Retries || undefined,
  };
}

/** Refuses manifests that describe something other than a runnable image (charts, signatures...). */
export function checkConfigType(manifest: ImageManifest, what: string): void {
  const type = manifest.config.mediaType;
  if (type !== MediaType.ociConfig && type !== MediaType.dockerConfig) {
    throw new BerthError('IMAGE_NOT_FOUND', `${what} is not a container image (its config is ${quoted(type)})`);
  }
}

/** Checks what the image's layers must satisfy before anything is fetched. */
export function checkLayers(layers: readonly Descriptor[], config: OciConfig, what: string): void {
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw new BerthError(
      'REGISTRY_ERROR',
      `${what} lists ${layers.length} layers but its config names ${config.rootfs.diff_ids.length} diff ids`,
    );
  }
  for (const layer of layers) {
    if (layer.mediaType === MediaType.dockerLayerForeign || (layer.urls && layer.urls.length > 0)) {
      throw new BerthError('REGISTRY_ERROR', `${what} has a foreign layer ${layer.digest} (a Windows image?), which cannot run on Linux`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown problem';
  const path = issue.path.join('.');
  return oneLine(path ? `${path}: ${issue.message}` : issue.message);
}
