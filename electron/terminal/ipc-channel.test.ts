import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { packageRoot } from '../engine/engine-config.js';
import { IpcChannel } from './ipc-channel.js';

type ChildCalls = { double: { params: { n: number }; result: number }; hang: { params: null; result: null }; fail: { params: null; result: null }; askBack: { params: null; result: string } };
type ChildNotes = { echo: { data: Uint8Array }; explode: null; exit: null };
type ParentCalls = { name: { params: null; result: string } };
type ParentNotes = { echoed: { data: Uint8Array } };

/** The other end, a real forked process running the compiled channel (as the terminal host does). */
const CHILD = (channelUrl: string) => `
import { IpcChannel } from ${JSON.stringify(channelUrl)};
import { BerthError } from ${JSON.stringify(new URL('../../shared/berth-error.js', channelUrl).href)};
const channel = new IpcChannel(
  { send: (m) => process.send(m), on: (e, l) => process.on(e, l) },
  {
    double: async ({ n }) => n * 2,
    hang: () => new Promise(() => {}),
    fail: async () => { throw new BerthError('PORT_IN_USE', 'port 80 is taken', { fix: 'pick another' }); },
    askBack: async () => 'parent says ' + (await channel.call('name', null)),
  },
  {
    echo: ({ data }) => channel.notify('echoed', { data }),
    explode: () => { throw new Error('a note handler threw'); },
    exit: () => process.exit(0),
  },
  () => process.exit(0),
);
`;

describe('IpcChannel between two real processes', () => {
  let dir: TempDir;
  let child: ChildProcess;
  let channel: IpcChannel<ChildCalls, ChildNotes, ParentCalls, ParentNotes>;
  const echoed: Buffer[] = [];

  beforeEach(async () => {
    dir = await makeTempDir('berth-ipc-');
    const script = join(dir.path, 'child.mjs');
    await writeFile(script, CHILD(pathToFileURL(join(packageRoot(), 'dist', 'electron', 'terminal', 'ipc-channel.js')).href));
    child = fork(script, [], { serialization: 'advanced', execArgv: [] });
    channel = new IpcChannel<ChildCalls, ChildNotes, ParentCalls, ParentNotes>(
      { send: (message: Serializable) => child.send(message), on: (event: 'message' | 'disconnect', listener: (message: Serializable) => void) => child.on(event, listener) },
      { name: async () => 'berth' },
      { echoed: ({ data }) => void echoed.push(Buffer.from(data)) },
    );
  });

  afterEach(async () => {
    if (child.exitCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await gone;
    }
    await dir.remove();
  });

  it('answers calls both ways, keeps bytes as bytes, and carries an error with its code and fix', async () => {
    expect(await channel.call('double', { n: 21 })).toBe(42);
    expect(await channel.call('askBack', null)).toBe('parent says berth');
    const bytes = Buffer.from([0, 255, 10, 13, 0x1b]);
    channel.notify('echo', { data: bytes });
    await expect.poll(() => echoed.length).toBe(1);
    expect(echoed[0]).toEqual(bytes);
    await expect(channel.call('fail', null)).rejects.toMatchObject({ name: 'BerthError', code: 'PORT_IN_USE', message: 'port 80 is taken', fix: 'pick another' });
  });

  it('survives a note whose handler throws, and fails pending calls once the other end is gone', async () => {
    channel.notify('explode', null);
    expect(await channel.call('double', { n: 2 })).toBe(4);
    const pending = channel.call('hang', null);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    channel.notify('exit', null);
    await expect(pending).rejects.toMatchObject({ code: 'INTERNAL', message: 'the terminal host went away' });
    await exited;
    await expect(channel.call('double', { n: 4 })).rejects.toMatchObject({ code: 'INTERNAL', message: 'the terminal host went away' });
  });
});
