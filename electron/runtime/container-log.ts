import type { LogStream } from '../../shared/containers.js';
import type { Host, HostProcess } from '../host/host.js';

export interface LogLimits {
  /** conmon starts a new live file once it reaches this size. */
  maxBytes: number;
  /** Older files kept beside the live one (container.log.1 is the newest). */
  keep: number;
  /** How often the engine keeps hold of the live files (see log-rotation.ts). */
  checkMs: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, keep: 2, checkMs: 5000 };

/** One entry of a container's log: a line, or part of one (`partial`), as the container wrote it. */
export interface LogEntry {
  stream: LogStream;
  /** RFC 3339 with nanoseconds, as conmon stamps it; '' for output of an earlier Berth, which had none. */
  time: string;
  /** The bytes, with the newline when the line is complete. */
  data: Buffer;
  partial: boolean;
}

const NEWLINE = Buffer.from('\n');

/**
 * Parses one line of conmon's k8s-file log: `TIME STREAM F|P TEXT` (P: the line goes on in the next
 * entry). Anything else is output the earlier shell supervisor wrote raw, which was stdout and stderr
 * mixed: it reads as stdout without a time.
 */
export function parseLogEntry(line: Buffer): LogEntry {
  const timeEnd = line.indexOf(32);
  const streamEnd = timeEnd === -1 ? -1 : line.indexOf(32, timeEnd + 1);
  const stream = streamEnd === -1 ? '' : line.toString('latin1', timeEnd + 1, streamEnd);
  const tag = line[streamEnd + 1];
  if ((stream === 'stdout' || stream === 'stderr') && (tag === 70 || tag === 80) && line[streamEnd + 2] === 32) {
    const text = line.subarray(streamEnd + 3);
    const partial = tag === 80;
    return { stream, time: line.toString('latin1', 0, timeEnd), data: partial ? text : Buffer.concat([text, NEWLINE]), partial };
  }
  return { stream: 'stdout', time: '', data: Buffer.concat([line, NEWLINE]), partial: false };
}

/** Turns log bytes as they arrive into entries; a line cut between two chunks waits for its end. */
export class LogEntryReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogEntry[] {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const entries: LogEntry[] = [];
    let start = 0;
    for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
      entries.push(parseLogEntry(bytes.subarray(start, nl)));
      start = nl + 1;
    }
    this.pending = Buffer.from(bytes.subarray(start));
    return entries;
  }
}

/**
 * The older files, oldest first: the rotated ones, then the generation the engine held last when
 * conmon has replaced it since (`.cur` is then another file than the live one).
 */
function olderFiles(path: string, limits: LogLimits): string[] {
  return [...Array.from({ length: limits.keep }, (_, i) => `${path}.${limits.keep - i}`), `${path}.cur`];
}

/** sh: prints the older files ($@) and then the live one ($1); a `.cur` that is the live file is skipped. */
const CAT_LOG = 'live=$1; shift; for f in "$@"; do case $f in *.cur) [ "$f" -ef "$live" ] && continue;; esac; cat "$f" 2>/dev/null; done; cat "$live" 2>/dev/null';

/** The last `tail` entries of the log (all when tail is undefined), oldest file first. */
export async function readLog(host: Host, path: string, limits: LogLimits, tail?: number): Promise<LogEntry[]> {
  const script = tail === undefined ? `{ ${CAT_LOG}; }; true` : `{ ${CAT_LOG}; } | tail -n ${tail}`;
  const result = await host.exec(['sh', '-c', script, 'read-log', path, ...olderFiles(path, limits)]);
  return new LogEntryReader().push(result.stdout.length > 0 && result.stdout.at(-1) !== 10 ? Buffer.concat([result.stdout, NEWLINE]) : result.stdout);
}

/** At most this much of a container's last output is kept on its record when it exits. */
const LAST_OUTPUT_LINES = 5;
const LAST_OUTPUT_CHARS = 1000;
const LAST_OUTPUT_READ = 8192;

/**
 * The last few lines a container wrote, as text for its record: from the end of the log only
 * (bounded, whatever the log's size), with terminal control characters dropped.
 */
export async function lastOutput(host: Host, path: string): Promise<string> {
  const end = await host.readTail(path, LAST_OUTPUT_READ);
  const lines = new LogEntryReader().push(Buffer.concat([end, NEWLINE]));
  // The first line read may be the cut-off end of a longer one.
  const whole = end.length === LAST_OUTPUT_READ ? lines.slice(1) : lines;
  const text = Buffer.concat(whole.map((e) => e.data)).toString('utf8');
  const last = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd().split('\n').slice(-LAST_OUTPUT_LINES).join('\n');
  return last.length > LAST_OUTPUT_CHARS ? last.slice(-LAST_OUTPUT_CHARS) : last;
}

/**
 * Follows the log by its open file, not its name: at the end of the file it looks whether conmon has
 * rotated the log (renamed a new file over it), reads what the old file still holds, and goes on in
 * the new one, so no line is lost across a rotation. Once the monitor is gone it reads what is
 * left, once more, and ends: no timer guesses when output is complete. Perl, since it is on every
 * Debian (perl-base) and in the WSL distro.
 */
const FOLLOW_SCRIPT = String.raw`
use strict;
my ($live, $pidf, $lines, @rotated) = @ARGV;
sub out { defined(syswrite(STDOUT, $_[0])) or exit 0 }
sub drain { my ($fh) = @_; my $buf; while (sysread($fh, $buf, 65536)) { out($buf) } }
my $pid = '';
if (open(my $p, '<', $pidf)) { $pid = <$p> // ''; chomp $pid }
# Held first: a rotation from here on is followed through this file.
open(my $fh, '<', $live) or exit 0;
my @livestat = stat($fh);
for my $f (@rotated) {
  my @st = stat($f);
  # The generation held last is read only when conmon has replaced the live file since.
  next if $f =~ /\.cur$/ && @st && $st[0] == $livestat[0] && $st[1] == $livestat[1];
  if (open(my $r, '<', $f)) { drain($r) }
}
if ($lines ne 'all') {
  local $/; my $all = <$fh> // '';
  my @l = split /(?<=\n)/, $all;
  out(join('', @l[($#l + 1 > $lines ? $#l + 1 - $lines : 0) .. $#l]));
} else {
  drain($fh);
}
# From here on everything is live: said apart from the log's bytes, on stderr.
syswrite(STDERR, "live\n");
my $last = 0;
while (1) {
  drain($fh);
  my @now = stat($live);
  if (@now && $now[1] != (stat($fh))[1]) {
    drain($fh);
    open(my $new, '<', $live) or next;
    $fh = $new;
    next;
  }
  last if $last;
  $last = !($pid =~ /^\d+$/ && kill(0, $pid));
  select(undef, undef, undef, 0.05) unless $last;
}
`;

/**
 * The log so far (or its last `tail` entries) and then what is written next, until the monitor ends.
 * It writes `live` on its stderr once what it sends is what is written from then on.
 */
export function followLog(host: Host, path: string, limits: LogLimits, monitorPidFile: string, tail?: number): HostProcess {
  const rotated = tail === undefined ? olderFiles(path, limits) : [];
  return host.spawn(['perl', '-e', FOLLOW_SCRIPT, path, monitorPidFile, tail === undefined ? 'all' : String(tail), ...rotated]);
}
