import type { Host, HostProcess } from '../host/host.js';

export interface LogLimits {
  /** The live file is rotated once it reaches this size (the supervisor's writer enforces it). */
  maxBytes: number;
  /** Rotated files kept beside the live one (container.log.1 is the newest). */
  keep: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, keep: 2 };

/** Rotated files oldest first, then the live one. */
function logFiles(path: string, limits: LogLimits): string[] {
  return [...Array.from({ length: limits.keep }, (_, i) => `${path}.${limits.keep - i}`), path];
}

/** The last `tail` lines of the log (all when tail is undefined), oldest rotated file first. */
export async function readLog(host: Host, path: string, limits: LogLimits, tail?: number): Promise<Buffer> {
  const script = tail === undefined ? 'cat "$@" 2>/dev/null; true' : `cat "$@" 2>/dev/null | tail -n ${tail}`;
  const result = await host.exec(['sh', '-c', script, 'read-log', ...logFiles(path, limits)]);
  return result.stdout;
}

/** At most this much of a container's last output is kept on its record when it exits. */
const LAST_OUTPUT_LINES = 5;
const LAST_OUTPUT_CHARS = 1000;

/**
 * The last few lines a container wrote, as text for its record: from the end of the live file only
 * (bounded, whatever the log's size), with terminal control characters dropped.
 */
export async function lastOutput(host: Host, path: string): Promise<string> {
  const result = await host.exec(['sh', '-c', `tail -c 8192 "$1" 2>/dev/null | tail -n ${LAST_OUTPUT_LINES}`, 'last-output', path]);
  const text = result.stdout.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd();
  return text.length > LAST_OUTPUT_CHARS ? text.slice(-LAST_OUTPUT_CHARS) : text;
}

/**
 * The log so far (or the last `tail` lines of the live file) and then whatever is written next, in
 * one command, so nothing written between reading and following is lost. `tail -F` follows by name,
 * so the writer's rotation does not end it; `--pid` ends it on its own once the supervisor (and with
 * it the writer) is gone and the last bytes are read, so no timer guesses when output is complete.
 */
export function followLog(host: Host, path: string, limits: LogLimits, supervisorPidFile: string, tail?: number): HostProcess {
  const rotated = tail === undefined ? logFiles(path, limits).slice(0, -1) : [];
  const script = [
    'live=$1; pidf=$2; lines=$3; shift 3',
    'cat "$@" 2>/dev/null',
    'pid=$(cat "$pidf" 2>/dev/null)',
    // No supervisor: nothing more will be written.
    '[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || exec tail -n "$lines" "$live" 2>/dev/null',
    'exec tail --pid="$pid" -s 0.1 -n "$lines" -F "$live" 2>/dev/null',
  ].join('\n');
  const lines = tail === undefined ? '+1' : String(tail);
  return host.spawn(['sh', '-c', script, 'follow-log', path, supervisorPidFile, lines, ...rotated]);
}
