import { client } from './client.js';
import { describeError } from './error-text.js';

export interface LogFollow {
  id: string;
  tail: number;
  /** Each line starts with its RFC 3339 time and a space. */
  timestamps?: boolean;
}

export interface LogFollowHandlers {
  onText(text: string): void;
  /** The container stopped: everything it wrote has been passed on. */
  onEnd(): void;
  onError(detail: string): void;
}

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Follows a container's output (containers.logs with follow) as text. Chunks are bytes: decoded as a
 * stream so a character split across chunks survives. Answers a function that stops following;
 * after it, no handler is called.
 */
export function followLog({ id, tail, timestamps = false }: LogFollow, handlers: LogFollowHandlers): () => void {
  const abort = new AbortController();
  const decoder = new TextDecoder();
  client
    .call('containers.logs', { id, follow: true, tail, timestamps }, { signal: abort.signal, onItem: ({ base64 }) => handlers.onText(decoder.decode(decodeBase64(base64), { stream: true })) })
    .then(() => {
      if (abort.signal.aborted) return;
      const rest = decoder.decode();
      if (rest) handlers.onText(rest);
      handlers.onEnd();
    })
    .catch((error: unknown) => {
      if (!abort.signal.aborted) handlers.onError(describeError(error).detail);
    });
  return () => abort.abort();
}
