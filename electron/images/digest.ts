import { BerthError } from '../../shared/berth-error.js';

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True when `value` is a sha256 digest in canonical form (`sha256:` + 64 lowercase hex). */
export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}

/**
 * The hex part of a sha256 digest, for use as a file name. Digests come from remote documents,
 * so only the canonical form may become a path.
 */
export function hexOf(digest: string, kind = 'digest'): string {
  if (!isSha256Digest(digest)) throw new BerthError('DIGEST_MISMATCH', `"${digest}" is not a sha256 ${kind}`);
  return digest.slice('sha256:'.length);
}
