import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { JsonRecordStore } from './json-record-store.js';

const Counter = z.object({ name: z.string(), count: z.number().int() });
type Counter = z.infer<typeof Counter>;

describe('JsonRecordStore', () => {
  let temp: TempDir;
  let dir: string;
  const open = () => new JsonRecordStore<Counter>({ dir, schema: Counter, key: (c) => c.name, keys: /^[a-z]+$/ });

  beforeEach(async () => {
    temp = await makeTempDir('berth-records-');
    dir = join(temp.path, 'counters');
  });

  afterEach(async () => {
    await temp.remove();
  });

  it('lands every one of many changes made at once, in memory and on disk', async () => {
    const store = open();
    await store.load();
    const bump = (current: Counter | undefined): Counter => ({ name: 'clicks', count: (current?.count ?? 0) + 1 });
    await Promise.all(Array.from({ length: 50 }, () => store.update('clicks', bump)));
    expect(store.get('clicks')).toEqual({ name: 'clicks', count: 50 });
    const again = open();
    expect(await again.load()).toEqual([{ name: 'clicks', count: 50 }]);
    expect(await readdir(dir)).toEqual(['clicks.json']);
  });

  it('tells its listeners of each write and delete', async () => {
    const store = open();
    await store.load();
    const heard: [string, Counter | undefined][] = [];
    store.on('changed', (key, record) => heard.push([key, record]));
    await store.save({ name: 'a', count: 1 });
    await store.delete('a');
    await store.delete('a');
    expect(heard).toEqual([['a', { name: 'a', count: 1 }], ['a', undefined]]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('sets a damaged record aside, clears what a cut-short write left, and leaves files not its own', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'good.json'), JSON.stringify({ name: 'good', count: 2 }));
    await writeFile(join(dir, 'torn.json'), '{"name": "torn", "cou');
    await writeFile(join(dir, 'good.json.1234.tmp'), '{');
    await writeFile(join(dir, '.good.json.abcdef.tmp'), '{');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const store = open();
    expect(await store.load()).toEqual([{ name: 'good', count: 2 }]);
    expect(store.damaged).toEqual(['torn.json']);
    expect((await readdir(dir)).sort()).toEqual(['good.json', 'notes.txt', 'torn.json']);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a key that is not a plain name, writing nothing', async () => {
    const store = open();
    await store.load();
    await expect(store.save({ name: '../escape', count: 1 })).rejects.toThrow('invalid record key: "../escape"');
    expect(store.list()).toEqual([]);
    expect(await readdir(temp.path)).toEqual(['counters']);
  });
});
