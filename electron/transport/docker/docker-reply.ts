import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../shared/berth-error.js';
import { ENGINE_VERSION } from '../../engine/engine.js';
import { DOCKER_API_VERSION } from './docker-call.js';

/** Headers every reply carries: clients negotiate their version from these (`docker version` reads them after `_ping`). */
export const COMMON_HEADERS = {
  'Api-Version': DOCKER_API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: `Berth/${ENGINE_VERSION} (linux)`,
};

/** A whole reply: JSON with its length, or no body (204, 304, HEAD). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = value === undefined ? '' : `${JSON.stringify(value)}\n`;
  res.writeHead(status, { ...COMMON_HEADERS, ...(value === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }) });
  res.end(body);
}

/** Starts a reply the handler streams itself; the headers go at once (clients wait for them). */
export function startStream(res: ServerResponse, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...COMMON_HEADERS, ...headers, 'Content-Type': contentType });
  res.flushHeaders();
}

/** One JSON object on its own line, as Docker streams pulls, loads, events and stats. */
export function writeJsonLine(res: ServerResponse, value: unknown): void {
  res.write(`${JSON.stringify(value)}\n`);
}

/** A failure once a JSON-lines stream has begun: the headers are out, so it travels in the stream, where clients look for it. */
export function writeStreamError(res: ServerResponse, err: unknown): void {
  const message = BerthError.from(err).line;
  writeJsonLine(res, { errorDetail: { message }, error: message });
}

/**
 * The request body written to a file in a folder of its own (the engine takes archives from files),
 * for `use`; the folder goes after, whatever happened.
 */
export async function withUploadedFile<T>(req: IncomingMessage, name: string, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-upload-'));
  try {
    const path = join(dir, name);
    await pipeline(req, createWriteStream(path, { mode: 0o600 }));
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
