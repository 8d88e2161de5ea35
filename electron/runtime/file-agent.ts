import { BerthError } from '../../shared/berth-error.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { Host, HostProcess } from '../host/host.js';

/**
 * One path as the agent tells it, and one entry of a copy as it reads and writes it: a line of
 * `TYPE MODE UID GID MTIME SIZE NAME LINK` (name and link in hex, `-` when empty, so any byte may
 * be in them), then `size` bytes for a file. Names in a copy are relative to the folder copied
 * from or into, already checked ("a/b", never "../" or "/").
 */
export interface AgentEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  /** A symlink's target, or the earlier entry a hard link names. */
  link: string;
}

const hex = (text: string) => (text === '' ? '-' : Buffer.from(text).toString('hex'));
const unhex = (field: string) => (field === '-' ? '' : Buffer.from(field, 'hex').toString());

export function entryLine(entry: AgentEntry): Buffer {
  return Buffer.from(`${entry.type} ${entry.mode} ${entry.uid} ${entry.gid} ${entry.mtime} ${entry.size} ${hex(entry.name)} ${hex(entry.link)}\n`);
}

export function parseEntryLine(line: string): AgentEntry {
  const [type, mode, uid, gid, mtime, size, name, link] = line.split(' ');
  if (link === undefined) throw new BerthError('INTERNAL', `the file agent said something it should not: ${line.slice(0, 80)}`);
  return { type: type as AgentEntry['type'], mode: Number(mode), uid: Number(uid), gid: Number(gid), mtime: Number(mtime), size: Number(size), name: unhex(name!), link: unhex(link) };
}

/**
 * Works on a container's files from inside its root: the agent chroots into it first, so every
 * path, `..` and symlink (absolute ones too) resolves as it would in the container and nothing it
 * writes can land outside. For a running container the root is /proc/PID/root, which also shows
 * its volumes and folders. Perl is on every host Berth runs on (the WSL distro included), and
 * needs nothing inside the image, which may have no shell or tar at all.
 *
 * Ops: `stat PATH`, `list PATH LIMIT`, `read PATH MAX`, `pack PATH NAME` (entries out),
 * `unpack DIR` (entries in). Only perl-base is used: the WSL distro has no more. A refusal is one stderr line `CODE message` and exit 3.
 */
const AGENT_SCRIPT = String.raw`
use strict;
use warnings;
use Fcntl qw(:mode O_WRONLY O_CREAT O_TRUNC O_NOFOLLOW);
use POSIX qw(EROFS ENOENT ENOTDIR);
my ($root, $op, @args) = @ARGV;
sub hx { my $v = shift; length($v) ? unpack('H*', $v) : '-' }
sub unhx { my $v = shift; $v eq '-' ? '' : pack('H*', $v) }
sub line { my $h = shift; join(' ', @$h{qw(type mode uid gid mtime size)}, hx($h->{name}), hx($h->{link})) . "\n" }
sub fail { my ($code, $msg) = @_; print STDERR "$code $msg\n"; exit 3 }
sub io_fail {
  my ($what, $path) = @_;
  fail('PATH_READ_ONLY', "$path is on a read-only file system") if $! == EROFS;
  fail('PATH_NOT_FOUND', "no such file or folder in the container: $path") if $! == ENOENT;
  fail('PATH_NOT_DIRECTORY', "a part of $path is not a folder") if $! == ENOTDIR;
  fail('INTERNAL', "$what $path: $!");
}
chroot($root) or fail('INTERNAL', "cannot enter the container's files: $!");
chdir('/') or fail('INTERNAL', "cannot enter the container's files: $!");
binmode STDOUT; binmode STDIN;
sub kind { my $m = shift; S_ISDIR($m) ? 'directory' : S_ISLNK($m) ? 'symlink' : S_ISREG($m) ? 'file' : 'other' }
sub info {
  my ($path, $name) = @_;
  my @s = lstat($path) or return undef;
  my $link = S_ISLNK($s[2]) ? (readlink($path) // '') : '';
  return { name => $name, type => kind($s[2]), mode => $s[2] & 07777, size => $s[7], mtime => $s[9], uid => $s[4], gid => $s[5], link => $link };
}
sub base { my $p = shift; $p =~ s{/+$}{}; return '/' if $p eq ''; $p =~ s{.*/}{}; $p }
sub must_dir { my $p = shift; io_fail('cannot open', $p) unless -e $p; fail('PATH_NOT_DIRECTORY', "$p is not a folder") unless -d $p }

if ($op eq 'stat') {
  my ($path) = @args;
  my $i = info($path, base($path)) or io_fail('cannot read', $path);
  print line($i);
} elsif ($op eq 'list') {
  my ($path, $limit) = @args;
  must_dir($path);
  opendir(my $d, $path) or io_fail('cannot list', $path);
  my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir($d);
  print scalar(@names), "\n";
  for (@names[0 .. ($#names < $limit - 1 ? $#names : $limit - 1)]) { my $i = info("$path/$_", $_); print line($i) if $i }
} elsif ($op eq 'read') {
  my ($path, $max) = @args;
  io_fail('cannot read', $path) unless -e $path;
  fail('PATH_NOT_FILE', "$path is not a file") unless -f $path;
  my $size = -s _;
  fail('FILE_TOO_LARGE', "$path is $size bytes, more than the $max a preview shows") if $size > $max;
  open(my $f, '<:raw', $path) or io_fail('cannot read', $path);
  my $buf; while (read($f, $buf, 65536)) { print $buf }
} elsif ($op eq 'pack') {
  my ($path, $top) = @args;
  lstat($path) or io_fail('cannot read', $path);
  my %seen;
  my $emit; $emit = sub {
    my ($full, $name) = @_;
    my @s = lstat($full) or return;
    my $t = kind($s[2]);
    return if $t eq 'other';
    my %h = (name => $name, type => $t, mode => $s[2] & 07777, uid => $s[4], gid => $s[5], mtime => $s[9], size => 0, link => '');
    if ($t eq 'symlink') { $h{link} = readlink($full) // '' }
    elsif ($t eq 'file' && $s[3] > 1 && $seen{"$s[0]:$s[1]"}) { $h{type} = 'link'; $h{link} = $seen{"$s[0]:$s[1]"} }
    elsif ($t eq 'file') { $seen{"$s[0]:$s[1]"} = $name if $s[3] > 1; $h{size} = $s[7] }
    print line(\%h);
    if ($h{type} eq 'file') {
      # Exactly the size announced, even if the file changes while it is read.
      my $left = $h{size};
      if (open(my $f, '<:raw', $full)) { my $buf; while ($left > 0) { my $n = read($f, $buf, $left < 65536 ? $left : 65536); last unless $n; print $buf; $left -= $n } }
      print "\0" x $left if $left > 0;
    } elsif ($t eq 'directory') {
      opendir(my $d, $full) or return;
      my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir($d);
      closedir($d);
      $emit->("$full/$_", "$name/$_") for @names;
    }
  };
  $emit->($path, $top);
} elsif ($op eq 'unpack') {
  my ($dir) = @args;
  must_dir($dir);
  my @dirs;
  while (my $line = <STDIN>) {
    chomp $line;
    my %h; @h{qw(type mode uid gid mtime size name link)} = split / /, $line;
    $h{name} = unhx($h{name}); $h{link} = unhx($h{link});
    my $h = \%h;
    my $p = "$dir/$h->{name}";
    my $t = $h->{type};
    # As Docker's copy does: a folder never replaces something else, nor is replaced by it.
    if ($t eq 'directory') {
      fail('INVALID_ARGUMENT', "cannot put the folder $h->{name} where $p is not a folder") if -l $p || (-e _ && !-d _);
      mkdir($p) or io_fail('cannot make', $p) unless -d $p;
      push @dirs, [$p, $h];
      next;
    }
    fail('INVALID_ARGUMENT', "cannot put $h->{name} where the folder $p is") if !-l $p && -d $p;
    unlink($p) or io_fail('cannot replace', $p) if -l $p || -e $p;
    if ($t eq 'symlink') { symlink($h->{link}, $p) or io_fail('cannot make', $p); eval { POSIX::lchown($h->{uid}, $h->{gid}, $p) }; next }
    if ($t eq 'link') { link("$dir/$h->{link}", $p) or io_fail('cannot link', $p); next }
    sysopen(my $f, $p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600) or io_fail('cannot write', $p);
    binmode $f;
    my $left = $h->{size};
    while ($left > 0) {
      my $n = read(STDIN, my $buf, $left < 65536 ? $left : 65536);
      fail('INVALID_ARGUMENT', "the archive ends inside $h->{name}") unless $n;
      print $f $buf or io_fail('cannot write', $p);
      $left -= $n;
    }
    close($f) or io_fail('cannot write', $p);
    chown($h->{uid}, $h->{gid}, $p); chmod($h->{mode}, $p); utime($h->{mtime}, $h->{mtime}, $p);
  }
  # Folders last: writing into them moved their times.
  for (reverse @dirs) { my ($p, $h) = @$_; chown($h->{uid}, $h->{gid}, $p); chmod($h->{mode}, $p); utime($h->{mtime}, $h->{mtime}, $p) }
} else {
  fail('INVALID_ARGUMENT', "unknown op $op");
}
`;

const AGENT_ERRORS = new Set<ErrorCode>(['PATH_NOT_FOUND', 'PATH_NOT_DIRECTORY', 'PATH_NOT_FILE', 'PATH_READ_ONLY', 'FILE_TOO_LARGE', 'INVALID_ARGUMENT', 'INTERNAL']);

/** The agent's refusal line as a BerthError. */
export function agentError(stderr: string, exitCode: number): BerthError {
  const line = stderr.trim().split('\n').pop() ?? '';
  const [code, ...words] = line.split(' ');
  if (exitCode === 3 && AGENT_ERRORS.has(code as ErrorCode)) return new BerthError(code as ErrorCode, words.join(' '));
  return new BerthError('INTERNAL', `the file agent failed (exit ${exitCode}): ${line || 'no message'}`);
}

export function agentArgv(root: string, op: string, ...args: string[]): string[] {
  return ['perl', '-e', AGENT_SCRIPT, root, op, ...args];
}

/** Runs an op that answers in lines (stat: one entry; list: the count, then the entries). */
export async function agentLines(host: Host, root: string, op: string, ...args: string[]): Promise<string[]> {
  const result = await host.exec(agentArgv(root, op, ...args));
  if (result.code !== 0) throw agentError(result.stderr.toString(), result.code);
  return result.stdout.toString().split('\n').filter((line) => line !== '');
}

export async function agentStat(host: Host, root: string, path: string): Promise<AgentEntry> {
  const [line] = await agentLines(host, root, 'stat', path);
  return parseEntryLine(line ?? '');
}

/** Starts an op whose bytes stream (read, pack, unpack); the caller reads or feeds its stdio. */
export function agentSpawn(host: Host, root: string, op: string, ...args: string[]): HostProcess {
  return host.spawn(agentArgv(root, op, ...args));
}
