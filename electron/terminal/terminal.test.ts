import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { makeTestEngineEnv, TEST_HOSTS, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import type { EventPayload, StreamItem } from '../../shared/contract.js';
import { Engine } from '../engine/engine.js';
import { terminalSocketPath } from '../engine/engine-config.js';
import { encodeFrame, FrameDecoder } from '../streams/typed-frames.js';
import { dispatch } from '../transport/dispatch.js';
import { connectToEngine } from '../transport/socket/socket-client.js';
import { TerminalStream } from './terminal-stream.js';
import { attachClientArgv } from '../runtime/attach-client.js';
import { LocalHost } from '../host/local/local-host.js';
import { RuntimeCli } from '../runtime/runtime-cli.js';
import { execAgent } from './monitor-pty.js';
import { SessionTable } from './session-table.js';
import type { TerminalSession } from '../../shared/terminals.js';

/** One attach: what it has received, and how it ended. */
interface Attached {
  text(): string;
  bytes(): number;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  detach(): void;
  /** Stops taking items (emit answers false) until `release`. */
  hold(): void;
  release(): void;
  result: Promise<{ exitCode: number | null }>;
}

describe.each(TEST_HOSTS)('terminal sessions, Linux on the %s host', (host) => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let containerId: string;

  beforeAll(async () => {
    env = await makeTestEngineEnv({ host });
    engine = await env.openEngine();
    call = engineCaller(engine);
    containerId = (await call('containers.run', { image: 'hello', cmd: ['sleep', '600'], autoExpose: false })).id;
  });

  afterAll(async () => {
    if (engine) {
      for (const s of await call('terminal.list', {})) await call('terminal.close', { sessionId: s.id }).catch(() => {});
      await closeTestEngine(engine);
    }
    await env?.cleanup();
  });

  function attach(sessionId: string, options: { keep?: boolean } = {}): Attached {
    const chunks: Buffer[] = [];
    let received = 0;
    let held = false;
    let releaseHeld: (() => void) | undefined;
    const controller = new AbortController();
    const emit = (item: unknown) => {
      const data = Buffer.from((item as StreamItem<'terminal.attach'>).base64, 'base64');
      received += data.length;
      if (options.keep !== false) chunks.push(data);
      return !held;
    };
    const drained = () => (held ? new Promise<void>((resolve) => (releaseHeld = resolve)) : Promise.resolve());
    const result = dispatch(engine.api, 'terminal.attach', { sessionId }, { emit, drained, signal: controller.signal }) as Promise<{ exitCode: number | null }>;
    // A shell may start before the runtime clears ONLCR on the container's pty, and then line ends
    // arrive as CR CR LF: a terminal shows that as CR LF, so the tests read both alike.
    const text = () => Buffer.concat(chunks).toString().replace(/\r+\n/g, '\n');
    return {
      text,
      bytes: () => received,
      waitFor: async (pattern, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        const matches = () => (typeof pattern === 'string' ? text().includes(pattern) : pattern.test(text()));
        while (!matches()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(text().slice(-500))}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      detach: () => controller.abort(),
      hold: () => {
        held = true;
      },
      release: () => {
        held = false;
        releaseHeld?.();
      },
      result,
    };
  }

  const type = (sessionId: string, text: string) => call('terminal.input', { sessionId, base64: Buffer.from(text).toString('base64') });

  it('runs the default shell, echoes, resizes, and ends with the shell exit code', async () => {
    const events: EventPayload<'terminals.changed'>[] = [];
    const onEvent = (name: string, payload: unknown) => name === 'terminals.changed' && events.push(payload as EventPayload<'terminals.changed'>);
    engine.on('event', onEvent);
    const session = await call('terminal.open', { id: containerId, cols: 80, rows: 24 });
    // hello is busybox: no bash, so sh.
    expect(session).toMatchObject({ containerId, command: ['/bin/sh'], exitCode: null });
    const term = attach(session.id);
    await type(session.id, 'echo $((6*7))\r');
    await term.waitFor(/\n42\n/);
    await call('terminal.resize', { sessionId: session.id, cols: 123, rows: 45 });
    await type(session.id, 'stty size\r');
    await term.waitFor('45 123');
    await type(session.id, 'exit 3\r');
    expect(await term.result).toEqual({ exitCode: 3 });
    await waitFor('exit event', async () => events, (e) => e.some((p) => p.session.id === session.id && p.session.exitCode === 3));
    expect(events[0]?.session).toMatchObject({ id: session.id, exitCode: null });
    engine.off('event', onEvent);
    expect((await call('terminal.list', { containerId })).find((s) => s.id === session.id)?.exitCode).toBe(3);
    await call('terminal.close', { sessionId: session.id });
    expect((await call('terminal.list', {})).some((s) => s.id === session.id)).toBe(false);
  });

  it('keeps running after a detach and replays the scrollback on re-attach', async () => {
    const session = await call('terminal.open', { id: containerId, cols: 80, rows: 24 });
    const first = attach(session.id);
    await type(session.id, 'echo first-$((1+1))\r');
    await first.waitFor('first-2');
    first.detach();
    expect(await first.result).toEqual({ exitCode: null });
    // Output while nobody watches goes to the scrollback.
    await type(session.id, 'echo unseen-$((2+2))\r');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = attach(session.id);
    await second.waitFor('first-2');
    await second.waitFor('unseen-4');
    await type(session.id, 'echo again-$((3+3))\r');
    await second.waitFor('again-6');
    // Two readers at once both see new output.
    const third = attach(session.id);
    await type(session.id, 'echo both-$((4+4))\r');
    await second.waitFor('both-8');
    await third.waitFor('both-8');
    await call('terminal.close', { sessionId: session.id });
    expect((await second.result).exitCode).not.toBeNull();
    expect((await third.result).exitCode).not.toBeNull();
  });

  it("runs as the container's own process (its user, directory, environment) at the client's size, and leaves no files behind", async () => {
    const other = await call('containers.run', { image: 'hello', cmd: ['sleep', '600'], env: ['GREETING=hi there'], user: '1234:5678', workdir: '/tmp', autoExpose: false });
    const session = await call('terminal.open', { id: other.id, command: ['sh', '-c', 'echo "$GREETING|$TERM|$(id -u):$(id -g)|$(pwd)|$(stty size)"; exit 5'], cols: 101, rows: 37 });
    const term = attach(session.id);
    expect(await term.result).toEqual({ exitCode: 5 });
    expect(term.text()).toContain('hi there|xterm-256color|1234:5678|/tmp|37 101');
    const linux = engine.host;
    // Neither the exec's folder nor its link among the containers' attach links.
    const left = await linux.exec(['sh', '-c', 'ls -A "$1/containers/$2/exec"; find "$1/attach" -lname "*/exec/*"', 'ls', linux.dataRoot, other.id]);
    expect(left.code).toBe(0);
    expect(left.stdout.toString()).toBe('');
    await call('containers.remove', { id: other.id, force: true });
  });

  it('reports a command that does not exist as 127', async () => {
    const session = await call('terminal.open', { id: containerId, command: ['no-such-shell'], cols: 80, rows: 24 });
    const term = attach(session.id);
    expect(await term.result).toEqual({ exitCode: 127 });
    expect(term.text()).toMatch(/no-such-shell/);
  });

  it('ends the sessions of a container that stops', async () => {
    const other = await call('containers.run', { image: 'hello', cmd: ['sleep', '600'], autoExpose: false });
    const sessions = await Promise.all([0, 1].map(() => call('terminal.open', { id: other.id, cols: 80, rows: 24 })));
    const terms = sessions.map((s) => attach(s.id));
    await type(sessions[0]!.id, 'echo ready\r');
    await terms[0]!.waitFor('ready');
    await call('containers.stop', { id: other.id, timeout: 1 });
    for (const term of terms) expect((await term.result).exitCode).not.toBeNull();
    await waitFor('sessions ended', () => call('terminal.list', { containerId: other.id }), (list) => list.every((s) => s.exitCode !== null));
    await expect(call('terminal.open', { id: other.id, cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'CONTAINER_NOT_RUNNING' });
    await call('containers.remove', { id: other.id, force: true });
  });

  it('pauses the pty for a backed-up reader and keeps memory bounded under a flood', async () => {
    const session = await call('terminal.open', { id: containerId, cols: 80, rows: 24 });
    const flow = () => engine.terminals.flow(session.id);
    // The sessions live in the terminal host: its memory is what must stay bounded.
    const hostRss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${engine.terminals.hostPid()}/status`, 'utf8'))![1]) / 1024;
    const term = attach(session.id, { keep: false });
    await type(session.id, 'echo go\r');
    await waitFor('prompt', async () => term.bytes(), (n) => n > 0);
    global.gc?.();
    const before = { host: await hostRss(), engine: process.memoryUsage().rss / 2 ** 20 };
    term.hold();
    const floodBytes = 50_000_000;
    await type(session.id, `head -c ${floodBytes} /dev/zero | tr '\\0' x; echo; echo flood-done\r`);
    await waitFor('pause', flow, (state) => state.paused);
    const whileHeld = term.bytes();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Paused: nothing more reaches the reader, and the shell is held back rather than buffered.
    expect(term.bytes() - whileHeld).toBeLessThan(2 * 1024 * 1024);
    expect((await flow()).pauses).toBeGreaterThan(0);
    // Detached: the host reads on into the bounded scrollback.
    term.detach();
    await term.result;
    const watcher = attach(session.id);
    await watcher.waitFor('flood-done', 60_000);
    // Neither the host nor the engine relaying to this reader grew with the flood.
    expect((await hostRss()) - before.host).toBeLessThan(64);
    expect(process.memoryUsage().rss / 2 ** 20 - before.engine).toBeLessThan(64);
    // The re-attached reader got the scrollback (bounded), not all 50 MB.
    expect(watcher.bytes()).toBeLessThan(8 * 1024 * 1024);
    await call('terminal.close', { sessionId: session.id });
  });

  it("streams a session over the terminal host's own socket: keys, size, output, a detach, and the code after a hang-up", async () => {
    const session = await call('terminal.open', { id: containerId, cols: 80, rows: 24 });
    const connect = () => connectToEngine(terminalSocketPath(env.config.home));
    // Only the engine's owner may reach it, as the engine's own socket.
    expect((await stat(terminalSocketPath(env.config.home))).mode & 0o777).toBe(0o600);
    let seen = '';
    const first = new TerminalStream(await connect(), session.id, (data) => (seen += data.toString()));
    first.write(Buffer.from('echo $((6*7))\r'));
    await waitFor('echo', async () => seen, (text) => /\n42\r?\n/.test(text.replace(/\r+\n/g, '\n')));
    first.resize(111, 33);
    first.write(Buffer.from('stty size\r'));
    await waitFor('size', async () => seen, (text) => text.includes('33 111'));
    // The engine hears of the new size too.
    await waitFor('listed size', () => call('terminal.list', { containerId }), (list) => list.some((s) => s.id === session.id && s.cols === 111 && s.rows === 33));
    first.detach();
    expect(await first.ended).toBeNull();
    expect((await call('terminal.list', { containerId })).find((s) => s.id === session.id)?.exitCode).toBeNull();
    // A second stream gets the scrollback.
    let again = '';
    const second = new TerminalStream(await connect(), session.id, (data) => (again += data.toString()));
    await waitFor('replay', async () => again, (text) => text.includes('33 111'));
    second.detach();
    await call('terminal.close', { sessionId: session.id });
    // A hang-up ends the session, and the stream has its code.
    const trapping = await call('terminal.open', { id: containerId, command: ['sh', '-c', 'trap "exit 4" HUP; echo trap-$((2*3)); while true; do sleep 0.1; done'], cols: 80, rows: 24 });
    let said = '';
    const third = new TerminalStream(await connect(), trapping.id, (data) => (said += data.toString()));
    await waitFor('trap set', async () => said, (text) => text.includes('trap-6'));
    third.hangUp();
    expect(await third.ended).toBe(4);
  });

  it("refuses a stream on the terminal host's socket that names no session, or one it does not hold, in one line", async () => {
    const path = terminalSocketPath(env.config.home);
    await expect(new TerminalStream(await connectToEngine(path), 'no-such-session', () => {}).ended).rejects.toThrow(/no such terminal session: no-such-session/);
    // Raw frames: what the host answers before it ends the connection.
    const refusal = async (...frames: Buffer[]) => {
      const socket = await connectToEngine(path);
      const decoder = new FrameDecoder();
      const answer = new Promise<string>((resolve) => {
        let error = '';
        // Output of the session may come first (its prompt); the refusal is the error frame, type 3.
        socket.on('data', (chunk: Buffer) => {
          for (const frame of decoder.push(chunk)) if (frame.type === 3) error = frame.data.toString();
        });
        socket.on('close', () => resolve(error));
      });
      for (const frame of frames) socket.write(frame);
      return JSON.parse(await answer) as unknown;
    };
    expect(await refusal(encodeFrame(2, Buffer.from('ls\r')))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'a terminal stream starts with the session it is for' });
    const session = await call('terminal.open', { id: containerId, cols: 80, rows: 24 });
    expect(await refusal(encodeFrame(1, Buffer.from(session.id)), encodeFrame(9))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'unknown frame type 9 on a terminal stream' });
    const oversized = Buffer.alloc(5);
    oversized.writeUInt8(2, 0);
    oversized.writeUInt32BE(2 * 1024 * 1024, 1);
    expect(await refusal(encodeFrame(1, Buffer.from(session.id)), oversized)).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/over the limit/) });
    const stream = new TerminalStream(await connectToEngine(path), session.id, () => {});
    stream.resize(0, 24);
    await expect(stream.ended).rejects.toThrow('a resize is two numbers from 1 to 1000');
    // The session itself runs on.
    expect((await call('terminal.list', { containerId })).find((s) => s.id === session.id)?.exitCode).toBeNull();
    await call('terminal.close', { sessionId: session.id });
  });

  it('holds a direct exec until its client has connected to conmon and opened its stream, on the local host', async () => {
    const command = ['sh', '-c', 'echo first-$((1+1)); exec cat'];
    const session = await call('terminal.open', { id: containerId, command, cols: 80, rows: 24, direct: true });
    if (host !== 'local') {
      // Through wsl.exe, conmon's socket is not the client's to reach: the session starts at once.
      expect(session.attachSocket).toBeUndefined();
      await attach(session.id).waitFor('first-2');
      await call('terminal.close', { sessionId: session.id });
      return;
    }
    expect(session.attachSocket).toMatch(/\/attach$/);
    // Were it not held, the process would have started and printed its first line by now, to nobody but the engine.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const client = spawn(attachClientArgv(session.attachSocket!)[0]!, attachClientArgv(session.attachSocket!).slice(1), { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const clientExit = new Promise((resolve) => client.once('exit', resolve));
    let screen = '';
    client.stdout!.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    await new Promise((resolve) => client.stdio[3]!.once('data', resolve));
    let notices = '';
    const stream = new TerminalStream(await connectToEngine(terminalSocketPath(env.config.home)), session.id, (data) => (notices += data.toString()), true);
    // Its first line reaches the client: the process started only once both were there.
    await waitFor('the first line', async () => screen, (text) => text.includes('first-2'));
    client.stdin!.write('typed\r');
    await waitFor('the echo', async () => screen, (text) => /typed\r?\n/.test(text));
    // The engine's session has it all too (its scrollback, for the app), and the stream none of it.
    await attach(session.id).waitFor(/first-2[^]*typed/);
    stream.resize(90, 30);
    await waitFor('listed size', () => call('terminal.list', { containerId }), (list) => list.some((s) => s.id === session.id && s.cols === 90));
    stream.hangUp();
    expect(await stream.ended).toBe(129);
    // conmon closed its socket with the process's end, and the client went with it.
    expect(await clientExit).toBe(0);
    expect(notices).toBe('');
  });

  it("starts a held exec for a relayed stream too, and hangs up one whose client never comes, leaving nothing", async () => {
    const command = ['sh', '-c', 'echo first-$((2+2)); exec cat'];
    const relayed = await call('terminal.open', { id: containerId, command, cols: 80, rows: 24, direct: true });
    let seen = '';
    const stream = new TerminalStream(await connectToEngine(terminalSocketPath(env.config.home)), relayed.id, (data) => (seen += data.toString()));
    await waitFor('the first line', async () => seen, (text) => text.includes('first-4'));
    stream.hangUp();
    expect(await stream.ended).toBe(129);

    const abandoned = await call('terminal.open', { id: containerId, command, cols: 80, rows: 24, direct: true });
    await call('terminal.close', { sessionId: abandoned.id });
    if (abandoned.attachSocket) expect(await env.linuxFileSize(abandoned.attachSocket)).toBeUndefined();
    expect((await call('terminal.list', {})).some((s) => s.id === abandoned.id)).toBe(false);
  });

  it.runIf(host === 'local')('hangs up a held exec whose stream is not opened in time', async () => {
    const linux = new LocalHost(env.dataRoot);
    const runtime = await RuntimeCli.probe(linux, `${env.dataRoot}/runtime`);
    const agent = await execAgent(linux, runtime, { containerId, command: ['cat'], env: [], cols: 80, rows: 24 }, true);
    const changes: TerminalSession[] = [];
    const table = new SessionTable({ scrollbackBytes: 64 * 1024, changed: (s) => changes.push(s), resized: () => {}, forgotten: () => {}, mainExitCode: async () => 0, heldStartMs: 300 });
    const session = await table.open({ id: 'held-test', containerId, command: ['cat'], cols: 80, rows: 24, exitCode: null, main: false, created: new Date().toISOString() }, agent.mode, agent.argv, true);
    expect(session.exitCode).toBeNull();
    await waitFor('the hang-up', async () => changes, (list) => list.some((s) => s.id === 'held-test' && s.exitCode === 129));
    expect(await env.linuxFileSize(agent.attachSocket!)).toBeUndefined();
  });

  it('runs 20 sessions over 3 containers at once, each echoing its own answer', async () => {
    const extra = await Promise.all([0, 1].map(() => call('containers.run', { image: 'hello', cmd: ['sleep', '600'], autoExpose: false })));
    const containers = [containerId, ...extra.map((c) => c.id)];
    const sessions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call('terminal.open', { id: containers[i % containers.length]!, cols: 80, rows: 24 })),
    );
    const terms = sessions.map((s) => attach(s.id));
    await Promise.all(sessions.map((s, i) => type(s.id, `echo answer-$((${i}*1000+7))\r`)));
    await Promise.all(terms.map((t, i) => t.waitFor(`answer-${i * 1000 + 7}\n`, 20_000)));
    for (const [i, t] of terms.entries()) {
      for (let j = 0; j < 20; j++) if (j !== i) expect(t.text()).not.toContain(`answer-${j * 1000 + 7}\n`);
    }
    await Promise.all(sessions.map((s) => call('terminal.close', { sessionId: s.id })));
    for (const c of extra) await call('containers.remove', { id: c.id, force: true });
  });
});
