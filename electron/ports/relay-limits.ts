/** Bounds on what the relay holds, so a noisy client or a slow container cannot grow it without end. */
export interface RelayLimits {
  /** Connections accepted before activate and held open, per TCP port; further ones are reset. */
  heldConnectionsPerPort: number;
  /** Bytes read from a held connection before it is paused until activate. */
  heldBytesPerConnection: number;
  /** Datagrams queued before activate, per UDP port; further ones are dropped. */
  queuedDatagramsPerPort: number;
  queuedBytesPerPort: number;
  /** Client flows per UDP port; the least recently used one goes to make room. */
  udpFlowsPerPort: number;
  /** A UDP flow with no traffic either way for this long is closed. */
  udpFlowIdleMs: number;
  /** How often idle UDP flows are looked for. */
  udpSweepMs: number;
  /** Read buffers start at the first size and grow (x4) after full reads, up to the largest. */
  firstReadBufferBytes: number;
  largestReadBufferBytes: number;
  /** Grown read buffers of all connections together stay under this; beyond it they stay small. */
  grownReadBufferBudgetBytes: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  heldConnectionsPerPort: 256,
  heldBytesPerConnection: 64 * 1024,
  queuedDatagramsPerPort: 256,
  queuedBytesPerPort: 1024 * 1024,
  udpFlowsPerPort: 1024,
  udpFlowIdleMs: 60_000,
  udpSweepMs: 10_000,
  firstReadBufferBytes: 16 * 1024,
  largestReadBufferBytes: 1024 * 1024,
  grownReadBufferBudgetBytes: 256 * 1024 * 1024,
};
