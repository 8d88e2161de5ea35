import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';

/** A volume to fill: its data folder on the Linux side, and where the container sees it. */
export interface VolumeToFill {
  dataPath: string;
  destination: string;
}

/**
 * Resolves each destination inside the container's root the way the container will see it (a
 * symlink's absolute target starts again at the root, `..` stops there), so no link in an image can
 * lead the copy out of it; then copies a folder found there into a volume that is still empty, with
 * its owner and mode. `cp -a` copies links as links and follows none.
 */
const FILL_SCRIPT = String.raw`
use strict;
my $root = shift @ARGV;
sub inside {
  my ($path) = @_;
  my @todo = grep { length && $_ ne '.' } split m{/}, $path;
  my @done;
  my $links = 0;
  while (@todo) {
    my $part = shift @todo;
    if ($part eq '..') { pop @done; next }
    my $here = join('/', $root, @done, $part);
    if (-l $here) {
      return undef if ++$links > 40;
      my $target = readlink $here;
      @done = () if $target =~ m{^/};
      unshift @todo, grep { length && $_ ne '.' } split m{/}, $target;
      next;
    }
    push @done, $part;
  }
  return join('/', $root, @done);
}
while (@ARGV) {
  my ($data, $destination) = splice @ARGV, 0, 2;
  my $source = inside($destination);
  next unless defined $source && -d $source && !-l $source;
  opendir(my $dh, $data) or die "cannot read $data: $!\n";
  my @inside = grep { $_ ne '.' && $_ ne '..' } readdir $dh;
  closedir $dh;
  next if @inside;
  system('cp', '-a', '--', "$source/.", "$data/") == 0 or die "copying $destination into its volume failed\n";
  my @stat = lstat $source;
  chown($stat[4], $stat[5], $data) && chmod($stat[2] & 07777, $data) or die "setting the owner of $destination's volume failed: $!\n";
}
`;

/**
 * Fills each volume that is still empty with what the image holds at its path, owner and mode
 * included, as Docker does the first time a container gets a new volume (a postgres-style image finds
 * its data folder there, owned by its user). `rootfs` is the container's root, mounted.
 */
export async function fillVolumes(host: Host, rootfs: string, volumes: readonly VolumeToFill[]): Promise<void> {
  if (volumes.length === 0) return;
  const result = await host.exec(['perl', '-e', FILL_SCRIPT, rootfs, ...volumes.flatMap((v) => [v.dataPath, v.destination])]);
  if (result.code !== 0) throw new BerthError('RUNTIME_ERROR', `filling the container's volumes from its image failed: ${result.stderr.toString().trim()}`);
}
