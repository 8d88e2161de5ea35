import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import type { Engine } from '../electron/engine/engine.js';
import { socketPath } from '../electron/engine/engine-config.js';
import { serveIpc } from '../electron/transport/ipc/ipc-server.js';
import { LineFramer } from '../electron/transport/line-framer.js';
import { SocketClient } from '../electron/transport/socket/socket-client.js';
import { serveSocket, type SocketServer } from '../electron/transport/socket/socket-server.js';
import { serveWeb, type WebServer } from '../electron/transport/web/web-server.js';
import { Container } from '../shared/containers.js';
import { contract, isMethodName, isNotificationName, SystemInfo } from '../shared/contract.js';
import { ErrorInfo, type ErrorCode } from '../shared/errors.js';
import { ClientMessage, type ServerMessage } from '../shared/wire.js';
import { closeTestEngine, engineCaller } from './fixtures/engine-client.js';
import { APP_URL, FakeIpcMain, FakeWindow } from './fixtures/fake-ipc.js';
import { Rng } from './fixtures/seeded-random.js';
import { makeTestEngineEnv, type TestEngineEnv } from './fixtures/test-engine.js';

/*
 * Malformed and oversized requests to every method of the contract, over each transport, against one
 * real engine: each gets an error with a stable code (or, for bytes that cannot carry an id, a closed
 * connection), and after every batch fresh clients on all three transports still get correct answers.
 * BERTH_FUZZ_SEED=<n> replays a run; every failure names the seed and the batch.
 */

const SEED = process.env.BERTH_FUZZ_SEED ? Number(process.env.BERTH_FUZZ_SEED) : randomInt(2 ** 31);
const MESSAGES_PER_BATCH = 30;
/** Past every max length in the contract (terminal.input's is 1 MiB). */
const HUGE = 1024 * 1024 + 1;
/** The socket's and the WebSocket's limit on one message. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const ANSWER_TIMEOUT_MS = 10_000;
const NOBODY = 65534;

type Transport = 'socket' | 'web' | 'ipc';
const TRANSPORTS: readonly Transport[] = ['socket', 'web', 'ipc'];
/** Stands for "names that are not methods" in the list of batches. */
const UNKNOWN = '(unknown methods)';

/**
 * Methods a request the schema accepts may reach: with no containers in this engine they only read or
 * fail with "not found". Every other method (new ones included) gets only requests its schema refuses,
 * so the fuzz never pulls, loads, creates or removes anything.
 */
const HARMLESS_WHEN_VALID = new Set<string>([
  'system.status', 'system.info', 'images.list', 'volumes.list', 'containers.list', 'containers.inspect',
  'containers.start', 'containers.stop', 'containers.restart', 'containers.kill', 'containers.remove',
  'containers.logs', 'containers.exec', 'terminal.open', 'terminal.attach', 'terminal.input',
  'terminal.resize', 'terminal.close', 'terminal.list',
]);

/** One stream per batch (FNV-1a of the seed and the batch's name), so a batch replays the same alone. */
function rngFor(...parts: string[]): Rng {
  let hash = 0x811c9dc5;
  const text = [String(SEED), ...parts].join('|');
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return new Rng(hash >>> 0);
}

/** Runs one step; a failure names the step and the seed that replays it. */
async function step<T>(label: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (err instanceof Error) err.message = `[${label}; replay with BERTH_FUZZ_SEED=${SEED}] ${err.message}`;
    throw err;
  }
}

// ---- what the contract's schemas say about each field ----

type FieldType =
  | { kind: 'string'; max: number | undefined }
  | { kind: 'strings'; max: number | undefined }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'enum'; options: string[] }
  | { kind: 'other' };

interface Field {
  name: string;
  required: boolean;
  type: FieldType;
}

function typeOf(schema: z.ZodType): FieldType {
  if (schema instanceof z.ZodString) return { kind: 'string', max: schema.maxLength ?? undefined };
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodString) return { kind: 'strings', max: schema.element.maxLength ?? undefined };
  if (schema instanceof z.ZodNumber) return { kind: 'number' };
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean' };
  if (schema instanceof z.ZodEnum) return { kind: 'enum', options: schema.options.map(String) };
  return { kind: 'other' };
}

/** The top-level fields of a method's request, read from its schema so new methods need no list here. */
function fieldsOf(schema: z.ZodType): Field[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    let inner = field;
    let required = true;
    for (let depth = 0; depth < 8 && (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault); depth++) {
      required = false;
      inner = inner.unwrap() as z.ZodType;
    }
    return { name, required, type: typeOf(inner) };
  });
}

// ---- random requests ----

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u202e', '\ud800', '\udfff', 'é', '💥', '{', '[', ':', ','];
const KEYS = ['id', 'method', 'params', 'cancel', 'subscribe', 'name', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'then', '', 'k'.repeat(300), '\u0000', '💥'];
const UNKNOWN_NAMES = [
  '', ' ', 'x', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'system', 'system.', 'system.info ',
  ' system.info', 'SYSTEM.INFO', 'system.info\u0000', 'system/info', 'containers.list.all', '../system.info', '💥',
  'm'.repeat(128), 'm'.repeat(129), 'm'.repeat(HUGE),
];

function randomString(rng: Rng): string {
  const length = rng.pick([0, 1, 2, 5, 16, 64, 300]);
  let text = '';
  for (let i = 0; i < length; i++) text += rng.pick(ALPHABET);
  return text;
}

function randomJson(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 0 ? 8 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, 1, -1, 0.5, -0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21]);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return rng.pick(['{}', '[]', 'null', 'true', '0', 'KILL', 'hello', '../../etc/passwd', '-1']);
    case 6:
      return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) defineKey(object, rng.pick(KEYS), randomJson(rng, depth - 1));
      return object;
    }
  }
}

/** A value the field would accept on its own (so other mutations stand out). */
function plausible(rng: Rng, type: FieldType): unknown {
  switch (type.kind) {
    case 'string':
      return rng.pick(['web', 'x', 'abc123', 'deadbeef', 'KILL']);
    case 'strings':
      return [rng.pick(['sh', 'a=b', 'x'])];
    case 'number':
      return rng.pick([0, 1, 24, 80]);
    case 'boolean':
      return rng.chance(0.5);
    case 'enum':
      return rng.pick(type.options);
    case 'other':
      return {};
  }
}

/** A string (or list of strings) past the field's max length, 1 MiB at least. */
function oversized(rng: Rng, type: FieldType): unknown {
  const huge = (max: number | undefined) => 'x'.repeat(Math.max((max ?? 0) + 1, HUGE));
  if (type.kind === 'string') return huge(type.max);
  if (type.kind === 'strings') return rng.chance(0.5) ? [huge(type.max)] : Array.from({ length: 2000 }, () => 'a');
  return huge(undefined);
}

/** Sets a key as data: "__proto__" arrives as a key, as JSON.parse would make it, not as the prototype. */
function defineKey(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function fuzzParams(rng: Rng, fields: Field[]): unknown {
  const base = (): Record<string, unknown> => Object.fromEntries(fields.map((f) => [f.name, plausible(rng, f.type)]));
  const some = <T>(items: T[]): T | undefined => (items.length > 0 ? rng.pick(items) : undefined);
  switch (rng.int(9)) {
    case 0:
      return randomJson(rng, 3);
    case 1:
      return rng.pick([null, 0, -1, 'params', [], [base()], true, 1e308, '{}']);
    case 2: {
      const params = base();
      const field = some(fields);
      if (field) params[field.name] = randomJson(rng, 2);
      return params;
    }
    case 3: {
      const params = base();
      const field = some(fields.filter((f) => f.required));
      if (field) delete params[field.name];
      return params;
    }
    case 4: {
      const params = base();
      for (let i = 1 + rng.int(3); i > 0; i--) defineKey(params, rng.pick(KEYS), randomJson(rng, 2));
      return params;
    }
    case 5:
    case 6: {
      const params = base();
      const field = some(fields.filter((f) => f.type.kind === 'string' || f.type.kind === 'strings')) ?? some(fields);
      params[field?.name ?? 'x'] = oversized(rng, field?.type ?? { kind: 'other' });
      return params;
    }
    case 7:
      return {};
    default:
      return Object.fromEntries(fields.map((f) => [f.name, randomJson(rng, 2)]));
  }
}

/** Wraps params in a message; most are well formed, the rest break the envelope itself. */
function envelope(rng: Rng, id: number, method: string, params: unknown): unknown {
  switch (rng.int(18)) {
    case 0:
      return { id, method };
    case 1:
      return { id: rng.pick([-1, 1.5, String(id), null, 2 ** 53, 1e308, [id], {}, true]), method, params };
    case 2:
      return { method, params };
    case 3:
      // An id but no method.
      return rng.chance(0.5) ? { id } : { id, params };
    case 4:
      return { id, method: rng.pick([42, null, [method], { name: method }, true]), params };
    case 5:
      return rng.pick([[{ id, method, params }], method, 42, null, true, [], 'x'.repeat(HUGE)]);
    case 6:
      return { id, cancel: rng.pick([false, 'true', 1, null]) };
    case 7:
      return { subscribe: rng.pick([true, false, 'yes', 1]) };
    case 8:
      return { id, method, params, cancel: true, subscribe: true, extra: randomJson(rng, 2) };
    case 9:
      return { notify: method, params };
    case 10:
      return { notify: rng.pick([42, null, [method], true]), params };
    default:
      return { id, method, params };
  }
}

// ---- what each message must earn ----

type Expected =
  | { kind: 'malformed' }
  | { kind: 'silent' }
  /** codes: the stable codes an error may carry; 'any': a schema-valid call, any answer is fine. */
  | { kind: 'answer'; id: number; codes: ErrorCode[] | 'any'; method: string };

/** What the session must answer to `message` as it arrives (after JSON or structured cloning). */
function expectedFor(message: unknown): Expected {
  const parsed = ClientMessage.safeParse(message);
  if (!parsed.success) return { kind: 'malformed' };
  const m = parsed.data;
  if ('subscribe' in m || 'cancel' in m) return { kind: 'silent' };
  // A notification has no id to answer: a bad one earns a connection error, a good one nothing.
  if ('notify' in m) return isNotificationName(m.notify) && contract[m.notify].request.safeParse(m.params ?? {}).success ? { kind: 'silent' } : { kind: 'malformed' };
  if (!isMethodName(m.method)) return { kind: 'answer', id: m.id, codes: ['UNKNOWN_METHOD'], method: m.method };
  const valid = contract[m.method].request.safeParse(m.params ?? {}).success;
  return { kind: 'answer', id: m.id, codes: valid ? 'any' : ['INVALID_ARGUMENT'], method: m.method };
}

const brief = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    // A cycle (only the IPC values have them).
    text = Object.prototype.toString.call(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
};

/** The messages of one batch and what they must earn, checked against what came back. */
class Plan {
  private readonly answers = new Map<number, Extract<Expected, { kind: 'answer' }>[]>();
  private malformed = 0;
  readonly sent: string[] = [];

  add(message: unknown, expected: Expected): void {
    this.sent.push(brief(message));
    if (expected.kind === 'malformed') this.malformed++;
    if (expected.kind !== 'answer') return;
    this.answers.set(expected.id, [...(this.answers.get(expected.id) ?? []), expected]);
  }

  /** Answers (results and errors) by id, and the id-0 errors about the connection. */
  private tally(received: ServerMessage[]) {
    const finals = new Map<number, ServerMessage[]>();
    let connectionErrors = 0;
    for (const message of received) {
      if ('event' in message || 'item' in message) continue;
      if (message.id === 0) connectionErrors++;
      else finals.set(message.id, [...(finals.get(message.id) ?? []), message]);
    }
    return { finals, connectionErrors };
  }

  complete(received: ServerMessage[]): boolean {
    const { finals, connectionErrors } = this.tally(received);
    if (connectionErrors < this.malformed) return false;
    for (const [id, expected] of this.answers) if ((finals.get(id)?.length ?? 0) < expected.length) return false;
    return true;
  }

  /** Everything wrong with what came back, as lines. */
  problems(received: ServerMessage[]): string[] {
    const problems: string[] = [];
    const { finals, connectionErrors } = this.tally(received);
    if (connectionErrors !== this.malformed) problems.push(`${connectionErrors} connection errors (id 0) for ${this.malformed} malformed messages`);
    for (const message of received) {
      if ('event' in message) continue;
      if ('error' in message && !ErrorInfo.safeParse(message.error).success) problems.push(`an error without a stable code: ${brief(message)}`);
      if (message.id === 0 && !('error' in message && message.error.code === 'INVALID_ARGUMENT')) problems.push(`id 0 that is not INVALID_ARGUMENT: ${brief(message)}`);
      if (message.id !== 0 && !this.answers.has(message.id)) problems.push(`an answer to an id never sent: ${brief(message)}`);
    }
    for (const [id, expected] of this.answers) {
      const got = finals.get(id) ?? [];
      if (got.length !== expected.length) problems.push(`id ${id}: ${got.length} answers for ${expected.length} calls`);
      // A second call on an id still open is refused as INVALID_ARGUMENT whatever it asked.
      const duplicate = expected.length > 1;
      for (const answer of got) {
        const allowed = (e: (typeof expected)[number]) =>
          e.codes === 'any'
            ? !('error' in answer) || answer.error.code !== 'INTERNAL'
            : 'error' in answer && (e.codes.includes(answer.error.code) || (duplicate && answer.error.code === 'INVALID_ARGUMENT'));
        if (!expected.some(allowed)) problems.push(`id ${id} (${expected.map((e) => `${e.method.slice(0, 40)}: ${e.codes}`).join(', ')}) answered ${brief(answer)}`);
      }
    }
    return problems;
  }
}

// ---- clients of each transport ----

/** One client connection, collecting every message the engine sends it. */
abstract class Channel {
  readonly received: ServerMessage[] = [];
  closed = false;
  private wakers: (() => void)[] = [];

  /** Sends one message; returns it as the engine will see it (after JSON or structured cloning). */
  abstract send(message: unknown): unknown;
  abstract close(): Promise<void>;

  protected receive(message: ServerMessage): void {
    this.received.push(message);
    this.wake();
  }

  protected ended(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.wakers.splice(0)) resolve();
  }

  /** Waits until `done()` holds; bounded, so a lost answer fails the test instead of hanging it. */
  async until(what: string, done: () => boolean, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (got ${this.received.length} messages${this.closed ? ', connection closed' : ''}: ${brief(this.received.slice(-3))})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  answerTo(id: number): ServerMessage | undefined {
    return this.received.find((m) => 'id' in m && m.id === id && !('item' in m));
  }
}

class SocketChannel extends Channel {
  private constructor(readonly socket: Socket) {
    super();
    const framer = new LineFramer(64 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const line of framer.push(chunk)) this.receive(JSON.parse(line) as ServerMessage);
    });
    socket.on('close', () => this.ended());
    socket.on('error', () => {});
  }

  static open(path: string, options: { allowHalfOpen?: boolean } = {}): Promise<SocketChannel> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path, allowHalfOpen: options.allowHalfOpen ?? false });
      socket.once('connect', () => resolve(new SocketChannel(socket)));
      socket.once('error', reject);
    });
  }

  send(message: unknown): unknown {
    const text = JSON.stringify(message);
    this.socket.write(`${text}\n`);
    return JSON.parse(text);
  }

  /** Several messages in one write, so the engine gets many lines per chunk. */
  sendAll(messages: unknown[]): unknown[] {
    const texts = messages.map((m) => JSON.stringify(m));
    this.socket.write(texts.map((t) => `${t}\n`).join(''));
    return texts.map((t) => JSON.parse(t) as unknown);
  }

  write(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end();
    await this.until('close', () => this.closed).catch(() => this.socket.destroy());
  }
}

class WebChannel extends Channel {
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data: WebSocket.RawData) => this.receive(JSON.parse(data.toString()) as ServerMessage));
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.ended();
    });
    ws.on('error', () => {});
  }

  static open(url: string, origin: string): Promise<WebChannel> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin });
      ws.once('open', () => resolve(new WebChannel(ws)));
      ws.once('unexpected-response', (_request, response) => reject(new Error(`WebSocket refused with ${response.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): unknown {
    const text = JSON.stringify(message);
    this.ws.send(text);
    return JSON.parse(text);
  }

  /** A frame as given: raw bytes as text (not checked as UTF-8 here), or binary. */
  frame(data: Buffer, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await this.until('close', () => this.closed).catch(() => this.ws.terminate());
  }
}

class IpcChannel extends Channel {
  readonly window = new FakeWindow((message) => this.receive(message));

  constructor(private readonly ipcMain: FakeIpcMain) {
    super();
  }

  send(message: unknown, url: string | null = APP_URL): unknown {
    const cloned = structuredClone(message);
    this.ipcMain.deliver(this.window, cloned, url);
    return cloned;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.window.destroyed = true;
    this.window.emit('destroyed');
    this.ended();
  }
}

// ---- the suite ----

function connectAs(uid: number | undefined, path: string): Promise<string> {
  // Prints the connect outcome: CONNECTED, or the error code.
  const script = "const s = require('node:net').connect(process.argv[1]); s.on('connect', () => { console.log('CONNECTED'); s.destroy(); }); s.on('error', (e) => console.log(e.code));";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, path], { cwd: '/', env: {}, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the client as uid ${uid} hung: ${output}`));
    }, 10_000);
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output.trim());
    });
  });
}

describe('the API under malformed requests, over every transport', () => {
  let env: TestEngineEnv;
  let engine: Engine;
  let socketServer: SocketServer;
  let webServer: WebServer;
  let stopIpc: () => void;
  const ipcMain = new FakeIpcMain();
  let apiSocket: string;
  let webUrl: string;
  let baseline: { containers: unknown; volumes: unknown; images: unknown; terminals: unknown };
  const channels = new Set<Channel>();

  async function state() {
    const call = engineCaller(engine);
    return {
      containers: await call('containers.list', { all: true }),
      volumes: await call('volumes.list', {}),
      images: await call('images.list', {}),
      terminals: await call('terminal.list', {}),
    };
  }

  async function openSocket(options: { allowHalfOpen?: boolean } = {}): Promise<SocketChannel> {
    const channel = await SocketChannel.open(apiSocket, options);
    channels.add(channel);
    return channel;
  }

  async function open(transport: Transport): Promise<Channel> {
    const channel =
      transport === 'socket' ? await SocketChannel.open(apiSocket) : transport === 'web' ? await WebChannel.open(webUrl, webServer.origin) : new IpcChannel(ipcMain);
    channels.add(channel);
    return channel;
  }

  /** A fresh client of `transport` gets a correct system.info and the unchanged container list. */
  async function expectServing(transport: Transport): Promise<void> {
    const channel = await open(transport);
    try {
      channel.send({ id: 1, method: 'system.info', params: {} });
      channel.send({ id: 2, method: 'containers.list', params: { all: true } });
      await channel.until(`${transport}: answers to system.info and containers.list`, () => !!channel.answerTo(1) && !!channel.answerTo(2));
      const info = channel.answerTo(1);
      const list = channel.answerTo(2);
      if (!info || !('result' in info) || !list || !('result' in list)) throw new Error(`${transport} answered ${brief([info, list])}`);
      expect(SystemInfo.parse(info.result).home).toBe(env.config.home);
      expect(z.array(Container).parse(list.result)).toEqual(baseline.containers);
    } finally {
      await channel.close();
      channels.delete(channel);
    }
  }

  async function expectAllServing(): Promise<void> {
    for (const transport of TRANSPORTS) await expectServing(transport);
  }

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    engine = await env.openEngine();
    baseline = await state();
    apiSocket = socketPath(env.config.home);
    socketServer = await serveSocket(engine, apiSocket);
    const rendererDir = join(env.config.home, 'renderer');
    await mkdir(rendererDir, { recursive: true });
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Berth</title>');
    webServer = await serveWeb(engine, { rendererDir });
    const token = new URL(webServer.url).searchParams.get('token') ?? '';
    webUrl = `${webServer.origin.replace('http:', 'ws:')}/api?token=${token}`;
    stopIpc = serveIpc(engine, ipcMain, (url) => url === APP_URL);
  });

  afterAll(async () => {
    for (const channel of channels) await channel.close();
    stopIpc?.();
    await webServer?.close();
    await socketServer?.close();
    // A request that slipped through must not outlive the test: nothing here should exist, but remove it if it does.
    if (engine) {
      const call = engineCaller(engine);
      for (const volume of await call('volumes.list', {})) {
        if (!(baseline.volumes as { name: string }[]).some((v) => v.name === volume.name)) await call('volumes.remove', { name: volume.name }).catch(() => {});
      }
      await closeTestEngine(engine);
    }
    await env?.cleanup();
  });

  for (const transport of TRANSPORTS) {
    it(`${transport}: every method (and unknown ones) answers malformed requests with stable errors and keeps serving`, async () => {
      const methods = [...Object.keys(contract), UNKNOWN];
      for (const method of methods) {
        await step(`${transport} ${method}`, async () => {
          const rng = rngFor(transport, method);
          const fields = isMethodName(method) ? fieldsOf(contract[method].request) : [];
          const channel = await open(transport);
          const plan = new Plan();
          const batch: unknown[] = [];
          let nextId = 1;
          let invalid = 0;
          for (let i = 0; i < MESSAGES_PER_BATCH; i++) {
            // Now and then reuse the last id: a duplicate id is refused, never mixed up.
            const id = nextId > 1 && rng.chance(0.1) ? nextId - 1 : nextId++;
            // One message in four may be a request the schema accepts (if that does no real work); the rest
            // are retried, a bounded number of times, until the engine must refuse them.
            const mayBeValid = i % 4 === 0;
            for (let attempt = 0; attempt < 50; attempt++) {
              const name = method === UNKNOWN ? (rng.chance(0.5) ? rng.pick(UNKNOWN_NAMES) : randomString(rng)) : method;
              if (method === UNKNOWN && isMethodName(name)) continue;
              const message = envelope(rng, id, name, fuzzParams(rng, fields));
              const seen = transport === 'ipc' ? structuredClone(message) : (JSON.parse(JSON.stringify(message)) as unknown);
              const expected = expectedFor(seen);
              const valid = expected.kind === 'answer' && expected.codes === 'any';
              if (valid && !(mayBeValid && HARMLESS_WHEN_VALID.has(expected.method))) continue;
              if (!valid) invalid++;
              plan.add(seen, expected);
              batch.push(seen);
              break;
            }
          }
          // The fuzz is about bad requests: most of each batch must be ones the engine refuses.
          expect(invalid).toBeGreaterThanOrEqual((MESSAGES_PER_BATCH * 3) / 4 - 1);
          if (channel instanceof SocketChannel && rng.chance(0.5)) channel.sendAll(batch);
          else for (const message of batch) channel.send(message);
          await channel.until('an answer to every message', () => plan.complete(channel.received));
          // The same connection still works after all that.
          channel.send({ id: 1_000_000, method: 'system.info', params: {} });
          await channel.until('system.info on the fuzzed connection', () => !!channel.answerTo(1_000_000));
          expect(channel.answerTo(1_000_000)).toMatchObject({ result: { home: env.config.home } });
          const sent = (problems: string[]) => (problems.length === 0 ? [] : [...problems, 'sent:', ...plan.sent]);
          expect(sent(plan.problems(channel.received.filter((m) => !('id' in m) || m.id !== 1_000_000)))).toEqual([]);
          await channel.close();
          channels.delete(channel);
          await expectAllServing();
        });
      }
    });
  }

  it('socket: garbage bytes, invalid UTF-8, truncated JSON, deep nesting and split writes get errors', async () => {
    const rng = rngFor('socket raw');
    const channel = await openSocket();
    const lines: Buffer[] = [
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc0, 0xaf]),
      Buffer.from('{"id": 5, "method": "system.in'),
      Buffer.from(''),
      Buffer.from('\r'),
      Buffer.from('{"id":6,"method":"system.info"}\r'),
      Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
      Buffer.from(`{"id":7,"method":"containers.list","params":{"all":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`),
      Buffer.from(`{"id":8,"method":"containers.list","params":{"all":true,"x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}`),
      // A UTF-16 surrogate encoded as UTF-8 (invalid): the method name decodes to replacement characters.
      Buffer.concat([Buffer.from('{"id":9,"method":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      Buffer.from('{"id":10,"method":"containers.inspect","params":{"id":"\\ud800"}}'),
      Buffer.from('{"id":11,"id":12,"method":"system.status"}'),
      Buffer.from('{"id":13,"method":"system.status","params":{"__proto__":{"polluted":true}}}'),
      Buffer.from('NaN'),
      Buffer.from('{"id":14e0,"method":"system.status"}'),
      Buffer.from('{"id":1e400,"method":"system.status"}'),
    ];
    for (let i = 0; i < 20; i++) {
      const garbage = Buffer.alloc(1 + rng.int(2000));
      for (let j = 0; j < garbage.length; j++) garbage[j] = rng.int(256);
      lines.push(Buffer.from(garbage.filter((b) => b !== 10)));
    }
    const plan = new Plan();
    for (const line of lines) {
      let value: unknown;
      let parsed = true;
      try {
        value = JSON.parse(line.toString('utf8'));
      } catch {
        parsed = false;
      }
      plan.add(line.toString('latin1'), parsed ? expectedFor(value) : { kind: 'malformed' });
    }
    await channel.write(Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    // A message trickled in one byte at a time, split inside multi-byte characters too.
    const trickled = Buffer.from('{"id":15,"method":"containers.inspect","params":{"id":"é💥"}}\n');
    plan.add(trickled.toString(), { kind: 'answer', id: 15, codes: ['CONTAINER_NOT_FOUND'], method: 'containers.inspect' });
    for (let i = 0; i < trickled.length; i++) await channel.write(trickled.subarray(i, i + 1));
    await channel.until('an answer to every line', () => plan.complete(channel.received));
    expect(plan.problems(channel.received)).toEqual([]);
    expect(channel.answerTo(15)).toMatchObject({ error: { message: expect.stringContaining('é💥') } });
    expect(channel.answerTo(6)).toMatchObject({ result: { home: env.config.home } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await channel.close();
    await expectAllServing();
  });

  it('socket: a message over 4 MiB is refused, the connection closed, and nothing after it runs', async () => {
    const after = (id: number, name: string) => JSON.stringify({ id, method: 'volumes.create', params: { name } });
    // A line one byte over the limit, in one write: refused, whatever chunks it arrives in.
    const justOver = await openSocket();
    await justOver.write(Buffer.concat([Buffer.alloc(MAX_MESSAGE_BYTES + 1, 'x'), Buffer.from(`\n${after(2, 'fuzz-after-refusal-1')}\n`)]));
    await justOver.until('the refusal and the close', () => justOver.closed);
    expect(justOver.received).toEqual([{ id: 0, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('longer than') } }]);

    // A client that keeps its side open and sends on after the refusal: what it sends is not run.
    const halfOpen = await openSocket({ allowHalfOpen: true });
    await halfOpen.write(Buffer.alloc(MAX_MESSAGE_BYTES + 64 * 1024, 'x'));
    await halfOpen.until('the refusal', () => halfOpen.received.length > 0);
    expect(halfOpen.received).toEqual([{ id: 0, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('longer than') } }]);
    if (halfOpen.socket.writable) await halfOpen.write(`\n${after(3, 'fuzz-after-refusal-2')}\n`);
    await halfOpen.until('the close', () => halfOpen.closed);
    expect(halfOpen.received).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await engineCaller(engine)('volumes.list', {})).map((v) => v.name)).toEqual([]);
    await expectAllServing();
  });

  it('socket: a client that sends on but never reads is dropped, not buffered without end', async () => {
    const channel = await openSocket();
    // An invalid label value: refused before any handler, with an error naming the (1 MiB) label.
    const key = 'k'.repeat(1024 * 1024);
    const request = (id: number) => ({ id, method: 'containers.run', params: { image: 'x', labels: { [key]: 1 } } });
    expect(contract['containers.run'].request.safeParse(request(1).params).success).toBe(false);
    channel.send(request(1));
    await channel.until('the first answer', () => !!channel.answerTo(1));
    expect(channel.answerTo(1)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(key) } });
    // Now it stops reading: 80 more such answers are over the 64 MiB a client may fall behind.
    channel.socket.pause();
    for (let id = 2; id < 82 && !channel.closed && channel.socket.writable; id++) channel.send(request(id));
    await channel.until('the close', () => channel.closed);
    await expectAllServing();
  });

  it('web: binary frames get errors; invalid UTF-8 and frames over 4 MiB close the connection', async () => {
    const rng = rngFor('web raw');
    const channel = await open('web');
    if (!(channel instanceof WebChannel)) throw new Error('not a WebSocket');
    const plan = new Plan();
    for (let i = 0; i < 10; i++) {
      const garbage = Buffer.alloc(1 + rng.int(1000));
      for (let j = 0; j < garbage.length; j++) garbage[j] = rng.int(256);
      channel.frame(garbage, true);
      plan.add(`binary ${garbage.length} bytes`, { kind: 'malformed' });
    }
    // A well-formed call in a binary frame is still refused: the protocol is text frames.
    channel.frame(Buffer.from(JSON.stringify({ id: 3, method: 'system.info', params: {} })), true);
    plan.add('binary system.info', { kind: 'malformed' });
    // One call split over continuation frames is one message.
    const call = JSON.stringify({ id: 4, method: 'system.status', params: {} });
    channel.ws.send(call.slice(0, 10), { fin: false });
    channel.ws.send(call.slice(10), { fin: true });
    plan.add(call, { kind: 'answer', id: 4, codes: 'any', method: 'system.status' });
    await channel.until('an answer to every frame', () => plan.complete(channel.received));
    expect(plan.problems(channel.received)).toEqual([]);
    expect(channel.answerTo(4)).toMatchObject({ result: { state: 'ready' } });
    await channel.close();

    const badText = await open('web');
    if (!(badText instanceof WebChannel)) throw new Error('not a WebSocket');
    badText.frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false);
    await badText.until('the close', () => badText.closed);
    expect(badText.closeCode).toBe(1007);

    const tooBig = await open('web');
    if (!(tooBig instanceof WebChannel)) throw new Error('not a WebSocket');
    tooBig.send({ id: 5, method: 'system.info', params: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    await tooBig.until('the close', () => tooBig.closed);
    expect(tooBig.closeCode).toBe(1009);
    expect(tooBig.answerTo(5)).toBeUndefined();

    // Bytes that are not HTTP at all, on the same port.
    const port = Number(new URL(webServer.origin).port);
    const raw = connect({ host: '127.0.0.1', port });
    let reply = '';
    raw.on('data', (b: Buffer) => (reply += b.toString('latin1')));
    raw.on('error', () => {});
    raw.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        raw.destroy();
        resolve();
      }, ANSWER_TIMEOUT_MS);
      raw.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    await expectAllServing();
  });

  it('ipc: values JSON cannot express get errors; other frames get nothing; a closed window gets nothing more', async () => {
    const channel = await open('ipc');
    if (!(channel instanceof IpcChannel)) throw new Error('not an IPC channel');
    const cyclic: Record<string, unknown> = { id: 30, method: 'containers.list' };
    cyclic.params = cyclic;
    const values: unknown[] = [
      undefined,
      10n,
      { id: 11n, method: 'system.info' },
      { id: 12, method: 'containers.list', params: { all: 1n } },
      new Map([['id', 13]]),
      new Set([14]),
      new Date(0),
      /system\.info/,
      new Uint8Array([1, 2, 3]),
      { id: NaN, method: 'system.info' },
      { id: Infinity, method: 'system.info' },
      { id: 15, method: 'containers.inspect', params: { id: Object('web') as object } },
      { id: 16, method: 'containers.inspect', params: new Map([['id', 'web']]) },
      { id: 17, method: 'containers.stop', params: { id: 'web', timeout: -0 } },
      { id: 18, method: 'terminal.resize', params: { sessionId: 'x', cols: NaN, rows: 1 } },
      { id: 19, method: 'containers.list', params: [true] },
      [, , { id: 20 }],
      new Error('boom'),
      cyclic,
    ];
    const plan = new Plan();
    for (const value of values) plan.add(value, expectedFor(channel.send(value)));
    await channel.until('an answer to every value', () => plan.complete(channel.received));
    expect(plan.problems(channel.received)).toEqual([]);
    expect(channel.answerTo(30)).toMatchObject({ result: baseline.containers });

    // Frames that are not the app's page are not answered at all.
    const before = channel.received.length;
    channel.send({ id: 40, method: 'system.info', params: {} }, 'https://evil.example/');
    channel.send({ id: 41, method: 'system.info', params: {} }, null);
    channel.send({ id: 42, method: 'system.info', params: {} });
    await channel.until('the app page’s answer', () => !!channel.answerTo(42));
    expect(channel.received.slice(before).map((m) => ('id' in m ? m.id : undefined))).toEqual([42]);

    // A window that goes away mid-call: the answer is dropped, not sent to a destroyed window (which throws).
    channel.send({ id: 43, method: 'images.list', params: {} });
    await channel.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(channel.answerTo(43)).toBeUndefined();
    await expectAllServing();
  });

  it('a second call on an id still open is refused on every transport, and the first still ends on cancel', async () => {
    for (const transport of TRANSPORTS) {
      await step(transport, async () => {
        const channel = await open(transport);
        channel.send({ id: 9, method: 'containers.stats', params: { stream: true } });
        channel.send({ id: 9, method: 'system.info', params: {} });
        await channel.until('the refusal', () => !!channel.answerTo(9));
        expect(channel.answerTo(9)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('already in use') } });
        channel.send({ id: 9, cancel: true });
        await channel.until('the stream’s end', () => channel.received.filter((m) => 'id' in m && m.id === 9 && !('item' in m)).length === 2);
        expect(channel.received.filter((m) => 'id' in m && m.id === 9 && 'result' in m)).toEqual([{ id: 9, result: [] }]);
        await channel.close();
        channels.delete(channel);
      });
    }
  });

  it('the socket is 0600 in a 0700 directory, and another user cannot connect', async () => {
    expect((await stat(env.config.home)).mode & 0o777).toBe(0o700);
    const info = await stat(apiSocket);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect(await connectAs(NOBODY, apiSocket)).toBe('EACCES');
    // The same child as this user does connect: the refusal above is about the user, not the client.
    expect(await connectAs(undefined, apiSocket)).toBe('CONNECTED');

    // A home serveSocket makes itself is 0700; and the socket's own mode refuses others even when the directory lets them in.
    const path = join(env.config.home, 'fresh-home', 'engine.sock');
    const server = await serveSocket(engine, path);
    try {
      expect((await stat(join(env.config.home, 'fresh-home'))).mode & 0o777).toBe(0o700);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await chmod(env.config.home, 0o711);
      await chmod(join(env.config.home, 'fresh-home'), 0o711);
      expect(await connectAs(NOBODY, path)).toBe('EACCES');
      expect(await connectAs(undefined, path)).toBe('CONNECTED');
    } finally {
      await chmod(env.config.home, 0o700);
      await server.close();
    }
  });

  it('leaves the engine as it found it: no container, volume, image or terminal more, and no session still listening', async () => {
    for (const channel of channels) await channel.close();
    channels.clear();
    await expectAllServing();
    expect(await state()).toEqual(baseline);
    // The CLI's own client too.
    const cli = await SocketClient.connect(apiSocket);
    try {
      expect(await cli.call('containers.list', { all: true })).toEqual(baseline.containers);
    } finally {
      cli.close();
    }
    // Every session the fuzz opened (and subscribed) has let go of the engine's events.
    expect(engine.listenerCount('event')).toBe(0);
  });
});
