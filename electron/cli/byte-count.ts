import { BerthError } from '../../shared/berth-error.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's size grammar for --memory and friends: a number with an optional unit b, k, m, g (powers of 1024). */
export function parseByteCount(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) throw new BerthError('INVALID_ARGUMENT', `invalid value "${text}" for --${flag}`, { fix: 'use a size like 512m or 2g' });
  return Math.round(Number(match[1]) * unit);
}
