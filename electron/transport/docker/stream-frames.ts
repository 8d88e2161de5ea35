import type { LogStream } from '../../../shared/containers.js';

const STREAM_BYTE: Record<LogStream, number> = { stdout: 1, stderr: 2 };

/**
 * Docker's multiplexed stream (a container without a terminal): each chunk behind 8 bytes, the
 * stream (1 stdout, 2 stderr), three zero bytes and the length as a big-endian uint32.
 */
export function frame(stream: LogStream, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_BYTE[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
