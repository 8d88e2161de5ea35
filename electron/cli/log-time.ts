import { BerthError } from '../../shared/berth-error.js';
import { flagValue, type ParsedFlags } from './parse-flags.js';

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * A `--since`/`--until` value in Docker's forms, as Unix seconds: a duration before now (`10m`,
 * `1h30m`, `1.5h`), a Unix time (`1700000000`, `1700000000.5`), or an RFC 3339 date or time
 * (`2026-12-03`, `2026-12-03T08:00:00Z`; without a zone it is local time, as Docker takes it).
 */
export function parseLogTime(flag: string, text: string, nowMs: number = Date.now()): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const seconds = parseDuration(trimmed);
  if (seconds !== undefined) return nowMs / 1000 - seconds;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const ms = Date.parse(trimmed.length === 10 ? `${trimmed}T00:00:00` : trimmed.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  throw new BerthError('INVALID_ARGUMENT', `invalid value "${text}" for --${flag}`, { fix: 'give a duration (10m), a Unix time or an RFC 3339 date' });
}

/** A duration as Go spells it (`10m`, `1h30m`, `1.5s`, `250ms`), in seconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/** A --since/--until flag as Unix seconds, or undefined when it was not given. */
export function flagTime(parsed: ParsedFlags, flag: string): number | undefined {
  const text = flagValue(parsed, flag);
  return text === undefined ? undefined : parseLogTime(flag, text);
}
