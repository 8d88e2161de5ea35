import { randomInt } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rule for container names; a leading slash is accepted and dropped as Docker does. */
export function validateName(input: string): string {
  const name = input.startsWith('/') ? input.slice(1) : input;
  if (!VALID.test(name) || name.length > 128) {
    throw new BerthError('INVALID_ARGUMENT', `invalid container name "${input}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'swift', 'tidy', 'vivid'];
const NOUNS = ['anchor', 'beacon', 'cove', 'dock', 'harbor', 'keel', 'mast', 'pier', 'quay', 'reef', 'sail', 'tide'];

/** A friendly name not in `taken`, like Docker's generated ones. */
export function generateName(taken: (name: string) => boolean): string {
  for (let i = 0; i < 1000; i++) {
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}${i < 100 ? '' : `_${i}`}`;
    if (!taken(name)) return name;
  }
  throw new BerthError('INTERNAL', 'could not generate a free container name');
}
