import type { ErrorCode } from '../../shared/errors.js';
import type { PortReservation } from './port-relay.js';
import type { PortPath } from '../host/host.js';
import type { RelayLimits } from './relay-limits.js';
import type { ReserveResult } from './relay-local.js';

/** What WorkerPortRelay asks of its worker; one reply per request, matched by id. */
export type RelayRequest =
  | { id: number; op: 'reserve'; owner: string; ports: PortReservation[] }
  | { id: number; op: 'activate'; owner: string; target: PortPath }
  | { id: number; op: 'release'; owner: string }
  | { id: number; op: 'close' };

export type RelayReply =
  | { id: number; ok: true; reserved?: ReserveResult }
  | { id: number; ok: false; code: ErrorCode; message: string };

/** The worker's first message: it has loaded and listens for requests. */
export interface RelayReady {
  ready: true;
}

export interface RelayWorkerData {
  limits: Partial<RelayLimits>;
}
