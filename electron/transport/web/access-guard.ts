import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Decides who may use the browser UI. The server listens on loopback only, yet any web page the user
 * opens could still aim requests at it, so three things are checked: the Host header (against DNS
 * rebinding), the Origin (only our own page may open the API socket) and the secret token from the
 * printed URL (other local users and programs do not know it).
 */
export class AccessGuard {
  /** e.g. http://127.0.0.1:43123 */
  readonly origin: string;
  private readonly host: string;
  private readonly token: Buffer;

  constructor(address: string, port: number, token: string) {
    this.host = `${address}:${port}`;
    this.origin = `http://${this.host}`;
    this.token = Buffer.from(token);
  }

  hostAllowed(request: IncomingMessage): boolean {
    return request.headers.host === this.host;
  }

  /** Browsers always send Origin on a WebSocket handshake; a request without one is not our page. */
  originAllowed(request: IncomingMessage): boolean {
    return request.headers.origin === this.origin;
  }

  tokenValid(candidate: string | null): boolean {
    if (candidate === null) return false;
    const given = Buffer.from(candidate);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
