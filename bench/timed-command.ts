import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface CommandResult {
  /** Wall time from just before spawn until the process exited. */
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs argv to completion and times it; a run past its timeout is killed and rejected. */
export function timeCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const started = performance.now();
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let exitedAt = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} took over ${timeoutMs} ms: killed`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // 'exit' is when the command has returned; 'close' (output drained) may come a little later.
    child.on('exit', () => {
      exitedAt = performance.now();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        ms: (exitedAt || performance.now()) - started,
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The result of a command that must have succeeded; otherwise an error naming `what` and the end of what it printed. */
export function succeeded(result: CommandResult, what: string): CommandResult {
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
    throw new Error(`${what} exited ${result.code}: ${said}`);
  }
  return result;
}

/** Like timeCommand, but a non-zero exit is an error naming the command and what it printed. */
export async function runChecked(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return succeeded(await timeCommand(argv, options), argv.join(' '));
}
