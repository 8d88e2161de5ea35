import type { LogStream } from '../../shared/containers.js';
import { client } from './client.js';
import { decodeBase64 } from '../format/base64.js';
import { describeError } from './error-text.js';

export interface LogFollow {
  id: string;
  tail: number;
  /** Each line starts with its RFC 3339 time and a space. */
  timestamps?: boolean;
  /** Only what was written from then on (Unix seconds). */
  since?: number;
}

export interface LogFollowHandlers {
  onText(text: string, stream: LogStream): void;
  /** The container stopped: everything it wrote has been passed on. */
  onEnd(): void;
  onError(detail: string): void;
}

/**
 * Follows a container's output (containers.logs with follow) as text, stdout and stderr apart.
 * Chunks are bytes: each stream is decoded as one so a character split across chunks survives.
 * Answers a function that stops following; after it, no handler is called.
 */
export function followLog({ id, tail, timestamps = false, since }: LogFollow, handlers: LogFollowHandlers): () => void {
  const abort = new AbortController();
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  client
    .call(
      'containers.logs',
      { id, follow: true, tail, timestamps, since },
      { signal: abort.signal, onItem: ({ stream, base64 }) => handlers.onText(decoders[stream].decode(decodeBase64(base64), { stream: true }), stream) },
    )
    .then(() => {
      if (abort.signal.aborted) return;
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = decoders[stream].decode();
        if (rest) handlers.onText(rest, stream);
      }
      handlers.onEnd();
    })
    .catch((error: unknown) => {
      if (!abort.signal.aborted) handlers.onError(describeError(error).detail);
    });
  return () => abort.abort();
}
