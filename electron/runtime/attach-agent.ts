import { BerthError } from '../../shared/berth-error.js';
import type { LogStream } from '../../shared/containers.js';
import type { Host, HostProcess } from '../host/host.js';
import { encodeFrame, FrameDecoder } from '../streams/typed-frames.js';
import { whenDrained } from '../streams/when-drained.js';
import { attachSocketPath, bundlePaths, type ExecPaths } from './bundle.js';
import type { OciProcess } from './oci-spec.js';

/**
 * conmon's attach socket is SOCK_SEQPACKET, which Node's `net` cannot open; on a WSL host it is inside
 * the VM besides. So a small agent on the Linux side (Perl from perl-base, whose Socket module speaks
 * SEQPACKET) holds the connection and relays it over its stdio, the same way on both hosts:
 * - stdout: one frame per packet from conmon, `[stream u8][length u32 BE][bytes]` (1 stdin, 2 stdout,
 *   3 stderr), after an empty frame of stream 0 that says the agent is connected;
 * - stdin: frames `[type u8][length u32 BE][bytes]`: 0 input for the process, 1 a resize ("ROWS COLS",
 *   written to conmon's control FIFO), 2 the end of input, 3 a signal for an exec's process ("HUP"),
 *   4 the start of a held exec's process.
 *
 * `attach ATTACH_SOCKET CTL` joins a container's main process. It ends when conmon closes the socket
 * (the container has ended) or when its stdin ends (the engine detached or went away): the container
 * is never touched by its going.
 *
 * `exec DIR LINK START PROCESS_JSON CONMON...` runs an exec on a terminal under conmon (see
 * `execMonitorArgv`), passing the pipes conmon syncs on (`_OCI_*PIPE`): it writes the process spec,
 * starts conmon, connects once the attach socket is up and only then lets the process start: at once
 * (START `now`), or (`held`) on a frame 4, once a client of conmon's socket of its own has connected
 * too, so that client misses nothing either. Its exit code is the process's; the engine going away
 * hangs the process up (then kills it after 3 s), and the exec's folder goes with it. A hang-up or a
 * signal for a held process starts it first: conmon's child runs the runtime on any end of its start
 * pipe, so a start is the only clean way out.
 */
const AGENT_SCRIPT = String.raw`
use strict;
use Socket;
use Fcntl;
$SIG{PIPE} = 'IGNORE';
binmode(STDIN);
binmode(STDOUT);
my $mode = shift @ARGV;
my ($s, $ctl, $pid, $sync, $start, $held, $child, @cleanup);
my $engine = 1;
sub out {
  my ($data) = @_;
  while ($engine && length $data) {
    my $n = syswrite(STDOUT, $data);
    # The engine went away: an exec still drains and cleans up; nobody reads its output.
    if (!defined $n) { $engine = 0; last }
    $data = substr($data, $n);
  }
}
sub frame { my ($type, $data) = @_; out(pack('CN', $type, length $data) . $data) }
sub finish {
  my ($code) = @_;
  waitpid($child, 0) if $child;
  system('rm', '-rf', @cleanup) if @cleanup;
  exit $code;
}
sub json_string {
  my ($text) = @_;
  $text =~ s/\\n/\n/g;
  $text =~ s/\\t/\t/g;
  $text =~ s/\\(.)/$1/g;
  return $text;
}
sub connect_to {
  my ($path) = @_;
  socket($s, AF_UNIX, SOCK_SEQPACKET, 0) or die "attach: socket: $!\n";
  # conmon makes a container's socket just after the runtime has written the pid the engine waits
  # for: on a busy machine the engine can be first, so a missing socket is tried again for 5 s.
  for (my $try = 0; !connect($s, pack_sockaddr_un($path)); $try++) {
    die "attach: $path: $!\n" if $try >= 500 || !($!{ENOENT} || $!{ECONNREFUSED});
    select(undef, undef, undef, 0.01);
  }
}
sub start_process {
  $held = 0;
  syswrite($start, '1');
  close($start);
  my $started = <$sync> // '';
  my ($data) = $started =~ /"data"\s*:\s*(-?\d+)/;
  if (!defined $data || $data < 0) {
    # The runtime could not start the process (no such command...): its message, on the terminal.
    my ($message) = $started =~ /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/;
    $message = json_string($message // 'the exec did not start');
    $message = json_string($1) if $message =~ /msg="((?:[^"\\]|\\.)*)"/;
    frame(3, "$message\r\n");
    finish(255);
  }
  $pid = $data;
}
sub hang_up {
  exit 0 if $mode eq 'attach';
  start_process() if $held;
  return unless $pid;
  kill('HUP', $pid);
  $SIG{ALRM} = sub { kill('KILL', $pid) };
  alarm(3);
}
if ($mode eq 'attach') {
  my $path;
  ($path, $ctl) = @ARGV;
  connect_to($path);
  frame(0, '');
} else {
  my ($dir, $link, $when, $spec, @conmon) = @ARGV;
  $ctl = "$dir/ctl";
  @cleanup = ($dir, $link);
  system('mkdir', '-p', "$dir/exit") == 0 or finish(126);
  open(my $f, '>', "$dir/process.json") or die "exec: $dir/process.json: $!\n";
  print $f $spec;
  close($f) or die "exec: $dir/process.json: $!\n";
  # Pipes made while $^F is high stay open across exec, for conmon to find by number.
  $^F = 255;
  pipe(my $sync_r, my $sync_w) and pipe(my $start_r, my $start_w) and pipe(my $attach_r, my $attach_w) or die "exec: pipe: $!\n";
  $^F = 2;
  $child = fork() // die "exec: fork: $!\n";
  if ($child == 0) {
    close($sync_r); close($start_w); close($attach_r);
    $ENV{_OCI_SYNCPIPE} = fileno($sync_w);
    $ENV{_OCI_STARTPIPE} = fileno($start_r);
    $ENV{_OCI_ATTACHPIPE} = fileno($attach_w);
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>&', \*STDERR);
    # conmon leaves files in its working folder (an \`oom\` mark): the exec's own, which goes with it.
    chdir($dir);
    exec(@conmon) or die "exec: conmon: $!\n";
  }
  close($sync_w); close($start_r); close($attach_w);
  ($sync, $start) = ($sync_r, $start_w);
  # conmon reads the start pipe once before it forks, and again before the runtime's exec.
  syswrite($start, '0');
  my $ready = <$attach_r>;
  finish(255) unless defined $ready;
  connect_to("$link/attach");
  frame(0, '');
  $held = 1;
  start_process() unless $when eq 'held';
}
my ($in, $open) = ('', 1);
while (1) {
  my $r = '';
  vec($r, fileno($s), 1) = 1;
  vec($r, fileno(STDIN), 1) = 1 if $open;
  next unless select($r, undef, undef, undef) > 0;
  if (vec($r, fileno($s), 1)) {
    my $n = sysread($s, my $packet, 65536);
    last unless $n;
    frame(ord($packet), substr($packet, 1));
  }
  if ($open && vec($r, fileno(STDIN), 1)) {
    my $n = sysread(STDIN, my $buf, 65536);
    if (!$n) { $open = 0; hang_up(); next }
    $in .= $buf;
    while (length($in) >= 5) {
      my ($type, $len) = unpack('CN', $in);
      last if length($in) < 5 + $len;
      my $data = substr($in, 5, $len);
      $in = substr($in, 5 + $len);
      if ($type == 0) {
        # conmon reads at most 8 KiB a packet; a longer one would be cut.
        for (my $o = 0; $o < length $data; $o += 8192) { send($s, substr($data, $o, 8192), 0) // last }
      } elsif ($type == 1) {
        if (sysopen(my $c, $ctl, O_WRONLY | O_NONBLOCK)) { syswrite($c, "1 $data\n"); close($c) }
      } elsif ($type == 2) {
        shutdown($s, 1);
      } elsif ($type == 3 && $mode eq 'exec') {
        start_process() if $held;
        kill($data, $pid);
      } elsif ($type == 4 && $held) {
        start_process();
      }
    }
  }
}
exit 0 if $mode eq 'attach';
# conmon reports the exit before it closes the socket.
my $ended = <$sync> // '';
my ($code) = $ended =~ /"data"\s*:\s*(-?\d+)/;
finish(defined $code && $code >= 0 ? $code : 255);
`;

const STREAMS: Record<number, LogStream> = { 2: 'stdout', 3: 'stderr' };

/** Joining a container's main process, or running an exec under conmon. */
export type AgentMode = 'attach' | 'exec';

/** The agent joining the main process of a container that conmon runs (Linux argv). */
export function attachAgentArgv(dataRoot: string, containerId: string): string[] {
  return ['perl', '-e', AGENT_SCRIPT, 'attach', attachSocketPath(dataRoot, containerId), bundlePaths(dataRoot, containerId).ctl];
}

/**
 * The agent running `process` as an exec on a terminal under conmon (`monitorArgv`); its exit code is
 * the process's (Linux argv). A `held` process starts on `AttachConnection.start`.
 */
export function execAgentArgv(paths: ExecPaths, process: OciProcess, monitorArgv: string[], held: boolean): string[] {
  return ['perl', '-e', AGENT_SCRIPT, 'exec', paths.dir, paths.attachLink, held ? 'held' : 'now', JSON.stringify(process), ...monitorArgv];
}

/** A connection to a container's main process through conmon, relayed by the agent. */
export class AttachConnection {
  readonly exited: Promise<number>;
  /** Resolves once the agent is connected; rejects with what it said if it could not connect. */
  readonly connected: Promise<void>;

  private constructor(
    private readonly mode: AgentMode,
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
    const frames = new FrameDecoder();
    agent.stdout?.on('data', (chunk: Buffer) => {
      for (const { type, data } of frames.push(chunk)) {
        const stream = STREAMS[type];
        if (stream) onOutput(stream, data);
        else if (type === 0) connected();
      }
    });
  }

  /** Connects to the main process of a container that conmon runs. */
  static open(host: Host, containerId: string, onOutput: (stream: LogStream, data: Buffer) => void): AttachConnection {
    return AttachConnection.over('attach', host.spawn(attachAgentArgv(host.dataRoot, containerId)), onOutput);
  }

  /** The connection an agent started from `attachAgentArgv` or `execAgentArgv` holds, by whichever process started it. */
  static over(mode: AgentMode, agent: HostProcess, onOutput: (stream: LogStream, data: Buffer) => void): AttachConnection {
    return new AttachConnection(mode, agent, onOutput);
  }

  /** false: the agent is backed up; wait for `drained` before writing more. */
  write(data: Buffer): boolean {
    return this.send(0, data);
  }

  /** Resolves once the agent has taken what was written (at once when nothing waits), or has gone. */
  drained(): Promise<void> {
    const stdin = this.agent.stdin;
    return stdin?.writableNeedDrain ? whenDrained(stdin) : Promise.resolve();
  }

  resize(cols: number, rows: number): void {
    this.send(1, Buffer.from(`${rows} ${cols}`));
  }

  /** The container's stdin ends (for a process started with -i and no terminal). */
  endInput(): void {
    this.send(2, Buffer.alloc(0));
  }

  /** Lets a held exec's process start (nothing for one started at once, or a main process). */
  start(): void {
    this.send(4, Buffer.alloc(0));
  }

  /** Signals an exec's process (the agent knows its pid). */
  signal(signal: NodeJS.Signals): void {
    this.send(3, Buffer.from(signal.replace(/^SIG/, '')));
  }

  pause(): void {
    this.agent.stdout?.pause();
  }

  resume(): void {
    this.agent.stdout?.resume();
  }

  /** Detaches from a main process, which runs on; hangs an exec's process up. */
  close(): void {
    this.agent.stdin?.end();
    // An exec's agent hangs up, drains and cleans up on the end of its input; an attach's may be blocked on output nobody reads.
    if (this.mode === 'attach') this.agent.kill('SIGTERM');
  }

  private send(type: number, data: Buffer): boolean {
    return this.agent.stdin?.write(encodeFrame(type, data)) ?? false;
  }
}
