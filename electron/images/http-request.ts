import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  /** What is sent: a stream is sent as it comes (chunked), once, so its answer never follows a redirect. */
  body?: Buffer | Readable;
  /** Longest silence allowed on the connection, before the answer and while its body streams. */
  idleTimeoutMs: number;
  maxRedirects?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** Where the answer finally came from, after redirects. */
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

export class HttpTimeoutError extends Error {
  constructor(url: URL, ms: number) {
    super(`no answer from ${url.host} within ${Math.round(ms / 1000)} s`);
    this.name = 'HttpTimeoutError';
  }
}

/**
 * One HTTP(S) exchange, following redirects. Credentials never follow a redirect to another
 * host (blob downloads are often sent to a storage service that must not see them).
 */
export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  let current = url;
  let headers = { ...options.headers };
  const maxRedirects = options.maxRedirects ?? 5;
  const method = options.method ?? 'GET';
  // Only a read is followed elsewhere: an upload's Location names where it goes on, for its caller.
  const follows = method === 'GET' || method === 'HEAD';
  for (let hop = 0; ; hop++) {
    const response = await once(current, method, headers, options.idleTimeoutMs, options.body);
    const location = response.headers.location;
    if (!follows || !REDIRECTS.has(response.status) || location === undefined) return response;
    response.body.resume();
    if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects from ${url.host}`);
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirect to unsupported URL scheme ${next.protocol}`);
    if (next.host !== current.host || (current.protocol === 'https:' && next.protocol === 'http:')) {
      headers = withoutAuthorization(headers);
    }
    current = next;
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== 'authorization') out[key] = value;
  }
  return out;
}

function once(url: URL, method: string, headers: Record<string, string>, idleTimeoutMs: number, body: Buffer | Readable | undefined): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method,
      headers: { 'user-agent': 'berth', ...headers },
      agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
    });
    // Covers connecting, waiting for the answer and every pause in the body that follows.
    request.setTimeout(idleTimeoutMs, () => request.destroy(new HttpTimeoutError(url, idleTimeoutMs)));
    request.on('error', reject);
    request.on('response', (body) => {
      // Errors after the answer (a body cut short) surface on the body.
      request.off('error', reject);
      request.on('error', (err) => body.destroy(err));
      resolve({ status: body.statusCode ?? 0, headers: body.headers, body, url });
    });
    if (body === undefined || Buffer.isBuffer(body)) request.end(body);
    else {
      // A failed read of what is sent fails the exchange; pipe() alone would leave it hanging.
      body.once('error', (err) => request.destroy(err));
      body.pipe(request);
    }
  });
}

/** Reads a whole (small) body; more than `limit` bytes is an error before it is all buffered. */
export async function readBody(body: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(body.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    throw new BodyTooLargeError(what, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) {
      body.destroy();
      throw new BodyTooLargeError(what, limit);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

export class BodyTooLargeError extends Error {
  constructor(what: string, limit: number) {
    super(`${what} is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}
