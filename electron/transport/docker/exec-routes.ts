import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { describeIssues } from '../dispatch.js';
import { detachKeysOf, MULTIPLEXED_STREAM, pipeTerminal, querySize, RAW_STREAM } from './attach-routes.js';
import { DockerError, noContent, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { frame } from './stream-frames.js';

/** `[rows, cols]`: the client's terminal, sent up front so the process starts at its size (API 1.42+). */
const ConsoleSize = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullish();

/** A console size as the engine takes it; 0 or absent is none. */
function sizeOf(size: z.infer<typeof ConsoleSize>): { cols: number; rows: number } | undefined {
  return size && size[0] > 0 && size[1] > 0 ? { rows: size[0], cols: size[1] } : undefined;
}

const CreateExec = z.object({
  Cmd: z.array(z.string()).min(1),
  Env: z.array(z.string()).nullish(),
  Tty: z.boolean().nullish(),
  AttachStdin: z.boolean().nullish(),
  AttachStdout: z.boolean().nullish(),
  AttachStderr: z.boolean().nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Privileged: z.boolean().nullish(),
  DetachKeys: z.string().nullish(),
  ConsoleSize: ConsoleSize,
});

const StartExec = z.object({ Detach: z.boolean().nullish(), Tty: z.boolean().nullish(), ConsoleSize: ConsoleSize });

/**
 * Docker's exec is two calls (create, then start) and a result asked for afterwards: the instance
 * between them lives here, as part of speaking Docker's protocol. The engine runs the process.
 */
interface ExecInstance {
  id: string;
  containerId: string;
  command: string[];
  env: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  detachKeys: Buffer;
  /** The terminal session of a -t exec, once started; a resize before it is kept for it. */
  sessionId?: string;
  size?: { cols: number; rows: number };
  created: number;
}

/** Instances are kept this long after they end, for clients that ask for the exit code late. */
const ENDED_KEPT_MS = 5 * 60_000;
/** At most this many at once; the oldest ended ones go first. */
const MAX_INSTANCES = 1024;

class ExecInstances {
  private readonly instances = new Map<string, ExecInstance>();

  add(instance: Omit<ExecInstance, 'id' | 'running' | 'started' | 'exitCode' | 'created'>): ExecInstance {
    this.prune();
    if (this.instances.size >= MAX_INSTANCES) throw new DockerError(503, `too many exec instances (limit ${MAX_INSTANCES}): start or wait for those made`);
    const made: ExecInstance = { ...instance, id: randomBytes(32).toString('hex'), running: false, started: false, exitCode: null, created: Date.now() };
    this.instances.set(made.id, made);
    return made;
  }

  get(id: string): ExecInstance {
    const found = this.instances.get(id) ?? [...this.instances.values()].find((e) => id.length >= 12 && e.id.startsWith(id));
    if (!found) throw new DockerError(404, `No such exec instance: ${id}`);
    return found;
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, e] of this.instances) if ((e.exitCode !== null && now - e.created > ENDED_KEPT_MS) || (!e.started && now - e.created > ENDED_KEPT_MS)) this.instances.delete(id);
  }
}

/** All of stdin, for an exec without a terminal: the engine takes it whole, so it runs once the client has sent it all. */
function readAll(input: Readable): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    input.on('data', (chunk: Buffer) => chunks.push(chunk));
    input.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    input.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function runExec(call: DockerCall, exec: ExecInstance, detach: boolean): Promise<void> {
  exec.started = true;
  exec.running = true;
  const finish = (code: number) => {
    exec.running = false;
    exec.exitCode = code;
  };
  if (exec.tty) {
    const size = exec.size ?? { cols: 80, rows: 24 };
    const session = await call.engine('terminal.open', { id: exec.containerId, command: exec.command, ...size });
    exec.sessionId = session.id;
    // Detached, now or by the detach keys later: the process runs on, and its end is still recorded.
    const whenEnded = () => void call.background('terminal.attach', { sessionId: session.id }).then(({ exitCode }) => finish(exitCode ?? -1), () => finish(-1));
    if (detach) return whenEnded();
    const exitCode = await pipeTerminal(call, session.id, call.hijack(RAW_STREAM), exec.stdin, exec.detachKeys);
    if (exitCode === null) whenEnded();
    else finish(exitCode);
    return;
  }
  const request = { id: exec.containerId, command: exec.command, env: exec.env };
  if (detach) {
    void call.background('containers.exec', request).then(({ exitCode }) => finish(exitCode), () => finish(-1));
    return;
  }
  const stream = call.hijack(MULTIPLEXED_STREAM);
  const stdin = exec.stdin ? await readAll(stream.input) : undefined;
  try {
    const { exitCode } = await call.engine('containers.exec', { ...request, ...(stdin === undefined ? {} : { stdin }) }, (item) => {
      if (item.base64 !== '' && exec[item.stream]) stream.write(frame(item.stream, Buffer.from(item.base64, 'base64')));
    });
    finish(exitCode);
  } finally {
    stream.end();
  }
}

/** `/containers/{id}/exec`, `/exec/{id}/start|resize|json`. */
export function execRoutes(): DockerRoute[] {
  const instances = new ExecInstances();
  return [
    {
      method: 'POST',
      path: '/containers/:id/exec',
      handler: async (call) => {
        const parsed = CreateExec.safeParse(await call.body());
        if (!parsed.success) throw new DockerError(400, describeIssues('exec create', parsed.error));
        const body = parsed.data;
        if (body.User || body.WorkingDir || body.Privileged) throw new DockerError(400, 'Berth runs an exec as the container runs its process: --user, --workdir and --privileged are not supported yet');
        const container = await call.engine('containers.inspect', { id: call.params.id! });
        if (container.state.status !== 'running') throw new DockerError(409, `Container ${container.id} is not running`);
        const exec = instances.add({
          containerId: container.id,
          command: body.Cmd,
          env: body.Env ?? [],
          tty: body.Tty ?? false,
          stdin: body.AttachStdin ?? false,
          stdout: body.AttachStdout ?? true,
          stderr: body.AttachStderr ?? true,
          size: sizeOf(body.ConsoleSize),
          detachKeys: detachKeysOf(body.DetachKeys),
        });
        return ok({ Id: exec.id }, 201);
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/start',
      handler: async (call) => {
        const exec = instances.get(call.params.id!);
        const parsed = StartExec.safeParse((await call.body()) ?? {});
        if (!parsed.success) throw new DockerError(400, describeIssues('exec start', parsed.error));
        if (exec.started) throw new DockerError(409, `exec ${exec.id} has already been started`);
        const detach = parsed.data.Detach ?? false;
        exec.size = sizeOf(parsed.data.ConsoleSize) ?? exec.size;
        await runExec(call, exec, detach);
        return detach ? ok({}) : undefined;
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/resize',
      handler: async (call) => {
        const exec = instances.get(call.params.id!);
        const size = querySize(call.query);
        if (!size) return noContent;
        exec.size = size;
        if (exec.sessionId && exec.running) await call.engine('terminal.resize', { sessionId: exec.sessionId, ...size });
        return noContent;
      },
    },
    {
      method: 'GET',
      path: '/exec/:id/json',
      handler: async (call) => {
        const exec = instances.get(call.params.id!);
        const [entrypoint = '', ...args] = exec.command;
        return ok({
          ID: exec.id,
          Running: exec.running,
          ExitCode: exec.exitCode,
          ProcessConfig: { tty: exec.tty, entrypoint, arguments: args, privileged: false, user: '' },
          OpenStdin: exec.stdin,
          OpenStdout: exec.stdout,
          OpenStderr: exec.stderr,
          ContainerID: exec.containerId,
          Pid: 0,
          CanRemove: false,
          DetachKeys: '',
        });
      },
    },
  ];
}
