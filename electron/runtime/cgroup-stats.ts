import type { Host } from '../host/host.js';

/** What a container's cgroup says it uses. */
export interface CgroupStats {
  cpuNanos: number;
  memoryBytes: number;
  /** 0: no limit. */
  memoryLimitBytes: number;
  pids: number;
}

/** Where the runtime makes Berth's containers' cgroups, in every hierarchy (cgroup v1) or the one (v2). */
const CGROUP_PARENT = '/berth';

/** The cgroup a container's runtime makes for it. */
export function containerCgroup(id: string): string {
  return `${CGROUP_PARENT}/${id}`;
}

/**
 * Reads the cgroup files of each container under the parent ($ARGV[0]) (v2, or v1 as on hybrid hosts): one line per id, `ID -` when
 * it has no cgroup (any more). A memory limit of "max" or past 2^60 (v1's "none") is written as 0.
 */
const READ_SCRIPT = String.raw`
use strict;
my $parent = shift @ARGV;
my $v2 = -e '/sys/fs/cgroup/cgroup.controllers';
sub rd { open(my $h, '<', $_[0]) or return ''; local $/; my $v = <$h> // ''; $v =~ s/\s+\z//; $v }
sub limit { my $v = $_[0]; ($v =~ /^\d+$/ && length($v) < 19) ? $v : 0 }
for my $id (@ARGV) {
  my $cg = "$parent/$id";
  if ($v2) {
    my $d = "/sys/fs/cgroup$cg";
    if (!-d $d) { print "$id -\n"; next }
    my ($usec) = rd("$d/cpu.stat") =~ /^usage_usec (\d+)/m;
    print join(' ', $id, ($usec // 0) * 1000, rd("$d/memory.current") || 0, limit(rd("$d/memory.max")), rd("$d/pids.current") || 0), "\n";
  } else {
    my $m = "/sys/fs/cgroup/memory$cg";
    if (!-d $m) { print "$id -\n"; next }
    print join(' ', $id, rd("/sys/fs/cgroup/cpuacct$cg/cpuacct.usage") || 0, rd("$m/memory.usage_in_bytes") || 0,
      limit(rd("$m/memory.limit_in_bytes")), rd("/sys/fs/cgroup/pids$cg/pids.current") || 0), "\n";
  }
}
`;

/**
 * What the containers' cgroups say, all read by one process: asking the runtime (`runc events
 * --stats`) costs a process per container per sample, which at a hundred containers stalled the
 * engine and took a CPU. Containers without a cgroup are left out.
 */
export async function readCgroupStats(host: Host, ids: readonly string[]): Promise<Map<string, CgroupStats>> {
  const found = new Map<string, CgroupStats>();
  if (ids.length === 0) return found;
  const result = await host.exec(['perl', '-e', READ_SCRIPT, CGROUP_PARENT, ...ids]);
  for (const line of result.stdout.toString().split('\n')) {
    const [id, ...fields] = line.split(' ');
    if (!id || fields.length !== 4) continue;
    const [cpuNanos, memoryBytes, memoryLimitBytes, pids] = fields.map(Number) as [number, number, number, number];
    found.set(id, { cpuNanos, memoryBytes, memoryLimitBytes, pids });
  }
  return found;
}
