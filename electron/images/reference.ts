import { BerthError } from '../../shared/berth-error.js';
import { isSha256Digest } from './digest.js';

/** A parsed, normalised image reference: `domain/path[:tag][@digest]`. */
export interface Reference {
  /** Registry host as written (`docker.io`, `localhost:5000`, `[::1]:5000`). */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

// The grammar of github.com/distribution/reference, piece by piece.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const FULL_ID = /^[a-f0-9]{64}$/;

function invalid(input: string, why: string): BerthError {
  return new BerthError('INVALID_REFERENCE', `invalid reference "${input}": ${why}`);
}

/**
 * Parses a reference the way Docker does and fills in the defaults:
 * `busybox` → docker.io/library/busybox:latest.
 */
export function parseReference(input: string): Reference {
  if (input === '') throw invalid(input, 'it is empty');
  if (input.trim() !== input) throw invalid(input, 'it has leading or trailing spaces');
  if (FULL_ID.test(input)) throw invalid(input, 'a 64-character hexadecimal string is an image id, not a name');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(input, `digest "${digest}" is malformed`);
    if (!digest.startsWith('sha256:')) throw invalid(input, `digest algorithm "${digest.split(':')[0]}" is not supported`);
    if (!isSha256Digest(digest)) throw invalid(input, `digest "${digest}" must be sha256: followed by 64 lowercase hex digits`);
  }

  // A tag follows the last ':' unless that ':' belongs to a port (then a '/' comes after it).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '') throw invalid(input, 'tag is empty');
    if (tag.length > 128) throw invalid(input, 'tag is longer than 128 characters');
    if (!TAG.test(tag)) throw invalid(input, `tag "${tag}" may only contain letters, digits, '_', '.' and '-', and must not start with '.' or '-'`);
  }
  if (rest === '') throw invalid(input, 'repository name is empty');

  const { domain, path } = splitDomain(input, rest);
  for (const component of path.split('/')) {
    if (component === '') throw invalid(input, 'repository name has an empty path component');
    if (component.toLowerCase() !== component) throw invalid(input, 'repository name must be lowercase');
    if (!PATH_COMPONENT.test(component)) throw invalid(input, `repository path component "${component}" has invalid characters`);
  }
  if (`${domain}/${path}`.length > NAME_TOTAL_MAX) throw invalid(input, `repository name is longer than ${NAME_TOTAL_MAX} characters`);

  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const reference: Reference = { domain, path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

function splitDomain(input: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // Like Docker: the first component is a registry host only when it looks like one.
  const isDomain = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first);
  if (!isDomain) {
    return { domain: DEFAULT_DOMAIN, path: slash === -1 ? OFFICIAL_PREFIX + name : name };
  }
  validateDomain(input, first);
  let domain = first;
  let path = name.slice(slash + 1);
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  return { domain, path };
}

function validateDomain(input: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close === -1) throw invalid(input, `registry host "${domain}" has an unclosed '['`);
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw invalid(input, `registry host "${domain}" is malformed`);
      port = after.slice(1);
    }
    if (!IPV6.test(host)) throw invalid(input, `registry host "${host}" is not a valid IPv6 address`);
  } else {
    const colon = domain.indexOf(':');
    if (colon !== -1) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (!DOMAIN_NAME.test(host)) throw invalid(input, `registry host "${host}" is not a valid host name`);
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw invalid(input, `registry port "${port}" is not a valid port number`);
  }
}

/** `docker.io/library/busybox` */
export function repositoryName(reference: Reference): string {
  return `${reference.domain}/${reference.path}`;
}

/** The full normalised string: `docker.io/library/busybox:latest`, `localhost:5000/a@sha256:...`. */
export function formatReference(reference: Reference): string {
  let out = repositoryName(reference);
  if (reference.tag !== undefined) out += `:${reference.tag}`;
  if (reference.digest !== undefined) out += `@${reference.digest}`;
  return out;
}

/** Parses and re-formats: the one spelling under which an image is stored. */
export function normaliseReference(input: string): string {
  return formatReference(parseReference(input));
}

/** The normalised spelling, or undefined when `input` is no valid reference (e.g. an id prefix). */
export function tryNormaliseReference(input: string): string | undefined {
  try {
    return normaliseReference(input);
  } catch {
    return undefined;
  }
}

/** The short form people type and read: `busybox:latest`, `user/app:1`, `localhost:5000/a:b`. */
export function familiarReference(reference: Reference | string): string {
  const parsed = typeof reference === 'string' ? parseReference(reference) : reference;
  let out = repositoryName(parsed);
  if (parsed.domain === DEFAULT_DOMAIN) {
    out = parsed.path.startsWith(OFFICIAL_PREFIX) ? parsed.path.slice(OFFICIAL_PREFIX.length) : parsed.path;
  }
  if (parsed.tag !== undefined) out += `:${parsed.tag}`;
  if (parsed.digest !== undefined) out += `@${parsed.digest}`;
  return out;
}

/** Host and port to connect to: Docker's default name maps to its actual registry host. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

/** Registries on this machine speak plain HTTP, as Docker allows. */
export function isLoopbackRegistry(domain: string): boolean {
  const host = hostOf(domain);
  if (host === 'localhost' || host === '[::1]') return true;
  const parts = host.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/** The host part of `host[:port]`, keeping IPv6 brackets. */
export function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(0, domain.indexOf(']') + 1);
  const colon = domain.indexOf(':');
  return colon === -1 ? domain : domain.slice(0, colon);
}
