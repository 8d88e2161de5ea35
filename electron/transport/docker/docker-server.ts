import { createServer, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CallContext, ContractHost } from '../../../shared/contract.js';
import { dispatch } from '../dispatch.js';
import { listenOnUnixSocket, type UnixListener } from '../unix-listener.js';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION, DockerError, type DockerCall, type DockerRoute } from './docker-call.js';
import { toDockerError, type Subject } from './docker-errors.js';
import { sendJson } from './docker-reply.js';
import { dockerRoutes } from './docker-routes.js';
import { hijackResponse, hijackSocket, readUpgradeBody } from './hijack.js';

/** A request body larger than this is refused (create bodies are a few kB; a load streams, not buffers). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** What is read and dropped after a body is refused, so the client gets to read the 413; past it, the connection goes. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

export interface DockerServer extends UnixListener {
  /** Serves a connection that came another way (the Linux side's socket, through the host). */
  accept(stream: Duplex): void;
}

function versionNumber(version: string): number {
  const [major, minor] = version.split('.').map(Number);
  return major! * 1000 + minor!;
}

/** Parts of Docker's API Berth does not serve yet, named in the 501 that answers them. */
const NOT_YET: [RegExp, string][] = [
  [/^\/(swarm|nodes|services|tasks|secrets|configs)\b/, 'swarm mode'],
  [/^\/plugins\b/, 'plugins'],
  [/^\/session\b/, 'BuildKit (build with the classic builder: DOCKER_BUILDKIT=0)'],
  [/^\/distribution\b/, 'registry lookups'],
];

interface CompiledRoute {
  route: DockerRoute;
  pattern: RegExp;
  names: string[];
}

/** `:name` matches one segment, `*name` one or more (an image name has slashes). */
function compile(route: DockerRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[:*](\w+)/g, (whole, name: string) => {
    names.push(name);
    return whole.startsWith('*') ? '(.+?)' : '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

function match(routes: readonly CompiledRoute[], method: string, path: string): { route: DockerRoute; params: Record<string, string> } | undefined {
  for (const { route, pattern, names } of routes) {
    if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
    const found = pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(found[i + 1]!);
      } catch {
        throw new DockerError(400, `invalid escape in the path: ${path.slice(0, 256)}`);
      }
    });
    return { route, params };
  }
  return undefined;
}

function collectBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DISCARDED_BYTES) return void req.destroy();
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      chunks = [];
      reject(new DockerError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
    });
    req.on('error', reject);
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DockerError(400, 'invalid JSON in the request body');
  }
}

/** What a path names, for Docker's 404 wording. */
function subjectOf(path: string, params: Record<string, string>): Subject | undefined {
  if (path.startsWith('/containers/') && params.id) return { kind: 'container', ref: params.id };
  if (path.startsWith('/images/') && params.name) return { kind: 'image', ref: params.name };
  if (path.startsWith('/volumes/') && params.name) return { kind: 'volume', ref: params.name };
  return undefined;
}

/** A connection the client asked to upgrade (attach, exec start): its socket and the bytes after the headers. */
interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

async function handle(host: ContractHost, routes: readonly CompiledRoute[], req: IncomingMessage, res: ServerResponse, upgrade?: Upgrade): Promise<void> {
  // Joined rather than resolved: a path such as `//x` is a path here, not a host.
  let url: URL;
  try {
    url = new URL(`http://berth${req.url?.startsWith('/') ? req.url : '/'}`);
  } catch {
    throw new DockerError(400, `invalid request path: ${String(req.url).slice(0, 256)}`);
  }
  let path = url.pathname;
  const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  let asked = versionNumber(DOCKER_API_VERSION);
  if (versioned) {
    asked = versionNumber(versioned[1]!);
    if (asked > versionNumber(DOCKER_API_VERSION)) throw new DockerError(400, `client version ${versioned[1]} is too new. Maximum supported API version is ${DOCKER_API_VERSION}`);
    if (asked < versionNumber(DOCKER_MIN_API_VERSION)) throw new DockerError(400, `client version ${versioned[1]} is too old. Minimum supported API version is ${DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version`);
    path = versioned[2]!;
  }
  const method = req.method ?? 'GET';
  const found = match(routes, method, path);
  if (!found) {
    const what = NOT_YET.find(([pattern]) => pattern.test(path))?.[1];
    throw new DockerError(501, what ? `Berth does not support ${what} yet (${method} ${path})` : `Berth does not serve ${method} ${path.slice(0, 256)}`);
  }
  const controller = new AbortController();
  (upgrade?.socket ?? res).on('close', () => controller.abort());
  const subject = subjectOf(path, found.params);
  const split = upgrade ? await readUpgradeBody(req, upgrade.socket, upgrade.head) : undefined;
  const call: DockerCall = {
    params: found.params,
    query: url.searchParams,
    apiAtLeast: (version) => asked >= versionNumber(version),
    req,
    res,
    signal: controller.signal,
    body: async () => parseBody(split ? split.body : await collectBody(req)),
    hijack: (contentType) => (upgrade && split ? hijackSocket(upgrade.socket, split.rest, contentType) : hijackResponse(req, res, contentType)),
    engine: (name, params, onItem) => {
      const context: CallContext<unknown> = {
        emit: (item) => (onItem?.(item as never), !res.writableNeedDrain),
        drained: () => (res.writableNeedDrain ? new Promise((resolve) => res.once('drain', resolve)) : Promise.resolve()),
        signal: controller.signal,
      };
      return dispatch(host.api, name, params, context) as never;
    },
    background: (name, params) => dispatch(host.api, name, params, { emit: () => true, drained: () => Promise.resolve(), signal: new AbortController().signal }) as never,
  };
  try {
    const answer = await found.route.handler(call);
    if (answer) sendJson(res, answer.status, method === 'HEAD' ? undefined : answer.json);
  } catch (err) {
    throw toDockerError(err, subject);
  }
}

/**
 * Docker's Engine API on a UNIX socket (0600 in the 0700 home), mapped onto the contract: the docker
 * CLI, compose, docker-py and dockerode talk to the same engine as the app. No engine logic here:
 * each route turns Docker's request into contract calls and their answers into Docker's shapes.
 */
export async function serveDocker(host: ContractHost, path: string): Promise<DockerServer> {
  const routes = dockerRoutes().map(compile);
  const serve = (req: IncomingMessage, res: ServerResponse, upgrade?: Upgrade) =>
    handle(host, routes, req, res, upgrade).catch((err: unknown) => {
      const error = toDockerError(err);
      sendJson(res, error.status, { message: error.message });
    });
  const server = createServer((req, res) => void serve(req, res));
  // A client that closes its sending side once its request is out (HTTP/1.0 tools, `nc -N`) still gets
  // its answer, as from dockerd; Node's server would otherwise drop a request that is still being answered.
  Object.assign(server, { httpAllowHalfOpen: true });
  // Attach and exec start ask to upgrade to a raw stream; anything else answered there is plain HTTP on the socket.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.on('finish', () => socket.end());
    socket.on('error', () => {});
    void serve(req, res, { socket, head });
  });
  // Bytes that are not HTTP still get Docker's error shape before the connection closes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // The client may be gone already: its broken pipe is no error of ours.
    socket.on('error', () => {});
    if (!socket.writable) return socket.destroy();
    const body = `${JSON.stringify({ message: `malformed HTTP request: ${err.code ?? err.message}` })}\n`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  const listener = await listenOnUnixSocket(server, path);
  return { close: () => listener.close(), accept: (stream) => void server.emit('connection', stream) };
}
