import { isNotificationName, type CallContext, type ContractHost, type EventName, type EventPayload } from '../../shared/contract.js';
import { BerthError } from '../../shared/berth-error.js';
import { ClientMessage, type ServerMessage } from '../../shared/wire.js';
import { checkRequest, dispatch, runRequest, type CheckedRequest } from './dispatch.js';

/** One client's conversation with the engine, whatever carries its messages. */
export interface WireSession {
  /** Handles one message as the client sent it (already decoded from JSON, not yet trusted). */
  receive(message: unknown): void;
  /** The client went away: cancels its calls and stops its events. */
  close(): void;
}

/** Where a session's answers go: a WebSocket, an Electron window. */
export interface WireCarrier {
  /** Sends one message; false when the carrier is backed up (streams then wait for drained()). */
  send(message: ServerMessage): boolean;
  /** Resolves once the carrier can take more (at once when it is not backed up). */
  drained(): Promise<void>;
}

/** A client may not keep more calls open than this; a runaway page cannot exhaust the engine. */
const MAX_OPEN_CALLS = 512;

// id 0 is never used by a client, so it marks an error about the connection rather than a call.
function connectionError(error: BerthError): ServerMessage {
  return { id: 0, error: error.toInfo() };
}

function malformed(text: string): ServerMessage {
  return connectionError(new BerthError('INVALID_ARGUMENT', text));
}

/**
 * The shared/wire.ts protocol over any message carrier: validates every message, runs calls through
 * dispatch() (which validates their params), streams items, honours cancels and forwards events to
 * subscribers. A bad message gets an error answer; nothing a client sends can throw out of here.
 * A notification is checked the same way; a bad one gets a connection error (it has no id), and what
 * its handler answers, error or not, goes nowhere.
 */
export function openWireSession(host: ContractHost, carrier: WireCarrier): WireSession {
  const calls = new Map<number, AbortController>();
  let subscribed = false;
  let closed = false;
  // A closed session swallows what is still sent, and reports no back-pressure so streams wind down.
  const reply = (message: ServerMessage): boolean => closed || carrier.send(message);
  // Notifications share one signal, aborted when the client goes: no controller per keystroke.
  const notified = new AbortController();
  const notificationContext: CallContext<unknown> = { emit: () => true, drained: () => Promise.resolve(), signal: notified.signal };
  const onEvent = (event: EventName, payload: EventPayload<EventName>) => {
    reply({ event, payload });
  };

  function call(id: number, method: string, params: unknown): void {
    const refuse = (text: string) => void reply({ id, error: new BerthError('INVALID_ARGUMENT', text).toInfo() });
    if (calls.has(id)) return refuse(`call id ${id} is already in use`);
    if (calls.size >= MAX_OPEN_CALLS) return refuse(`too many open calls (limit ${MAX_OPEN_CALLS})`);
    const controller = new AbortController();
    calls.set(id, controller);
    const context = { emit: (item: unknown) => reply({ id, item }), drained: () => (closed ? Promise.resolve() : carrier.drained()), signal: controller.signal };
    dispatch(host.api, method, params, context)
      .then((result) => reply({ id, result }))
      .catch((err: unknown) => reply({ id, error: BerthError.from(err).toInfo() }))
      .finally(() => calls.delete(id));
  }

  function notify(method: string, params: unknown): void {
    if (!isNotificationName(method)) return void reply(malformed(`"${method.slice(0, 128)}" cannot be sent as a notification: send it as a call, with an id`));
    let checked: CheckedRequest;
    try {
      checked = checkRequest(method, params);
    } catch (err) {
      return void reply(connectionError(BerthError.from(err)));
    }
    runRequest(host.api, checked, notificationContext).catch(() => {});
  }

  return {
    receive(raw) {
      if (closed) return;
      const parsed = ClientMessage.safeParse(raw);
      if (!parsed.success) {
        reply(malformed('malformed message: expected {id, method, params}, {notify, params}, {id, cancel} or {subscribe}'));
        return;
      }
      const message = parsed.data;
      if ('subscribe' in message) {
        if (!subscribed) host.on('event', onEvent);
        subscribed = true;
      } else if ('cancel' in message) {
        calls.get(message.id)?.abort();
      } else if ('notify' in message) {
        notify(message.notify, message.params);
      } else {
        call(message.id, message.method, message.params);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (subscribed) host.off('event', onEvent);
      for (const controller of calls.values()) controller.abort();
      calls.clear();
      notified.abort();
    },
  };
}
