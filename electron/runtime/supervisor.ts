import type { Host, HostProcess } from '../host/host.js';
import type { BundlePaths } from './bundle.js';
import type { RuntimeCli } from './runtime-cli.js';

/**
 * The supervisor is a shell in its own session that runs the runtime in the foreground and records
 * the container's exit status in a file. It needs no daemon, outlives the engine (so a quit or a
 * crash of the app does not kill containers), and leaves the exit code for whoever looks next.
 */
const SCRIPT = [
  'log=$1; exitf=$2; shift 2',
  '"$@" </dev/null >>"$log" 2>&1',
  'echo $? >"$exitf.tmp" && mv "$exitf.tmp" "$exitf"',
].join('\n');

export function startSupervisor(host: Host, runtime: RuntimeCli, id: string, paths: BundlePaths): HostProcess {
  const argv = runtime.runArgv(id, paths.dir, paths.pidFile, paths.runtimeLog);
  return host.spawn(['sh', '-c', SCRIPT, 'berth-supervisor', paths.log, paths.exitFile, ...argv], { detached: true });
}

/** The exit status the supervisor recorded, or undefined while the container still runs. */
export async function readExitStatus(host: Host, paths: BundlePaths): Promise<number | undefined> {
  const stat = await host.stat(paths.exitFile);
  if (!stat) return undefined;
  const text = (await host.readFile(paths.exitFile)).toString().trim();
  const code = Number(text);
  return Number.isInteger(code) ? code : undefined;
}

/** The last error the runtime logged (runc writes JSON lines with a msg field). */
export async function readRuntimeError(host: Host, paths: BundlePaths): Promise<string> {
  const text = await host.readFile(paths.runtimeLog).then((b) => b.toString(), () => '');
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' || entry.level === 'fatal') return entry.msg ?? line;
    } catch {
      if (line.trim()) return line.trim();
    }
  }
  return '';
}
