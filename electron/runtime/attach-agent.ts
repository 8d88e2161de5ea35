import { BerthError } from '../../shared/berth-error.js';
import type { LogStream } from '../../shared/containers.js';
import type { Host, HostProcess } from '../host/host.js';

/**
 * conmon's attach socket is SOCK_SEQPACKET, which Node's `net` cannot open; on a WSL host it is inside
 * the VM besides. So a small agent on the Linux side (Perl from perl-base, whose Socket module speaks
 * SEQPACKET) holds the connection and relays it over its stdio, the same way on both hosts:
 * - stdout: one frame per packet from conmon, `[stream u8][length u32 BE][bytes]` (1 stdin, 2 stdout, 3 stderr);
 * - stdin: frames `[type u8][length u32 BE][bytes]`: 0 input for the container, 1 a resize ("ROWS COLS",
 *   written to conmon's control FIFO), 2 the end of input.
 * It ends when conmon closes the socket (the container has ended) or when its stdin ends (the engine
 * detached or went away): the container is never touched by its going.
 */
const AGENT_SCRIPT = String.raw`
use strict;
use Socket;
use Fcntl;
my ($path, $ctl) = @ARGV;
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or die "attach: socket: $!\n";
connect($s, pack_sockaddr_un($path)) or die "attach: $path: $!\n";
binmode(STDIN);
binmode(STDOUT);
sub out {
  my ($data) = @_;
  while (length $data) { my $n = syswrite(STDOUT, $data) // exit 0; $data = substr($data, $n) }
}
# Connected: an empty frame of stream 0 says so.
out(pack('CN', 0, 0));
my ($in, $open) = ('', 1);
while (1) {
  my $r = '';
  vec($r, fileno($s), 1) = 1;
  vec($r, fileno(STDIN), 1) = 1 if $open;
  next unless select($r, undef, undef, undef) > 0;
  if (vec($r, fileno($s), 1)) {
    my $n = sysread($s, my $packet, 65536);
    last unless $n;
    out(pack('CN', ord($packet), $n - 1) . substr($packet, 1));
  }
  if ($open && vec($r, fileno(STDIN), 1)) {
    my $n = sysread(STDIN, my $buf, 65536);
    exit 0 unless $n;
    $in .= $buf;
    while (length($in) >= 5) {
      my ($type, $len) = unpack('CN', $in);
      last if length($in) < 5 + $len;
      my $data = substr($in, 5, $len);
      $in = substr($in, 5 + $len);
      if ($type == 0) {
        # conmon reads at most 8 KiB a packet; a longer one would be cut.
        for (my $o = 0; $o < length $data; $o += 8192) { send($s, substr($data, $o, 8192), 0) // exit 0 }
      } elsif ($type == 1) {
        if (sysopen(my $c, $ctl, O_WRONLY | O_NONBLOCK)) { syswrite($c, "1 $data\n"); close($c) }
      } elsif ($type == 2) {
        shutdown($s, 1);
      }
    }
  }
}
`;

const STREAMS: Record<number, LogStream> = { 2: 'stdout', 3: 'stderr' };

/** A connection to a container's main process through conmon, relayed by the agent. */
export class AttachConnection {
  private pending: Buffer = Buffer.alloc(0);
  readonly exited: Promise<number>;
  /** Resolves once the agent is connected; rejects with what it said if it could not connect. */
  readonly connected: Promise<void>;

  private constructor(
    private readonly agent: HostProcess,
    onOutput: (stream: LogStream, data: Buffer) => void,
  ) {
    this.exited = agent.exited;
    let said = '';
    agent.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-1000)));
    let connected!: () => void;
    this.connected = new Promise<void>((resolve, reject) => {
      connected = resolve;
      void agent.exited.then(() => reject(new BerthError('RUNTIME_ERROR', said.trim() || "attach: the container's monitor did not answer")));
    });
    this.connected.catch(() => {});
    agent.stdin?.on('error', () => {});
    agent.stdout?.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
      while (this.pending.length >= 5) {
        const length = this.pending.readUInt32BE(1);
        if (this.pending.length < 5 + length) break;
        const stream = STREAMS[this.pending[0]!];
        if (stream) onOutput(stream, this.pending.subarray(5, 5 + length));
        else if (this.pending[0] === 0) connected();
        this.pending = this.pending.subarray(5 + length);
      }
    });
  }

  /** Connects to the attach socket at `socketPath`; `ctlPath` is conmon's control FIFO. */
  static open(host: Host, socketPath: string, ctlPath: string, onOutput: (stream: LogStream, data: Buffer) => void): AttachConnection {
    return new AttachConnection(host.spawn(['perl', '-e', AGENT_SCRIPT, socketPath, ctlPath]), onOutput);
  }

  write(data: Buffer): void {
    this.send(0, data);
  }

  resize(cols: number, rows: number): void {
    this.send(1, Buffer.from(`${rows} ${cols}`));
  }

  /** The container's stdin ends (for a process started with -i and no terminal). */
  endInput(): void {
    this.send(2, Buffer.alloc(0));
  }

  pause(): void {
    this.agent.stdout?.pause();
  }

  resume(): void {
    this.agent.stdout?.resume();
  }

  /** Detaches: the agent goes, the container runs on. */
  close(): void {
    this.agent.stdin?.end();
    this.agent.kill('SIGTERM');
  }

  private send(type: number, data: Buffer): void {
    const header = Buffer.alloc(5);
    header.writeUInt8(type, 0);
    header.writeUInt32BE(data.length, 1);
    this.agent.stdin?.write(Buffer.concat([header, data]));
  }
}
