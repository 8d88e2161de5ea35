import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';
import type { RegistryCredentials } from '../../shared/images.js';
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN } from '../images/reference.js';
import { readJson, writeAtomically } from './docker-config-file.js';

/** The key Docker Hub's account has in config.json, as every docker CLI writes it. */
const DOCKER_HUB_KEY = `https://${LEGACY_DEFAULT_DOMAIN}/v1/`;
const HELPER_TIMEOUT_MS = 30_000;
// Docker's credential helpers say this (with an exit status of 1) for an address they hold nothing for.
const NOT_FOUND = /credentials not found/i;

/**
 * The registry an address names, as references name it: `docker.io` for Docker Hub's aliases, else
 * `host[:port]` without a scheme or path (`https://127.0.0.1:5000/v2/` is `127.0.0.1:5000`).
 */
export function loginDomain(server: string): string {
  const bare = server.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (bare === '' || bare === LEGACY_DEFAULT_DOMAIN || bare === DEFAULT_DOMAIN || bare === `registry-1.${DEFAULT_DOMAIN}`) return DEFAULT_DOMAIN;
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/.test(bare)) {
    throw new BerthError('INVALID_ARGUMENT', `registry address "${server}" is not a host[:port]`);
  }
  return bare.toLowerCase();
}

/**
 * Accounts on registries, kept where the docker CLI keeps them so one login serves both: the
 * `auths` of `config.json` in `$DOCKER_CONFIG` (else ~/.docker), or the credential helper it names
 * (`credHelpers` for one registry, `credsStore` for all), run as `docker-credential-NAME`.
 */
export class RegistryLogins {
  constructor(private readonly configDir: string) {}

  private get configPath(): string {
    return join(this.configDir, 'config.json');
  }

  /** The account saved for the registry, if any. */
  async get(domain: string): Promise<RegistryCredentials | undefined> {
    const config = await this.config();
    const key = this.keyIn(config, domain);
    const helper = helperFor(config, domain);
    if (helper) {
      const answer = await runHelper(helper, 'get', key ?? configKey(domain));
      if (answer === undefined) return undefined;
      const parsed = JSON.parse(answer) as { Username?: unknown; Secret?: unknown };
      if (typeof parsed.Username !== 'string' || typeof parsed.Secret !== 'string') return undefined;
      return { username: parsed.Username, password: parsed.Secret };
    }
    const entry = key === undefined ? undefined : auths(config)[key];
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { auth, username, password } = entry as Record<string, unknown>;
    if (typeof auth === 'string' && auth !== '') {
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof username === 'string' && typeof password === 'string') return { username, password };
    return undefined;
  }

  /** Saves the account: to the credential helper when one is set (config.json then only names the registry), else in config.json. */
  async save(domain: string, credentials: RegistryCredentials): Promise<void> {
    const config = await this.config();
    const key = this.keyIn(config, domain) ?? configKey(domain);
    const helper = helperFor(config, domain);
    if (helper) await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: credentials.username, Secret: credentials.password }));
    const entry = helper ? {} : { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
    await this.write({ ...config, auths: { ...auths(config), [key]: entry } });
  }

  /** Forgets the account; false when there was none. */
  async remove(domain: string): Promise<boolean> {
    const config = await this.config();
    const key = this.keyIn(config, domain);
    const helper = helperFor(config, domain);
    let removed = false;
    if (helper) removed = (await runHelper(helper, 'erase', key ?? configKey(domain))) !== undefined;
    if (key !== undefined) {
      const rest = { ...auths(config) };
      delete rest[key];
      await this.write({ ...config, auths: rest });
      removed = true;
    }
    return removed;
  }

  private async config(): Promise<Record<string, unknown>> {
    const config = await readJson(this.configPath);
    if (config === undefined) throw new BerthError('INVALID_ARGUMENT', `${this.configPath} is not valid JSON`, { fix: 'fix or remove it, then try again' });
    return config;
  }

  private write(config: Record<string, unknown>): Promise<void> {
    // Tabs, as the docker CLI writes it; the file holds secrets, so it stays the user's alone.
    return writeAtomically(this.configPath, `${JSON.stringify(config, null, '\t')}\n`);
  }

  /** The key config.json already has for the registry, written any way the docker CLI accepts (with a scheme, a path). */
  private keyIn(config: Record<string, unknown>, domain: string): string | undefined {
    const keys = Object.keys(auths(config));
    const exact = configKey(domain);
    if (keys.includes(exact)) return exact;
    return keys.find((key) => {
      try {
        return loginDomain(key) === domain;
      } catch {
        return false;
      }
    });
  }
}

function configKey(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_KEY : domain;
}

function auths(config: Record<string, unknown>): Record<string, unknown> {
  const value = config['auths'];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function helperFor(config: Record<string, unknown>, domain: string): string | undefined {
  const helpers = config['credHelpers'];
  if (typeof helpers === 'object' && helpers !== null) {
    for (const [key, name] of Object.entries(helpers as Record<string, unknown>)) {
      if (typeof name === 'string' && name !== '' && safeDomain(key) === domain) return name;
    }
  }
  const store = config['credsStore'];
  return typeof store === 'string' && store !== '' ? store : undefined;
}

function safeDomain(key: string): string | undefined {
  try {
    return loginDomain(key);
  } catch {
    return undefined;
  }
}

/** Runs `docker-credential-NAME ACTION` with `input` on its stdin; undefined when it holds nothing for the address. */
function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return Promise.reject(new BerthError('INVALID_ARGUMENT', `credential helper name "${name}" in config.json is not a plain name`));
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, [action], { timeout: HELPER_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
      if ((action === 'get' || action === 'erase') && NOT_FOUND.test(said)) return resolve(undefined);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new BerthError('REGISTRY_ERROR', `credential helper ${program} (named in config.json) is not installed`));
      }
      reject(new BerthError('REGISTRY_ERROR', `credential helper ${program} failed to ${action}: ${said || err.message}`));
    });
    child.stdin?.end(input);
  });
}
