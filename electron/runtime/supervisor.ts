import type { Host, HostProcess } from '../host/host.js';
import type { BundlePaths } from './bundle.js';
import type { LogLimits } from './container-log.js';
import type { RuntimeCli } from './runtime-cli.js';

/**
 * The supervisor is a shell in its own session that runs the runtime in the foreground and records
 * the container's exit status in a file. It needs no daemon, outlives the engine (so a quit or a
 * crash of the app does not kill containers), and leaves the exit code for whoever looks next.
 *
 * The container's output goes through a rotating writer: `head -c` copies at most what the live
 * file may still take, then the files shift by rename and a new live file starts. Rotation happens
 * while nothing writes, so no line is lost or torn, and the cap holds with no engine running.
 * The exit status is published only after the writer has flushed the last output.
 */
const SCRIPT = [
  'log=$1; exitf=$2; max=$3; keep=$4; pidf=$5; shift 5',
  'echo $$ >"$pidf"',
  'size_of() { stat -c %s "$log" 2>/dev/null || echo 0; }',
  'rotate() {',
  '  i=$keep',
  '  while [ "$i" -gt 1 ]; do [ -e "$log.$((i-1))" ] && mv -f "$log.$((i-1))" "$log.$i"; i=$((i-1)); done',
  '  if [ "$keep" -gt 0 ]; then mv -f "$log" "$log.1"; else rm -f "$log"; fi',
  '}',
  '{ "$@" </dev/null 2>&1; echo $? >"$exitf.tmp"; } | while :; do',
  '  size=$(size_of)',
  '  if [ "$size" -ge "$max" ]; then rotate; size=0; fi',
  // Unbuffered, so `logs -f` sees each write as it happens rather than when a buffer fills.
  '  stdbuf -o0 head -c $((max - size)) >>"$log"',
  // head copied nothing: the output ended.
  '  [ "$(size_of)" -eq "$size" ] && break',
  'done',
  'mv "$exitf.tmp" "$exitf"',
].join('\n');

export function startSupervisor(host: Host, runtime: RuntimeCli, id: string, paths: BundlePaths, limits: LogLimits): HostProcess {
  const argv = runtime.runArgv(id, paths.dir, paths.pidFile, paths.runtimeLog);
  const args = [paths.log, paths.exitFile, String(limits.maxBytes), String(limits.keep), paths.supervisorPidFile];
  return host.spawn(['sh', '-c', SCRIPT, 'berth-supervisor', ...args, ...argv], { detached: true });
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
