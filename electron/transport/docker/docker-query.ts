import { DockerError } from './docker-call.js';

/** Docker's boolean query flags: absent is the default; "", 0, no, false and none are false. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  return !['', '0', 'no', 'false', 'none'].includes(value.toLowerCase());
}

/** A whole number in the query, within bounds; absent or empty is undefined. */
export function queryInt(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new DockerError(400, `invalid value for ${name}: "${value.slice(0, 64)}" (a whole number ${min}-${max})`);
  return n;
}

/**
 * A time in the query as Unix seconds: Docker clients send seconds (fractions allowed) or RFC 3339.
 * Absent, empty or 0 is undefined.
 */
export function queryTime(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '' || value === '0') return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) throw new DockerError(400, `invalid time for ${name}: "${value.slice(0, 64)}"`);
  return seconds;
}

/**
 * `filters`: URL-encoded JSON, either Docker's map form `{"label":{"k=v":true}}` or docker-py's list
 * form `{"label":["k=v"]}`. Answers each filter's values; unknown names are refused, as dockerd does.
 */
export function queryFilters(query: URLSearchParams, known: readonly string[]): Map<string, string[]> {
  const text = query.get('filters');
  const filters = new Map<string, string[]>();
  if (!text) return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DockerError(400, `invalid filters: not JSON: ${text.slice(0, 128)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DockerError(400, 'invalid filters: expected an object of filter names');
  for (const [name, value] of Object.entries(parsed)) {
    if (!known.includes(name)) throw new DockerError(400, `invalid filter '${name.slice(0, 64)}'`);
    const values = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] === true) : [value];
    if (!values.every((v): v is string => typeof v === 'string')) throw new DockerError(400, `invalid filter '${name}': expected strings`);
    filters.set(name, values);
  }
  return filters;
}

/**
 * A JSON object of strings in the query (`buildargs`, `labels`); absent or empty is `{}`. A null
 * value (a build arg named without one) is left out.
 */
export function queryJsonRecord(query: URLSearchParams, name: string): Record<string, string> {
  const text = query.get(name);
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DockerError(400, `invalid ${name}: not JSON: ${text.slice(0, 128)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DockerError(400, `invalid ${name}: expected an object of strings`);
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === null) continue;
    if (typeof value !== 'string') throw new DockerError(400, `invalid ${name}: ${key.slice(0, 64)} is not a string`);
    record[key] = value;
  }
  return record;
}
