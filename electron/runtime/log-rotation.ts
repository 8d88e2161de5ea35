import type { Host } from '../host/host.js';
import { bundlePaths } from './bundle.js';
import type { LogLimits } from './container-log.js';

/**
 * Keeps the older generations of running containers' logs. conmon rotates a log itself at its size,
 * with or without an engine: it renames a new, empty file over the old one. Each round the engine holds
 * the live file by a second name (`container.log.cur`, a hard link, so it costs no space); once conmon
 * has replaced the live file, that name still holds the old generation, which becomes `.1` (older ones
 * shift up to `.keep`). With no engine running, the generation held last is kept and later ones go, so
 * the disk a log takes stays bounded. One command a round for all containers: a WSL host pays one
 * wsl.exe call.
 */
const ROTATE_SCRIPT = String.raw`
use strict;
my ($keep, @dirs) = @ARGV;
for my $d (@dirs) {
  my $log = "$d/container.log";
  # An earlier Berth's supervisor rotates its own log.
  next if -e "$d/supervisor.pid";
  my @live = stat($log) or next;
  my @held = stat("$log.cur");
  next if @held && $held[0] == $live[0] && $held[1] == $live[1];
  if (@held) {
    for (my $i = $keep; $i > 1; $i--) { rename("$log." . ($i - 1), "$log.$i") if -e "$log." . ($i - 1) }
    rename("$log.cur", "$log.1");
  }
  link($log, "$log.cur");
}
`;

export class LogRotation {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: Host,
    private readonly limits: LogLimits,
    /** Ids of the containers that run now. */
    private readonly running: () => string[],
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // A round that is still going (a slow host) is not overlapped by the next.
      this.round = this.round.then(() => this.rotate()).catch(() => {});
    }, this.limits.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round over every running container's log. */
  async rotate(): Promise<void> {
    const dirs = this.running().map((id) => bundlePaths(this.host.dataRoot, id).dir);
    if (dirs.length === 0) return;
    await this.host.exec(['perl', '-e', ROTATE_SCRIPT, String(this.limits.keep), ...dirs], { timeoutMs: 30_000 });
  }
}
