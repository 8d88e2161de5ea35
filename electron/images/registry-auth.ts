import type { RegistryCredentials } from '../../shared/images.js';

/** A `WWW-Authenticate` challenge, e.g. `Bearer realm="https://auth/token",service="reg",scope="..."`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses the challenges of a WWW-Authenticate header (quoted and token values, several schemes). */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  let rest = header.trim();
  let current: Challenge | undefined;
  while (rest.length > 0) {
    const param = /^([A-Za-z0-9_.-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?\s*/.exec(rest);
    if (param && current) {
      const key = param[1] ?? '';
      const value = param[3] !== undefined ? param[3].replace(/\\(.)/g, '$1') : (param[2] ?? '');
      current.params[key.toLowerCase()] = value;
      rest = rest.slice(param[0].length);
      continue;
    }
    const scheme = /^([A-Za-z0-9_.-]+)\s*,?\s*/.exec(rest);
    if (!scheme) break;
    current = { scheme: (scheme[1] ?? '').toLowerCase(), params: {} };
    challenges.push(current);
    rest = rest.slice(scheme[0].length);
  }
  return challenges;
}


export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The pull scope for a repository, as token servers expect it. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** Pushing needs pull too: a push reads what the repository holds. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}
