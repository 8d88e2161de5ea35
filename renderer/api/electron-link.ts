import type { WireBridge } from '../../shared/wire.js';
import type { ClientMessage, ServerMessage } from '../../shared/wire.js';
import type { LinkStatus, WireLink } from '../../shared/wire-link.js';

/** In the app window: the contract over the preload's IPC bridge, open for the window's lifetime. */
export class ElectronLink implements WireLink {
  readonly status: LinkStatus = 'open';

  constructor(private readonly bridge: WireBridge) {}

  send(message: ClientMessage): boolean {
    this.bridge.send(message);
    return true;
  }

  onMessage(listener: (message: ServerMessage) => void): void {
    this.bridge.onMessage(listener);
  }

  onStatus(): void {
    // IPC does not drop: the engine lives in the same app as the window.
  }
}
