import type { ClientMessage, ServerMessage } from '../../shared/wire.js';
import type { LinkStatus, WireLink } from '../../shared/wire-link.js';

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 4_000;

/**
 * Browser mode: the contract over a WebSocket to the page's own server, with the token from the
 * page URL. Reconnects with back-off, so an engine restart only interrupts the page.
 */
export class WebSocketLink implements WireLink {
  status: LinkStatus = 'connecting';
  private socket: WebSocket | undefined;
  private retryMs = FIRST_RETRY_MS;
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private readonly statusListeners = new Set<(status: LinkStatus) => void>();

  constructor(private readonly url: string) {
    this.connect();
  }

  static fromPage(location: Location): WebSocketLink {
    const token = new URLSearchParams(location.search).get('token') ?? '';
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return new WebSocketLink(`${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`);
  }

  send(message: ClientMessage): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  onMessage(listener: (message: ServerMessage) => void): void {
    this.messageListeners.add(listener);
  }

  onStatus(listener: (status: LinkStatus) => void): void {
    this.statusListeners.add(listener);
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = FIRST_RETRY_MS;
      this.setStatus('open');
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      const message = JSON.parse(event.data) as ServerMessage;
      for (const listener of this.messageListeners) listener(message);
    });
    socket.addEventListener('close', () => {
      this.setStatus('closed');
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    });
  }

  private setStatus(status: LinkStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
