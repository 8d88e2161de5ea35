import { timeCommand } from './timed-command.js';

export interface IperfResult {
  /** Bytes per second the receiver got. */
  bytesPerSecond: number;
  seconds: number;
}

interface IperfJson {
  error?: string;
  end?: { sum_received?: { bytes: number; seconds: number; bits_per_second: number } };
}

/**
 * One iperf3 run of `bytes` through host:port: into the server by default, out of it with
 * `reverse` (-R). One TCP stream, iperf3's default 128 KiB writes.
 */
export async function iperfRun(iperf3: string, host: string, port: number, bytes: number, reverse: boolean): Promise<IperfResult> {
  const argv = [iperf3, '-c', host, '-p', String(port), '-n', String(bytes), '-J', ...(reverse ? ['-R'] : [])];
  const result = await timeCommand(argv, { timeoutMs: 120_000 });
  let json: IperfJson;
  try {
    json = JSON.parse(result.stdout) as IperfJson;
  } catch {
    throw new Error(`iperf3 to ${host}:${port} printed no result (exit ${result.code}): ${result.stderr.trim()}`);
  }
  const sum = json.end?.sum_received;
  if (json.error || !sum) throw new Error(`iperf3 to ${host}:${port} failed: ${json.error ?? 'no summary'}`);
  return { bytesPerSecond: sum.bits_per_second / 8, seconds: sum.seconds };
}
