import { ACK_AT, AGENT_HELLO, FIRST_ACCEPTED, FrameType as T, MAX_DATA, MAX_FRAME, WINDOW } from './agent-frames.js';

/**
 * The socket agent, a Perl program (the distro is a Debian minbase: perl-base is there, nothing
 * else that could do this). The engine writes it into the distro and runs it as `perl FILE`; it
 * opens UNIX sockets for the engine and carries all of their bytes over its own stdin and stdout.
 * Numbers come from agent-frames.ts, so the two ends cannot disagree.
 */
export const SOCKET_AGENT_SCRIPT = String.raw`#!/usr/bin/perl
# Berth socket agent. The engine runs on Windows and cannot reach UNIX sockets in the distro, so
# this agent listens and connects for it and multiplexes every connection over stdin/stdout.
#
# Frames, both ways: u8 type, u32 channel, u32 payload length (big-endian), payload.
#   engine -> agent: LISTEN (ch = listener id, u32 mode + path), CONNECT (ch = new channel, path),
#                    UNLISTEN (ch = listener id)
#   agent -> engine: HELLO (first frame), OK / ERR "ENAME text" (replies to the three above),
#                    ACCEPT (ch = new channel, u32 listener id), SHUT (write side shut after EOF)
#   both ways:       DATA, EOF (no more bytes from the sender), ACK (u32 bytes consumed),
#                    CLOSE (engine: drop the socket; agent: the socket failed, "ENAME text")
# The engine numbers its channels below ${FIRST_ACCEPTED}, the agent numbers accepted ones from there.
# Flow control: a sender has at most WINDOW unacknowledged bytes out per channel. The agent stops
# reading a socket at the window; it acknowledges engine bytes once written to the socket, and the
# engine acknowledges as its reader takes them (both in batches of ACK_AT, well under the window).
# A CONNECT that finds the backlog full is retried for a while instead of blocking everything.
# Sockets are non-blocking with a write buffer each, so a slow peer stalls only its own channel;
# writes to stdout may block (the engine always reads them). EOF on stdin: close every socket,
# unlink the listening ones, exit.
use strict;
use warnings;
use Errno ();
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Socket qw(AF_UNIX SOCK_STREAM SOMAXCONN pack_sockaddr_un);

use constant {
    T_LISTEN => ${T.Listen}, T_CONNECT => ${T.Connect}, T_UNLISTEN => ${T.Unlisten}, T_DATA => ${T.Data},
    T_EOF => ${T.Eof}, T_ACK => ${T.Ack}, T_CLOSE => ${T.Close}, T_OK => ${T.Ok}, T_ERR => ${T.Err},
    T_ACCEPT => ${T.Accept}, T_SHUT => ${T.Shut}, T_HELLO => ${T.Hello},
    WINDOW => ${WINDOW}, ACK_AT => ${ACK_AT}, CHUNK => ${MAX_DATA}, MAX_FRAME => ${MAX_FRAME},
    FIRST_ACCEPTED => ${FIRST_ACCEPTED}, LAST_CHANNEL => 0xffffffff,
    STDIN_READ => 262144,         # bytes read from stdin at a time
    OUT_FLUSH => 262144,          # queued stdout bytes that are written at once
    SUN_PATH_MAX => 107,          # longest path sockaddr_un holds
    ACCEPTS_PER_WAKE => 32,       # so one busy listener cannot starve the rest
    CONNECT_RETRY_SECONDS => 10,  # how long a connect waits for room in a full backlog
};

$SIG{PIPE} = 'IGNORE';    # a peer that went away shows as EPIPE, not as the agent's death
my $stop = 0;
$SIG{$_} = sub { $stop = 1 } for qw(TERM INT HUP);

# id -> { sock, fd, wbuf (for the socket), unacked (sent to the engine), to_ack (written for it),
#         read_eof (socket said EOF), eof (engine said EOF), shut (write side shut) }
my %chan;
my %listener;      # id -> { sock, fd, path, dev, ino, rest_until }
my @connecting;    # { id, path, deadline }: connects that found the backlog full, retried
my $in = '';
my $out = '';
my $next_accepted = FIRST_ACCEPTED;

binmode STDIN;
binmode STDOUT;
chdir '/' or die "chdir /: $!\n";

sub errtext {
    my ($errno) = @_;
    local $! = $errno;
    my ($name) = grep { $!{$_} } sort keys %!;
    return ($name // "E$errno") . " $!";
}

sub send_frame {
    my ($type, $id, $payload) = @_;
    $payload //= '';
    $out .= pack('C N N', $type, $id, length $payload) . $payload;
    flush_out() if length $out >= OUT_FLUSH;
}

sub flush_out {
    while (length $out) {
        my $n = syswrite(STDOUT, $out);
        if (defined $n) { substr($out, 0, $n, ''); next }
        next if $!{EINTR};
        if ($!{EAGAIN}) { my $w = ''; vec($w, fileno(STDOUT), 1) = 1; select(undef, $w, undef, 1); next }
        $out = '';    # the engine is gone: nothing more to say
        $stop = 1;
    }
}

sub nonblocking {
    my ($fh) = @_;
    my $flags = fcntl($fh, F_GETFL, 0) or die "fcntl: $!\n";
    fcntl($fh, F_SETFL, $flags | O_NONBLOCK) or die "fcntl: $!\n";
}

# Runs $op on the sockaddr of $path. sun_path is short, so a longer path is reached from its
# directory by its last component (the agent is single-threaded: the chdir cannot race).
sub at_address {
    my ($path, $op) = @_;
    return $op->(pack_sockaddr_un($path)) if length $path <= SUN_PATH_MAX;
    my ($dir, $base) = $path =~ m{\A(.*)/([^/]+)\z}s;
    if (!defined $base || length $base > SUN_PATH_MAX) { $! = Errno::ENAMETOOLONG(); return 0 }
    chdir(length $dir ? $dir : '/') or return 0;
    my $ok = $op->(pack_sockaddr_un($base));
    my $errno = $! + 0;
    chdir '/' or die "chdir /: $!\n";
    $! = $errno;
    return $ok;
}

sub reply_err {
    my ($id, $errno) = @_;
    send_frame(T_ERR, $id, errtext($errno));
    return 1;
}

sub open_channel {
    my ($id, $sock) = @_;
    nonblocking($sock);
    $chan{$id} = { sock => $sock, fd => fileno($sock), wbuf => '', unacked => 0, to_ack => 0,
                   read_eof => 0, eof => 0, shut => 0 };
}

sub close_channel {
    my ($id, $errno) = @_;
    my $c = delete $chan{$id} or return;
    close $c->{sock};
    send_frame(T_CLOSE, $id, errtext($errno)) if defined $errno;
}

# True once the connect is settled (OK or ERR sent); false to try again later (full backlog).
sub attempt_connect {
    my ($id, $path, $deadline) = @_;
    socket(my $sock, AF_UNIX, SOCK_STREAM, 0) or return reply_err($id, $! + 0);
    nonblocking($sock);    # a full backlog says EAGAIN instead of blocking every channel
    if (at_address($path, sub { connect($sock, $_[0]) })) {
        open_channel($id, $sock);
        send_frame(T_OK, $id);
        return 1;
    }
    my $errno = $! + 0;
    return 0 if $errno == Errno::EAGAIN() && time < $deadline;
    return reply_err($id, $errno);
}

sub retry_connects {
    my @waiting = @connecting;
    @connecting = grep { !attempt_connect($_->{id}, $_->{path}, $_->{deadline}) } @waiting;
}

sub start_listen {
    my ($id, $mode, $path) = @_;
    return reply_err($id, Errno::EEXIST()) if lstat $path;    # never take over what is there
    socket(my $sock, AF_UNIX, SOCK_STREAM, 0) or return reply_err($id, $! + 0);
    my $umask = umask(0777 & ~$mode);    # the file is born with the mode, never wider
    my $bound = at_address($path, sub { bind($sock, $_[0]) });
    my $errno = $! + 0;
    umask $umask;
    return reply_err($id, $errno) if !$bound;
    my @st;
    if (!listen($sock, SOMAXCONN) || !chmod($mode & 07777, $path) || !(@st = lstat $path)) {
        $errno = $! + 0;
        unlink $path;
        return reply_err($id, $errno);
    }
    nonblocking($sock);
    $listener{$id} = { sock => $sock, fd => fileno($sock), path => $path, dev => $st[0], ino => $st[1], rest_until => 0 };
    send_frame(T_OK, $id);
}

sub stop_listen {
    my ($id) = @_;
    my $l = delete $listener{$id} or return;
    close $l->{sock};
    # Unlink the socket this listener made, not a file someone has put in its place since.
    my @st = lstat $l->{path};
    unlink $l->{path} if @st && $st[0] == $l->{dev} && $st[1] == $l->{ino};
}

sub next_accepted_id {
    for (0 .. scalar keys %chan) {
        my $id = $next_accepted;
        $next_accepted = $id >= LAST_CHANNEL ? FIRST_ACCEPTED : $id + 1;
        return $id if !exists $chan{$id};
    }
    die "no free channel id\n";
}

sub accept_on {
    my ($lid, $l) = @_;
    for (1 .. ACCEPTS_PER_WAKE) {
        my $sock;
        if (!accept($sock, $l->{sock})) {
            # EMFILE and the like: rest the listener a while rather than spin on it.
            $l->{rest_until} = time + 1 if !$!{EAGAIN} && !$!{EINTR} && !$!{ECONNABORTED};
            return;
        }
        my $id = next_accepted_id();
        open_channel($id, $sock);
        send_frame(T_ACCEPT, $id, pack('N', $lid));
    }
}

sub write_socket {
    my ($id, $c) = @_;
    if (length $c->{wbuf}) {
        my $n = syswrite($c->{sock}, $c->{wbuf});
        if (!defined $n) {
            return if $!{EAGAIN} || $!{EINTR};
            return close_channel($id, $! + 0);
        }
        substr($c->{wbuf}, 0, $n, '');
        $c->{to_ack} += $n;
        if ($c->{to_ack} >= ACK_AT) { send_frame(T_ACK, $id, pack('N', $c->{to_ack})); $c->{to_ack} = 0 }
    }
    if ($c->{eof} && !$c->{shut} && !length $c->{wbuf}) {
        shutdown($c->{sock}, 1) or return close_channel($id, $! + 0);
        $c->{shut} = 1;
        send_frame(T_SHUT, $id);
        close_channel($id) if $c->{read_eof};    # both ways done: the engine needs nothing more
    }
}

sub read_socket {
    my ($id, $c) = @_;
    my $room = WINDOW - $c->{unacked};
    return if $room <= 0 || $c->{read_eof};
    my $n = sysread($c->{sock}, my $buf, $room < CHUNK ? $room : CHUNK);
    if (!defined $n) {
        return if $!{EAGAIN} || $!{EINTR};
        return close_channel($id, $! + 0);
    }
    if ($n == 0) {
        $c->{read_eof} = 1;
        send_frame(T_EOF, $id);
        close_channel($id) if $c->{shut};
        return;
    }
    $c->{unacked} += $n;
    send_frame(T_DATA, $id, $buf);
}

sub handle_frame {
    my ($type, $id, $payload) = @_;
    if ($type == T_DATA) {
        my $c = $chan{$id} or return;    # closed here already: the bytes have nowhere to go
        return close_channel($id, Errno::EPROTO()) if $c->{eof} || length($c->{wbuf}) + length($payload) > WINDOW;
        my $idle = !length $c->{wbuf};
        $c->{wbuf} .= $payload;
        write_socket($id, $c) if $idle;
    } elsif ($type == T_ACK) {
        my $c = $chan{$id} or return;
        die "ACK of " . length($payload) . " bytes\n" if length $payload != 4;
        $c->{unacked} -= unpack('N', $payload);
        $c->{unacked} = 0 if $c->{unacked} < 0;
    } elsif ($type == T_EOF) {
        my $c = $chan{$id} or return;
        $c->{eof} = 1;
        write_socket($id, $c);
    } elsif ($type == T_CLOSE) {
        close_channel($id);
    } elsif ($type == T_CONNECT) {
        return reply_err($id, Errno::EBUSY()) if exists $chan{$id} || grep { $_->{id} == $id } @connecting;
        my $pending = { id => $id, path => $payload, deadline => time + CONNECT_RETRY_SECONDS };
        push @connecting, $pending if !attempt_connect($id, $payload, $pending->{deadline});
    } elsif ($type == T_LISTEN) {
        die "LISTEN of " . length($payload) . " bytes\n" if length $payload < 5;
        return reply_err($id, Errno::EBUSY()) if exists $listener{$id};
        start_listen($id, unpack('N', $payload), substr($payload, 4));
    } elsif ($type == T_UNLISTEN) {
        stop_listen($id);
        send_frame(T_OK, $id);
    } else {
        die "unknown frame type $type\n";
    }
}

# False at EOF on stdin (or when it fails).
sub read_stdin {
    my $n = sysread(STDIN, $in, STDIN_READ, length $in);
    return $!{EAGAIN} || $!{EINTR} if !defined $n;
    return 0 if $n == 0;
    while (length $in >= 9) {
        my ($type, $id, $len) = unpack('C N N', $in);
        die "frame of $len bytes\n" if $len > MAX_FRAME;
        last if length $in < 9 + $len;
        my $payload = substr($in, 9, $len);
        substr($in, 0, 9 + $len, '');
        handle_frame($type, $id, $payload);
    }
    return 1;
}

sub serve {
    my $stdin_open = 1;
    while ($stdin_open && !$stop) {
        flush_out();
        last if $stop;
        my ($rin, $win) = ('', '');
        vec($rin, fileno(STDIN), 1) = 1;
        for my $c (values %chan) {
            vec($rin, $c->{fd}, 1) = 1 if !$c->{read_eof} && $c->{unacked} < WINDOW;
            vec($win, $c->{fd}, 1) = 1 if length $c->{wbuf};
        }
        my $timeout = @connecting ? 0.05 : undef;
        my $now = time;
        for my $l (values %listener) {
            if ($l->{rest_until} > $now) { $timeout //= 1; next }
            vec($rin, $l->{fd}, 1) = 1;
        }
        my $rout = $rin;
        my $wout = length $win ? $win : undef;
        my $n = select($rout, $wout, undef, $timeout);
        if ($n < 0) { next if $!{EINTR}; die "select: $!\n" }
        retry_connects() if @connecting;
        next if $n == 0;
        $stdin_open = read_stdin() if vec($rout, fileno(STDIN), 1);
        # A socket opened above may reuse a closed one's fd and look ready: it then says EAGAIN.
        for my $id (keys %chan) {
            my $c = $chan{$id} or next;
            write_socket($id, $c) if defined $wout && vec($wout, $c->{fd}, 1);
            $c = $chan{$id} or next;
            read_socket($id, $c) if vec($rout, $c->{fd}, 1);
        }
        for my $id (keys %listener) {
            my $l = $listener{$id} or next;
            accept_on($id, $l) if vec($rout, $l->{fd}, 1);
        }
    }
}

send_frame(T_HELLO, 0, '${AGENT_HELLO}');
my $served = eval { serve(); 1 };
my $error = $@;
close $_->{sock} for values %chan;
stop_listen($_) for keys %listener;
if (!$served) { print STDERR "socket agent: $error"; exit 1 }
exit 0;
`;
