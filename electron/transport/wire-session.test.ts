import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../../e2e/fixtures/browser.js';
import { BerthError } from '../../shared/berth-error.js';
import type { ServerMessage } from '../../shared/wire.js';
import { openWireSession, type WireSession } from './wire-session.js';

/** A session over a carrier that keeps what the engine sends, and a log of what the handlers saw. */
function sessionOf(engine: FakeEngine): { session: WireSession; sent: ServerMessage[] } {
  const sent: ServerMessage[] = [];
  const session = openWireSession(engine, { send: (message) => (sent.push(message), true), drained: () => Promise.resolve() });
  return { session, sent };
}

/** Resolves once the messages sent so far include an answer to call `id`. */
async function answerTo(sent: ServerMessage[], id: number): Promise<void> {
  for (let turn = 0; turn < 100; turn++) {
    if (sent.some((m) => 'id' in m && m.id === id && !('item' in m))) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no answer to call ${id}`);
}

describe('notifications on the wire', () => {
  it('run in the order sent, with the calls, and are answered with nothing', async () => {
    const seen: string[] = [];
    const engine = new FakeEngine({
      'terminal.input': async ({ base64 }) => (seen.push(`input ${Buffer.from(base64, 'base64').toString()}`), {}),
      'terminal.resize': async ({ cols, rows }) => (seen.push(`resize ${cols}x${rows}`), {}),
      'terminal.list': async () => (seen.push('list'), []),
    });
    const { session, sent } = sessionOf(engine);
    session.receive({ notify: 'terminal.input', params: { sessionId: 's', base64: Buffer.from('a').toString('base64') } });
    session.receive({ notify: 'terminal.resize', params: { sessionId: 's', cols: 100, rows: 30 } });
    session.receive({ notify: 'terminal.input', params: { sessionId: 's', base64: Buffer.from('b').toString('base64') } });
    session.receive({ id: 1, method: 'terminal.list', params: {} });
    await answerTo(sent, 1);
    expect(seen).toEqual(['input a', 'resize 100x30', 'input b', 'list']);
    expect(sent).toEqual([{ id: 1, result: [] }]);
    session.close();
  });

  it("drop their handler's error: a keystroke after its session ended is not an error to report", async () => {
    const engine = new FakeEngine({
      'terminal.input': async () => {
        throw new BerthError('INVALID_ARGUMENT', 'no such terminal session: s');
      },
      'terminal.list': async () => [],
    });
    const { session, sent } = sessionOf(engine);
    session.receive({ notify: 'terminal.input', params: { sessionId: 's', base64: '' } });
    session.receive({ id: 1, method: 'terminal.list', params: {} });
    await answerTo(sent, 1);
    expect(sent).toEqual([{ id: 1, result: [] }]);
    session.close();
  });

  it('refuse a method that must be called, or bad params, with one connection error naming it, and run nothing', async () => {
    let ran = 0;
    const engine = new FakeEngine({
      'containers.remove': async ({ id }) => (ran++, { id }),
      'terminal.input': async () => (ran++, {}),
    });
    const { session, sent } = sessionOf(engine);
    session.receive({ notify: 'containers.remove', params: { id: 'web' } });
    session.receive({ notify: 'no.such', params: {} });
    session.receive({ notify: 'terminal.input', params: { sessionId: 's', base64: 7 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toBe(0);
    const errors = sent.map((m) => ('error' in m && m.id === 0 ? `${m.error.code}: ${m.error.message}` : JSON.stringify(m)));
    expect(errors).toEqual([
      'INVALID_ARGUMENT: "containers.remove" cannot be sent as a notification: send it as a call, with an id',
      'INVALID_ARGUMENT: "no.such" cannot be sent as a notification: send it as a call, with an id',
      expect.stringMatching(/^INVALID_ARGUMENT: invalid request for terminal\.input: base64: /),
    ]);
    session.close();
  });

  it('see the client go: their signal aborts when the session closes', async () => {
    let signal: AbortSignal | undefined;
    const engine = new FakeEngine({ 'terminal.input': async (_request, context) => ((signal = context.signal), {}) });
    const { session } = sessionOf(engine);
    session.receive({ notify: 'terminal.input', params: { sessionId: 's', base64: '' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(signal?.aborted).toBe(false);
    session.close();
    expect(signal?.aborted).toBe(true);
  });
});
