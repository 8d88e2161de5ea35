import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ExecOptions, ExecResult, FileStat, Host, HostProcess, SpawnOptions } from '../host.js';

/** Linux itself: argv runs directly and paths are this machine's. */
export class LocalHost implements Host {
  readonly kind = 'local' as const;

  constructor(readonly dataRoot: string) {}

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const child = this.start(argv, options.env, false);
    const done = collect(child, options.timeoutMs);
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
    return done;
  }

  spawn(argv: string[], options: SpawnOptions = {}): HostProcess {
    const child = this.start(argv, options.env, options.detached ?? false);
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

  async pipeIn(argv: string[], input: Readable, options: ExecOptions = {}): Promise<ExecResult> {
    const child = this.start(argv, options.env, false);
    const done = collect(child, options.timeoutMs);
    const stdin = child.stdin;
    if (!stdin) throw new Error('no stdin');
    // A command that exits early closes stdin: the exit code, not EPIPE, says what went wrong.
    const fed = pipeline(input, stdin).catch((err: unknown) => err);
    const result = await done;
    const fedError = await fed;
    if (result.code === 0 && fedError instanceof Error) throw fedError;
    return result;
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    try {
      await writeFile(tmp, data, { mode });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(path);
      return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async readlink(path: string): Promise<string | undefined> {
    try {
      return await readlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  private start(argv: string[], env: Record<string, string> | undefined, detached: boolean): ChildProcess {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty argv');
    return spawnChild(file, args, {
      env: env ? { ...process.env, ...env } : process.env,
      stdio: detached ? ['ignore', 'ignore', 'ignore'] : ['pipe', 'pipe', 'pipe'],
      detached,
    });
  }
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };
  return 128 + ((signal && signals[signal]) ?? 0);
}

function collect(child: ChildProcess, timeoutMs: number | undefined): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(e.message) });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: exitCode(code, signal), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}
