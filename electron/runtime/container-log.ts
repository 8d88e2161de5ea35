import type { Host, HostProcess } from '../host/host.js';

export interface LogLimits {
  /** Rotate once the live file passes this size. */
  maxBytes: number;
  /** Rotated files kept beside the live one (container.log.1 is the newest). */
  keep: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, keep: 2 };

/**
 * Rotates by copy-then-truncate: the container holds its log open with O_APPEND, so after the
 * truncate its next write lands at the new start and nothing is lost or torn.
 */
export async function rotateLog(host: Host, path: string, limits: LogLimits): Promise<boolean> {
  const stat = await host.stat(path);
  if (!stat || stat.size <= limits.maxBytes) return false;
  const script = [
    'p=$1; n=$2',
    'i=$n; while [ "$i" -gt 1 ]; do [ -e "$p.$((i-1))" ] && mv -f "$p.$((i-1))" "$p.$i"; i=$((i-1)); done',
    '[ "$n" -gt 0 ] && cp "$p" "$p.1"',
    ': >"$p"',
  ].join('\n');
  await host.exec(['sh', '-c', script, 'rotate-log', path, String(limits.keep)]);
  return true;
}

/** The last `tail` lines of the log (all when tail is undefined), oldest rotated file first. */
export async function readLog(host: Host, path: string, limits: LogLimits, tail?: number): Promise<Buffer> {
  const files = [...Array.from({ length: limits.keep }, (_, i) => `${path}.${limits.keep - i}`), path];
  const script = tail === undefined ? 'cat "$@" 2>/dev/null; true' : `cat "$@" 2>/dev/null | tail -n ${tail}`;
  const result = await host.exec(['sh', '-c', script, 'read-log', ...files]);
  return result.stdout;
}

/** Follows the live log by name, so rotation's truncation does not stop the stream. */
export function followLog(host: Host, path: string): HostProcess {
  return host.spawn(['tail', '-n', '0', '-F', path]);
}
