import type { Host } from '../host/host.js';
import { CGROUP_PARENT } from './cgroup-parent.js';

/** What a container's cgroup says it uses. */
export interface CgroupStats {
  cpuNanos: number;
  memoryBytes: number;
  /** 0: no limit. */
  memoryLimitBytes: number;
  pids: number;
  /** Bytes read from and written to block devices. */
  blockReadBytes: number;
  blockWriteBytes: number;
  /** Bytes received and sent on the container's interfaces but loopback; 0 without a namespace of its own. */
  netRxBytes: number;
  netTxBytes: number;
}

/** A container to read: its id, and the pid whose network namespace is its own (0: none, as with host networking). */
export interface CgroupTarget {
  id: string;
  netPid: number;
}


/**
 * Reads the cgroup files of each container under the parent ($ARGV[1]) of the cgroup mount ($ARGV[0]) (v2, or v1 as on hybrid hosts), and
 * the interface counters of its network namespace: one line per `ID:PID` argument, `ID -` when it has no
 * cgroup (any more). A memory limit of "max" or past 2^60 (v1's "none") is written as 0.
 */
const READ_SCRIPT = String.raw`
use strict;
my $root = shift @ARGV;
my $parent = shift @ARGV;
my $v2 = -e "$root/cgroup.controllers";
sub rd { open(my $h, '<', $_[0]) or return ''; local $/; my $v = <$h> // ''; $v =~ s/\s+\z//; $v }
sub limit { my $v = $_[0]; ($v =~ /^\d+$/ && length($v) < 19) ? $v : 0 }
sub net {
  my ($rx, $tx) = (0, 0);
  return ($rx, $tx) unless $_[0];
  for (split /\n/, rd("/proc/$_[0]/net/dev")) {
    next unless /^\s*([^:\s]+):\s*(\d+)(?:\s+\d+){7}\s+(\d+)/;
    next if $1 eq 'lo';
    $rx += $2; $tx += $3;
  }
  ($rx, $tx)
}
for my $arg (@ARGV) {
  my ($id, $pid) = split /:/, $arg;
  my $cg = "$parent/$id";
  my ($read, $write) = (0, 0);
  if ($v2) {
    my $d = "$root$cg";
    if (!-d $d) { print "$id -\n"; next }
    my ($usec) = rd("$d/cpu.stat") =~ /^usage_usec (\d+)/m;
    for (split /\n/, rd("$d/io.stat")) { $read += $1 if /rbytes=(\d+)/; $write += $1 if /wbytes=(\d+)/ }
    print join(' ', $id, ($usec // 0) * 1000, rd("$d/memory.current") || 0, limit(rd("$d/memory.max")), rd("$d/pids.current") || 0, $read, $write, net($pid)), "\n";
  } else {
    my $m = "$root/memory$cg";
    if (!-d $m) { print "$id -\n"; next }
    # Kernels count v1's block I/O only in cgroups with a throttle rule: without one these stay 0, as in Docker.
    for (split /\n/, rd("$root/blkio$cg/blkio.throttle.io_service_bytes_recursive")) { $read += $1 if /^\S+ Read (\d+)/; $write += $1 if /^\S+ Write (\d+)/ }
    print join(' ', $id, rd("$root/cpuacct$cg/cpuacct.usage") || 0, rd("$m/memory.usage_in_bytes") || 0,
      limit(rd("$m/memory.limit_in_bytes")), rd("$root/pids$cg/pids.current") || 0, $read, $write, net($pid)), "\n";
  }
}
`;

/**
 * What the containers' cgroups say, all read by one process: asking the runtime (`runc events
 * --stats`) costs a process per container per sample, which at a hundred containers stalled the
 * engine and took a CPU. Containers without a cgroup are left out.
 */
export async function readCgroupStats(host: Host, targets: readonly CgroupTarget[], cgroupRoot = '/sys/fs/cgroup'): Promise<Map<string, CgroupStats>> {
  const found = new Map<string, CgroupStats>();
  if (targets.length === 0) return found;
  const result = await host.exec(['perl', '-e', READ_SCRIPT, cgroupRoot, CGROUP_PARENT, ...targets.map((t) => `${t.id}:${t.netPid}`)]);
  for (const line of result.stdout.toString().split('\n')) {
    const [id, ...fields] = line.split(' ');
    if (!id || fields.length !== 8) continue;
    const [cpuNanos, memoryBytes, memoryLimitBytes, pids, blockReadBytes, blockWriteBytes, netRxBytes, netTxBytes] = fields.map(Number) as [number, number, number, number, number, number, number, number];
    found.set(id, { cpuNanos, memoryBytes, memoryLimitBytes, pids, blockReadBytes, blockWriteBytes, netRxBytes, netTxBytes });
  }
  return found;
}
