import type { Host } from '../host/host.js';
import { containerCgroup } from './cgroup-parent.js';

/** The processes in a container's cgroup, as `ps -ef` shows them (Docker's `top`). */
export interface ProcessTable {
  titles: string[];
  processes: string[][];
}

/**
 * Lists the pids of a cgroup (v2, or v1's pids hierarchy) with what /proc says of each: one line
 * `UID PID PPID TTY_NR CPU_TICKS START_TICKS\tCMD`, after a first line `CLK_TCK BOOT_TIME`.
 */
const TOP_SCRIPT = String.raw`
use strict;
use POSIX ();
my $cg = shift @ARGV;
my $v2 = -e '/sys/fs/cgroup/cgroup.controllers';
my $procs = $v2 ? "/sys/fs/cgroup$cg/cgroup.procs" : "/sys/fs/cgroup/pids$cg/cgroup.procs";
open(my $p, '<', $procs) or exit 3;
my @pids = grep { /^\d+$/ } map { chomp; $_ } <$p>;
my ($btime) = do { open(my $s, '<', '/proc/stat'); local $/; <$s> } =~ /^btime (\d+)/m;
my $tck = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
print "$tck $btime\n";
for my $pid (@pids) {
  open(my $st, '<', "/proc/$pid/stat") or next;
  my $stat = <$st>;
  my ($comm, $rest) = $stat =~ /^\d+ \((.*)\) (.*)$/s or next;
  my @f = split(/ /, $rest);
  my ($uid) = do { open(my $s, '<', "/proc/$pid/status"); local $/; <$s> // '' } =~ /^Uid:\s+(\d+)/m;
  my $cmd = do { open(my $c, '<', "/proc/$pid/cmdline"); local $/; <$c> // '' };
  $cmd =~ s/\0+\z//; $cmd =~ s/\0/ /g; $cmd =~ s/[\t\n]/ /g;
  $cmd = "[$comm]" if $cmd eq '';
  print join(' ', $uid // 0, $pid, $f[1], $f[4], $f[11] + $f[12], $f[19]), "\t$cmd\n";
}
`;

const pad = (n: number) => String(n).padStart(2, '0');

/** Linux's tty_nr as ps shows it: pts/N for a pseudo terminal (major 136-143), else "?". */
function ttyName(ttyNr: number): string {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  return major >= 136 && major <= 143 ? `pts/${(major - 136) * 256 + minor}` : '?';
}

/**
 * `docker top`: the container's processes in `ps -ef`'s columns, read from its cgroup and /proc on
 * the Linux side (pids as Linux sees them, not as the container does). Undefined when the container
 * has no cgroup (it is not running).
 */
export async function listContainerProcesses(host: Host, id: string): Promise<ProcessTable | undefined> {
  const result = await host.exec(['perl', '-e', TOP_SCRIPT, containerCgroup(id)]);
  if (result.code !== 0) return undefined;
  const [head = '', ...lines] = result.stdout.toString().split('\n');
  const [tck = 100, bootTime = 0] = head.split(' ').map(Number);
  const processes = lines.filter(Boolean).map((line) => {
    const [fields = '', cmd = ''] = line.split('\t');
    const [uid = 0, pid = 0, ppid = 0, ttyNr = 0, cpuTicks = 0, startTicks = 0] = fields.split(' ').map(Number);
    const started = new Date((bootTime + startTicks / tck) * 1000);
    const cpu = Math.floor(cpuTicks / tck);
    return [uid === 0 ? 'root' : String(uid), String(pid), String(ppid), '0', `${pad(started.getHours())}:${pad(started.getMinutes())}`, ttyName(ttyNr), `${pad(Math.floor(cpu / 3600))}:${pad(Math.floor(cpu / 60) % 60)}:${pad(cpu % 60)}`, cmd];
  });
  return { titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], processes };
}
