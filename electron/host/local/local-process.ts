import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { ExecOptions, ExecResult, HostProcess, SpawnOptions } from '../host.js';

/**
 * Runs programs of this machine: Linux argv for LocalHost, and wsl.exe itself for the WSL host,
 * which puts its own prefix in front of the Linux argv.
 */
export function runProcess(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const child = start(argv, options.env, false);
  const done = collect(child, options);
  child.stdin?.on('error', () => {});
  child.stdin?.end(options.input ?? '');
  return done;
}

export function spawnProcess(argv: string[], options: SpawnOptions = {}): HostProcess {
  const child = start(argv, options.env, options.detached ?? false);
  if (options.detached) child.unref();
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(exitCode(code, signal)));
  });
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

export async function pipeIntoProcess(argv: string[], input: Readable, options: ExecOptions = {}): Promise<ExecResult> {
  const child = start(argv, options.env, false);
  const done = collect(child, options);
  const stdin = child.stdin;
  if (!stdin) throw new Error('no stdin');
  const fed = feed(input, stdin);
  const result = await done;
  const outcome = await fed;
  if (outcome instanceof Error) {
    if (result.code === 0) throw outcome;
  } else if (outcome === 'cut') {
    // A command that exits early closes stdin: the exit code, not EPIPE, says what went wrong. One that
    // succeeded had what it needed (tar stops at its end blocks, padding may follow): the rest is read
    // and dropped, as Docker does after tar, so a stream hashing the input on its way sees every byte.
    // One that was stopped wants no more of it.
    if (result.code !== 0 || options.signal?.aborted) input.destroy();
    else await drain(input);
  }
  return result;
}

/** Writes `input` into `stdin`: 'all' once it is all written, 'cut' if stdin closed first (input paused), or the input's error. */
function feed(input: Readable, stdin: Writable): Promise<'all' | 'cut' | Error> {
  return new Promise((resolve) => {
    input.once('error', (err) => {
      stdin.destroy();
      resolve(err);
    });
    stdin.on('error', () => {});
    stdin.once('finish', () => resolve('all'));
    stdin.once('close', () => {
      if (stdin.writableFinished) return;
      input.unpipe(stdin);
      input.pause();
      resolve('cut');
    });
    input.pipe(stdin);
  });
}

async function drain(input: Readable): Promise<void> {
  if (input.readableEnded) return;
  input.resume();
  await finished(input);
}

function start(argv: string[], env: Record<string, string> | undefined, detached: boolean): ChildProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty argv');
  return spawnChild(file, args, {
    env: env ? { ...process.env, ...env } : process.env,
    stdio: detached ? ['ignore', 'ignore', 'ignore'] : ['pipe', 'pipe', 'pipe'],
    detached,
    // wsl.exe and friends open no console window of their own on Windows.
    windowsHide: true,
  });
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };
  return 128 + ((signal && signals[signal]) ?? 0);
}

function collect(child: ChildProcess, { timeoutMs, signal }: Pick<ExecOptions, 'timeoutMs' | 'signal'>): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    const stop = () => {
      child.stdin?.destroy();
      child.kill('SIGTERM');
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    const settle = (result: ExecResult) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      resolve(result);
    };
    child.on('error', (e) => settle({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(e.message) }));
    child.on('close', (code, exit) => settle({ code: exitCode(code, exit), stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}
