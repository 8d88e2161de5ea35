import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { BerthError } from '../../shared/berth-error.js';
import { BodyTooLargeError, httpRequest, readBody, type HttpRequestOptions, type HttpResponse } from './http-request.js';
import { MANIFEST_ACCEPT, MAX_DOCUMENT_BYTES } from './manifest.js';
import { hostOf, isLoopbackRegistry, registryHost } from './reference.js';
import type { RegistryCredentials } from '../../shared/images.js';
import { basicAuthorization, parseChallenges, pullScope, pushScope, type Challenge } from './registry-auth.js';
import { oneLine } from './untrusted-text.js';

export interface RegistryClientOptions {
  /** Registry as references name it: `docker.io`, `localhost:5000`. */
  domain: string;
  credentials?: RegistryCredentials;
  /** `host:port` entries that may be spoken to over plain HTTP (besides loopback ones). */
  insecure?: readonly string[];
  /** Longest silence on a connection before giving up. */
  idleTimeoutMs?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  contentType: string | undefined;
}

const TokenAnswer = z.object({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
});

const RegistryErrors = z.object({
  errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })).optional(),
});

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
// Tokens without a stated lifetime are good for 60 s by the token spec.
const DEFAULT_TOKEN_SECONDS = 60;

/** The registries Berth may speak plain HTTP to, from BERTH_INSECURE_REGISTRIES=host:port,... */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['BERTH_INSECURE_REGISTRIES'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * Speaks the OCI distribution API to one registry: ping, manifests, blobs, with anonymous,
 * basic or bearer-token auth. HTTPS, except for loopback and listed insecure registries.
 */
export class RegistryClient {
  readonly domain: string;
  private readonly host: string;
  private readonly idleTimeoutMs: number;
  private readonly mayUseHttp: boolean;
  private base: Promise<URL> | undefined;
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, { header: string; expires: number }>();

  constructor(private readonly options: RegistryClientOptions) {
    this.domain = options.domain;
    this.host = registryHost(options.domain);
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const insecure = options.insecure ?? insecureRegistriesFromEnv();
    this.mayUseHttp = isLoopbackRegistry(options.domain) || insecure.includes(options.domain) || insecure.includes(hostOf(options.domain));
  }

  /** Checks the registry answers the v2 API (any answer but a failure or a 5xx). */
  async ping(): Promise<void> {
    await this.baseUrl();
  }

  /** Fetches a manifest or index by tag or digest; `what` names the image in errors. */
  async manifest(repository: string, reference: string, what: string): Promise<FetchedManifest> {
    const response = await this.get(repository, `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, what, 'manifest');
    let bytes: Buffer;
    try {
      bytes = await readBody(response.body, MAX_DOCUMENT_BYTES, `manifest of ${what}`);
    } catch (err) {
      throw this.bodyError(err, `manifest of ${what}`);
    }
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new BerthError('DIGEST_MISMATCH', `manifest of ${what} hashes to ${digest}, not ${reference}`);
    }
    const contentType = response.headers['content-type'];
    return { bytes, digest, contentType };
  }

  /** A small blob (an image config) read whole; refused above the document size limit. */
  async smallBlob(repository: string, digest: string, what: string): Promise<Buffer> {
    const response = await this.get(repository, `/v2/${repository}/blobs/${digest}`, {}, what, 'blob');
    try {
      return await readBody(response.body, MAX_DOCUMENT_BYTES, what);
    } catch (err) {
      throw this.bodyError(err, what);
    }
  }

  /** Opens a blob at `offset` (a Range request); the answer says where its body really starts. */
  async blob(repository: string, digest: string, offset: number, what: string): Promise<{ body: Readable; offset: number; total: number | undefined }> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const response = await this.get(repository, `/v2/${repository}/blobs/${digest}`, headers, what, 'blob');
    const length = Number(response.headers['content-length']);
    if (response.status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers['content-range'] ?? '')?.[1];
      if (start !== undefined && Number(start) === offset) return { body: response.body, offset, total: undefined };
      response.body.destroy();
      throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} answered a range of ${what} that was not asked for`);
    }
    return { body: response.body, offset: 0, total: Number.isFinite(length) ? length : undefined };
  }

  /** Whether the repository holds the blob already (so a push need not send it). */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.exchange(await this.url(`/v2/${repository}/blobs/${digest}`), { method: 'HEAD' }, pushScope(repository));
    response.body.resume();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.refusal(response, `a push to ${repository}`, `answered %s when asked for blob ${digest}`);
  }

  /**
   * Sends a blob: an upload is opened (with the push token), the body streamed into it, and the
   * upload closed under `digest()`, asked once the body has ended (it may be hashed as it is sent).
   */
  async uploadBlob(repository: string, body: Readable, digest: () => string): Promise<void> {
    const scope = pushScope(repository);
    const opened = await this.exchange(await this.url(`/v2/${repository}/blobs/uploads/`), { method: 'POST' }, scope);
    let location = await this.uploadLocation(opened, 202, repository);
    const sent = await this.exchange(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body }, scope);
    location = await this.uploadLocation(sent, 202, repository);
    location.searchParams.set('digest', digest());
    const closed = await this.exchange(location, { method: 'PUT' }, scope);
    closed.body.resume();
    if (closed.status !== 201) throw await this.refusal(closed, `a push to ${repository}`, `answered %s when a blob's upload ended`);
  }

  /** Stores a manifest under a tag; answers the digest the registry gives it. */
  async putManifest(repository: string, tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const response = await this.exchange(
      await this.url(`/v2/${repository}/manifests/${tag}`),
      { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes },
      pushScope(repository),
    );
    if (response.status !== 201) throw await this.refusal(response, `a push to ${repository}`, `answered %s to the manifest of ${repository}:${tag}`);
    response.body.resume();
    return header(response, 'docker-content-digest') ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  /**
   * Checks an account as `docker login` does: the registry's own check for basic auth, its token
   * server's for bearer. A registry that asks for nothing accepts any account.
   */
  async checkLogin(): Promise<void> {
    const url = await this.url('/v2/');
    const first = await this.send(url, {});
    first.body.resume();
    if (first.status !== 401) return;
    const challenges = parseChallenges(header(first, 'www-authenticate'));
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      await this.fetchToken(bearer, undefined);
      return;
    }
    if (!this.options.credentials) throw new BerthError('REGISTRY_UNAUTHORIZED', `registry ${this.domain} wants an account`);
    const second = await this.send(url, { headers: { authorization: basicAuthorization(this.options.credentials) } });
    if (second.status === 200) {
      second.body.resume();
      return;
    }
    const refused = await this.refusal(second, 'the account', 'answered %s to a login');
    // Logging in is the fix the refusal would suggest: for a login, the account is what to check.
    throw refused.code === 'REGISTRY_UNAUTHORIZED' ? new BerthError(refused.code, refused.message, { detail: refused.detail, fix: 'check the username and password' }) : refused;
  }

  /** The next address of an upload, from an answer that must have `status`. */
  private async uploadLocation(response: HttpResponse, status: number, repository: string): Promise<URL> {
    const location = header(response, 'location');
    if (response.status !== status || location === undefined) throw await this.refusal(response, `a push to ${repository}`, `answered %s to a blob upload`);
    response.body.resume();
    return new URL(location, await this.baseUrl());
  }

  private async get(
    repository: string,
    path: string,
    headers: Record<string, string>,
    what: string,
    kind: 'manifest' | 'blob',
  ): Promise<HttpResponse> {
    const response = await this.exchange(await this.url(path), { headers }, pullScope(repository));
    if (response.status === 200 || response.status === 206) return response;
    if (response.status === 404) {
      response.body.resume();
      if (kind === 'manifest') throw new BerthError('IMAGE_NOT_FOUND', `image "${what}" not found in registry ${this.domain}`);
      throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} has no ${what}`);
    }
    throw await this.refusal(response, `access to ${what}`, `answered %s for ${what}`);
  }

  /** One request under `scope`: with the token or account the registry asked for, asked again once after a 401 when what is sent can be sent twice. */
  private async exchange(url: URL, options: Omit<HttpRequestOptions, 'idleTimeoutMs'>, scope: string): Promise<HttpResponse> {
    let response = await this.send(url, { ...options, headers: { ...options.headers, ...(await this.authorization(scope)) } });
    const resendable = options.body === undefined || Buffer.isBuffer(options.body);
    if (response.status === 401 && resendable) {
      response.body.resume();
      const challenges = parseChallenges(header(response, 'www-authenticate'));
      const retry = await this.answerChallenge(challenges, scope);
      if (retry) response = await this.send(url, { ...options, headers: { ...options.headers, ...retry } });
    }
    return response;
  }

  /**
   * The error for an answer that is not the one hoped for: refused (401/403, `refusedWhat` names what
   * was refused) or any other status (`otherwise`, its %s the status), with the registry's own words.
   */
  private async refusal(response: HttpResponse, refusedWhat: string, otherwise: string): Promise<BerthError> {
    const detail = await registryErrors(response);
    const said = detail ? `: ${detail}` : '';
    if (response.status === 401 || response.status === 403) {
      return new BerthError('REGISTRY_UNAUTHORIZED', `registry ${this.domain} refused ${refusedWhat} (${response.status}${said})`, {
        // The registry as a login names it, so a client can offer to sign in to it.
        detail: { status: response.status, registry: this.domain },
        fix: `log in to ${this.domain} first`,
      });
    }
    return new BerthError('REGISTRY_ERROR', `registry ${this.domain} ${otherwise.replace('%s', String(response.status))}${said}`, { detail: { status: response.status } });
  }

  private async url(path: string): Promise<URL> {
    return new URL(path, await this.baseUrl());
  }

  private async send(url: URL, options: Omit<HttpRequestOptions, 'idleTimeoutMs'>): Promise<HttpResponse> {
    try {
      return await httpRequest(url, { ...options, idleTimeoutMs: this.idleTimeoutMs });
    } catch (err) {
      throw this.connectionError(err);
    }
  }

  /** Settles the scheme once: HTTPS, or for loopback/insecure registries HTTP when TLS fails. */
  private baseUrl(): Promise<URL> {
    this.base ??= this.discover().catch((err: unknown) => {
      this.base = undefined;
      throw err;
    });
    return this.base;
  }

  private async discover(): Promise<URL> {
    const schemes = this.mayUseHttp ? ['https:', 'http:'] : ['https:'];
    let lastError: unknown;
    for (const scheme of schemes) {
      const base = new URL(`${scheme}//${this.host}/`);
      let response: HttpResponse;
      try {
        response = await httpRequest(new URL('/v2/', base), { idleTimeoutMs: this.idleTimeoutMs });
      } catch (err) {
        lastError = err;
        // Refused or unreachable: HTTP on the same port would fare no better.
        if (isConnectionRefusal(err)) break;
        continue;
      }
      response.body.resume();
      if (response.status >= 500) {
        throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} answered ${response.status} to a ping`, { detail: { status: response.status } });
      }
      if (response.status === 401) this.challenge = parseChallenges(header(response, 'www-authenticate'))[0];
      return base;
    }
    throw this.connectionError(lastError);
  }

  private async authorization(scope: string): Promise<Record<string, string>> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return { authorization: cached.header };
    // The ping told how to authenticate: get a token up front instead of after a 401.
    if (this.challenge) {
      const answer = await this.answerChallenge([this.challenge], scope);
      if (answer) return answer;
    }
    return {};
  }

  private async answerChallenge(challenges: Challenge[], scope: string): Promise<Record<string, string> | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.fetchToken(bearer, scope);
      return { authorization: token };
    }
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (basic && this.options.credentials) {
      const value = basicAuthorization(this.options.credentials);
      this.tokens.set(scope, { header: value, expires: Number.POSITIVE_INFINITY });
      return { authorization: value };
    }
    return undefined;
  }

  private async fetchToken(challenge: Challenge, scope: string | undefined): Promise<string> {
    const realm = challenge.params['realm'];
    if (!realm) throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} asked for a token without naming a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} named an invalid token realm "${realm}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new BerthError('REGISTRY_ERROR', `registry ${this.domain} named a token realm that is not HTTP(S): ${realm}`);
    }
    const service = challenge.params['service'];
    if (service) url.searchParams.set('service', service);
    // A login asks for no scope, only whether the account is good (and names it, as docker login does).
    if (scope) url.searchParams.set('scope', scope);
    else if (this.options.credentials) url.searchParams.set('account', this.options.credentials.username);
    const asked = challenge.params['scope'];
    if (scope && asked && asked !== scope) url.searchParams.append('scope', asked);
    const headers: Record<string, string> = this.options.credentials ? { authorization: basicAuthorization(this.options.credentials) } : {};
    let response: HttpResponse;
    try {
      response = await httpRequest(url, { headers, idleTimeoutMs: this.idleTimeoutMs });
    } catch (err) {
      throw new BerthError('REGISTRY_ERROR', `token server ${url.host} of registry ${this.domain} is unreachable: ${messageOf(err)}`);
    }
    if (response.status === 401 || response.status === 403) {
      response.body.resume();
      throw new BerthError('REGISTRY_UNAUTHORIZED', `token server ${url.host} refused credentials for registry ${this.domain} (${response.status})`);
    }
    if (response.status !== 200) {
      response.body.resume();
      throw new BerthError('REGISTRY_ERROR', `token server ${url.host} of registry ${this.domain} answered ${response.status}`);
    }
    let parsed: z.infer<typeof TokenAnswer>;
    try {
      parsed = TokenAnswer.parse(JSON.parse((await readBody(response.body, 1024 * 1024, 'token')).toString('utf8')));
    } catch {
      throw new BerthError('REGISTRY_ERROR', `token server ${url.host} of registry ${this.domain} sent an unreadable answer`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new BerthError('REGISTRY_ERROR', `token server ${url.host} of registry ${this.domain} sent no token`);
    const value = `Bearer ${token}`;
    // Renewed a little early so a token does not expire between check and use.
    const seconds = Math.max(10, parsed.expires_in ?? DEFAULT_TOKEN_SECONDS);
    if (scope) this.tokens.set(scope, { header: value, expires: Date.now() + (seconds - 5) * 1000 });
    return value;
  }

  private connectionError(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : messageOf(err);
    return new BerthError('REGISTRY_ERROR', `registry ${this.domain} is unreachable: ${why}`, { detail: { code } });
  }

  private bodyError(err: unknown, what: string): BerthError {
    if (err instanceof BodyTooLargeError) return new BerthError('REGISTRY_ERROR', `${what} is larger than the ${MAX_DOCUMENT_BYTES} bytes allowed`);
    return new BerthError('REGISTRY_ERROR', `reading ${what} from registry ${this.domain} failed: ${messageOf(err)}`);
  }
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The registry's own words from its JSON error body, when it sent one. */
async function registryErrors(response: HttpResponse): Promise<string | undefined> {
  try {
    const body = await readBody(response.body, 64 * 1024, 'error');
    const parsed = RegistryErrors.safeParse(JSON.parse(body.toString('utf8')));
    if (!parsed.success) return undefined;
    const first = parsed.data.errors?.[0];
    return first ? oneLine([first.code, first.message].filter((part) => part).join(' ')) : undefined;
  } catch {
    return undefined;
  }
}

function isConnectionRefusal(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
