import { mkdir, open, readFile, readlink, rm, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { writeFileAtomic } from '../../records/write-atomic.js';
import type { ExecOptions, ExecResult, FileStat, Host, HostProcess, PortPath, SpawnOptions, UnixListener } from '../host.js';
import { pipeIntoProcess, runProcess, spawnProcess } from './local-process.js';
import { connectUnixSocket, listenUnixSocket } from './unix-socket.js';

/** Linux itself: argv runs directly and paths are this machine's. */
export class LocalHost implements Host {
  readonly kind = 'local' as const;
  readonly windowsPaths = false;
  readonly ownLinux = false;
  readonly readyMessage = 'Local Linux host';

  constructor(readonly dataRoot: string) {}

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return runProcess(argv, options);
  }

  spawn(argv: string[], options: SpawnOptions = {}): HostProcess {
    return spawnProcess(argv, options);
  }

  commandLine(argv: string[]): string[] {
    return argv;
  }

  pipeIn(argv: string[], input: Readable, options: ExecOptions = {}): Promise<ExecResult> {
    return pipeIntoProcess(argv, input, options);
  }

  linuxPath(path: string): string | undefined {
    return path.startsWith('/') ? posix.normalize(path) : undefined;
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async readTail(path: string, bytes: number): Promise<Buffer> {
    let file;
    try {
      file = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    }
    try {
      const { size } = await file.stat();
      const length = Math.min(bytes, size);
      const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    return writeFileAtomic(path, data, mode);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(path);
      return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async readlink(path: string): Promise<string | undefined> {
    try {
      return await readlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  /** The container's namespace is routable from here: the relay connects to it directly. */
  async openPorts(containerAddress: string): Promise<PortPath> {
    return { address: containerAddress, port: 'guest' };
  }

  /** Nothing was opened: the relay reached the container directly. */
  async closePorts(): Promise<void> {}

  listenUnix(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
    return listenUnixSocket(path, mode, onConnection);
  }

  connectUnix(path: string): Promise<Duplex> {
    return connectUnixSocket(path);
  }

  async close(): Promise<void> {}
}
