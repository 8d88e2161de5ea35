import { appendFile, rename, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { LocalHost } from '../host/local/local-host.js';
import { followLog, lastOutput, LogEntryReader, parseLogEntry, readLog, type LogEntry } from './container-log.js';

const T = '2026-12-03T08:03:36.575114290+00:00';
const text = (entries: LogEntry[]) => entries.map((e) => `${e.stream}:${e.data.toString()}`).join('');

describe('container log entries', () => {
  it('reads conmon lines with their stream and time, and partial lines without a newline', () => {
    expect(parseLogEntry(Buffer.from(`${T} stderr F oops: a b`))).toEqual({ stream: 'stderr', time: T, data: Buffer.from('oops: a b\n'), partial: false });
    expect(parseLogEntry(Buffer.from(`${T} stdout P abc`))).toMatchObject({ stream: 'stdout', data: Buffer.from('abc'), partial: true });
    expect(parseLogEntry(Buffer.from(`${T} stdout F `))).toMatchObject({ data: Buffer.from('\n') });
  });

  it('reads what an earlier Berth wrote raw as stdout without a time', () => {
    expect(parseLogEntry(Buffer.from('plain old output'))).toEqual({ stream: 'stdout', time: '', data: Buffer.from('plain old output\n'), partial: false });
    expect(parseLogEntry(Buffer.from(`${T} stdin F x`)).time).toBe('');
  });

  it('keeps a line cut between two chunks whole', () => {
    const reader = new LogEntryReader();
    expect(reader.push(Buffer.from(`${T} stdout F o`))).toEqual([]);
    expect(text(reader.push(Buffer.from(`ne\n${T} stderr F two\n${T} std`)))).toBe('stdout:one\nstderr:two\n');
    expect(text(reader.push(Buffer.from(`out F three\n`)))).toBe('stdout:three\n');
  });
});

describe('container log files', () => {
  let dir: TempDir;
  let host: LocalHost;
  let path: string;
  const limits = { maxBytes: 100, keep: 2, checkMs: 1000 };

  beforeEach(async () => {
    dir = await makeTempDir('berth-log-');
    host = new LocalHost(dir.path);
    path = `${dir.path}/container.log`;
  });
  afterEach(() => dir.remove());

  it("reads an earlier Berth's rotated files oldest first, then the live one, and tails across them", async () => {
    await writeFile(`${path}.2`, 'one\n');
    await writeFile(`${path}.1`, 'two\n');
    await writeFile(path, `${T} stderr F three\n`);
    expect(text(await readLog(host, path, limits))).toBe('stdout:one\nstdout:two\nstderr:three\n');
    expect(text(await readLog(host, path, limits, 2))).toBe('stdout:two\nstderr:three\n');
    expect(await readLog(host, `${dir.path}/missing.log`, limits)).toEqual([]);
  });

  it('keeps the last lines of output as text, without their stamps or control characters', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${T} ${i % 2 ? 'stderr' : 'stdout'} F \x1b[31mline ${i}\x1b[0m\n`);
    await writeFile(path, lines.join(''));
    expect(await lastOutput(host, path)).toBe(['line 2995', 'line 2996', 'line 2997', 'line 2998', 'line 2999'].join('\n'));
    await writeFile(path, `${T} stdout F only line\n`);
    expect(await lastOutput(host, path)).toBe('only line');
    expect(await lastOutput(host, `${dir.path}/missing.log`)).toBe('');
  });

  it('follows into what is written next, and on into the new file after a rotation, losing nothing', async () => {
    await writeFile(`${path}.1`, 'old\n');
    await writeFile(path, `${T} stdout F live\n`);
    // A live process stands in for the monitor; when it ends, the follower ends too.
    const monitor = host.spawn(['sleep', '30']);
    await writeFile(`${dir.path}/conmon.pid`, String(monitor.pid));
    const follower = followLog(host, path, limits, `${dir.path}/conmon.pid`);
    const reader = new LogEntryReader();
    const seen: LogEntry[] = [];
    const waitFor = (line: string) =>
      new Promise<void>((resolve) => {
        const check = () => (text(seen).includes(line) ? resolve() : setTimeout(check, 10));
        check();
      });
    follower.stdout?.on('data', (b: Buffer) => seen.push(...reader.push(b)));
    await waitFor('live');
    await appendFile(path, `${T} stderr F next\n`);
    await waitFor('next');
    // As a rotation goes: the log is renamed away, conmon still writes to it, then opens a new one.
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, `${T} stdout F last-of-old\n`);
    await writeFile(path, `${T} stdout F first-of-new\n`);
    await waitFor('first-of-new');
    await appendFile(path, `${T} stdout F after\n`);
    monitor.kill('SIGTERM');
    await follower.exited;
    expect(text(seen)).toBe('stdout:old\nstdout:live\nstderr:next\nstdout:last-of-old\nstdout:first-of-new\nstdout:after\n');
  });

  it('follows from the last lines when asked for a tail, and ends at once when no monitor runs', async () => {
    await writeFile(path, ['a', 'b', 'c'].map((l) => `${T} stdout F ${l}\n`).join(''));
    const follower = followLog(host, path, limits, `${dir.path}/conmon.pid`, 2);
    const chunks: Buffer[] = [];
    follower.stdout?.on('data', (b: Buffer) => chunks.push(b));
    expect(await follower.exited).toBe(0);
    expect(text(new LogEntryReader().push(Buffer.concat(chunks)))).toBe('stdout:b\nstdout:c\n');
  });
});
