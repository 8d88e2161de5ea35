/**
 * A client's own connection to conmon's attach socket, with the user's terminal as its stdio: what
 * `berth exec -it` on the local host runs so that keys and output go between the terminal and conmon
 * with no JavaScript on the way, as docker's CLI is one hop from its daemon. The engine still holds
 * the session (its agent is connected too, so the scrollback, the app's view and the exit code are
 * the engine's); this only reads and writes.
 *
 * Perl from perl-base, as the attach agent, for the same reason (SOCK_SEQPACKET). It writes one byte
 * on fd 3 once connected; it ends when conmon closes the socket (the process ended), and when fd 3
 * ends (the CLI went away or is done). Keys go as read, 8 KiB at most a packet (conmon reads no more);
 * output packets lose their stream byte (a terminal has one stream).
 */
const CLIENT_SCRIPT = String.raw`
use strict;
use Socket;
$SIG{PIPE} = 'IGNORE';
binmode(STDIN);
binmode(STDOUT);
my ($path) = @ARGV;
open(my $cli, '+<&=', 3) or die "attach: fd 3: $!\n";
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or die "attach: socket: $!\n";
connect($s, pack_sockaddr_un($path)) or die "attach: $path: $!\n";
syswrite($cli, 'c');
my ($keys, $screen) = (1, 1);
while (1) {
  my $r = '';
  vec($r, fileno($s), 1) = 1;
  vec($r, fileno($cli), 1) = 1;
  vec($r, fileno(STDIN), 1) = 1 if $keys;
  next unless select($r, undef, undef, undef) > 0;
  if (vec($r, fileno($s), 1)) {
    my $n = sysread($s, my $packet, 65536);
    last unless $n;
    my $data = substr($packet, 1);
    while ($screen && length $data) {
      my $w = syswrite(STDOUT, $data);
      # The terminal went away: the session is hung up by the CLI; drain until conmon closes.
      if (!defined $w) { $screen = 0; last }
      $data = substr($data, $w);
    }
  }
  last if vec($r, fileno($cli), 1);
  if ($keys && vec($r, fileno(STDIN), 1)) {
    my $n = sysread(STDIN, my $buf, 8192);
    if (!$n) { $keys = 0; next }
    send($s, $buf, 0) // last;
  }
}
`;

/** The client's Linux argv: connects to `attachSocket` and relays it to and from its own stdin and stdout. */
export function attachClientArgv(attachSocket: string): string[] {
  return ['perl', '-e', CLIENT_SCRIPT, attachSocket];
}
