import { describe, expect, it } from 'vitest';
import { hexOf, isSha256Digest } from './digest.js';

const D = 'sha256:' + 'ab'.repeat(32);

describe('sha256 digests', () => {
  it('accepts only the canonical form', () => {
    expect(isSha256Digest(D)).toBe(true);
    expect(isSha256Digest(D.toUpperCase())).toBe(false);
    expect(isSha256Digest('sha512:' + 'ab'.repeat(32))).toBe(false);
    expect(isSha256Digest('sha256:../../etc')).toBe(false);
  });

  it('turns a digest into a file name, refusing anything else', () => {
    expect(hexOf(D)).toBe('ab'.repeat(32));
    expect(() => hexOf('sha256:../x')).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH', message: '"sha256:../x" is not a sha256 digest' }));
    expect(() => hexOf('nope', 'diff id')).toThrow('"nope" is not a sha256 diff id');
  });
});
