import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Maps a URL path to a file under `root`, or undefined when it would leave the root or names
 * something we do not serve. Only the built renderer lives there, so nothing secret can be reached.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || !decoded.startsWith('/')) return undefined;
  const base = resolve(root);
  const full = resolve(base, `.${decoded}`);
  if (!full.startsWith(base + sep)) return undefined;
  return CONTENT_TYPES[extname(full)] === undefined ? undefined : full;
}

/** Sends one file with its content type; 404 when it is missing. */
export async function sendFile(response: ServerResponse, path: string, headers: Record<string, string>, headOnly: boolean): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'Content-Length': String(info.size),
    // Asset names carry a content hash; index.html does not, so it is always fetched again.
    'Cache-Control': path.endsWith('.html') ? 'no-store' : 'max-age=31536000, immutable',
  });
  if (headOnly) {
    response.end();
    return;
  }
  createReadStream(path).on('error', () => response.destroy()).pipe(response);
}
