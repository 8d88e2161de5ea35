import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MethodName, Request, Response, StreamItem } from '../../../shared/contract.js';
import type { Hijacked } from './hijack.js';

/** The Engine API version Berth speaks, and the oldest it accepts (Docker's own window). */
export const DOCKER_API_VERSION = '1.44';
export const DOCKER_MIN_API_VERSION = '1.24';

/** An HTTP status and Docker's one-line message, as every Docker client expects an error. */
export class DockerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DockerError';
  }
}

/** One Docker API request, as a route handler sees it. */
export interface DockerCall {
  /** The path's named parts (`:id` in `/containers/:id/json`), decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Whether the client speaks `version` or later (a path without a version speaks Berth's). */
  apiAtLeast(version: string): boolean;
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The body as JSON; undefined when it is empty. A body that is not JSON is a 400. */
  body(): Promise<unknown>;
  /**
   * Takes the connection over for a raw stream both ways (attach, exec start): Docker's 101 when the
   * client asked to upgrade, else a 200 whose body is the output.
   */
  hijack(contentType: string): Hijacked;
  /** A method of the contract, validated as every transport does; items of a stream go to `onItem`. */
  engine<M extends MethodName>(method: M, params: Request<M>, onItem?: (item: StreamItem<M>) => void): Promise<Response<M>>;
  /** The same, outliving this request (a detached exec runs on after its start is answered). */
  background<M extends MethodName>(method: M, params: Request<M>): Promise<Response<M>>;
}

/** What a handler answers: JSON with a status, no content, or nothing when it wrote the reply itself. */
export type DockerAnswer = { status: number; json?: unknown } | undefined;

export type DockerHandler = (call: DockerCall) => Promise<DockerAnswer>;

export interface DockerRoute {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Segments; `:name` matches one segment, `*name` the rest of the path (image names have slashes). */
  path: string;
  handler: DockerHandler;
}

export const ok = (json: unknown, status = 200): DockerAnswer => ({ status, json });
export const noContent: DockerAnswer = { status: 204 };
