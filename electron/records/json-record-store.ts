import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';
import { writeFileAtomic } from './write-atomic.js';

/** What a record is checked against when read back: a zod schema fits. */
export interface RecordSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

export interface JsonRecordStoreOptions<T> {
  /** The folder of the records, one `<key>.json` each (made owner-only). */
  dir: string;
  schema: RecordSchema<T>;
  key(record: T): string;
  /** The keys of this store; other files in the folder are not its records. */
  keys: RegExp;
}

interface RecordStoreEvents<T> {
  /** A record was written (`record`) or deleted (undefined). */
  changed: [key: string, record: T | undefined];
}

/**
 * Records of one kind, one JSON file each, held in memory once loaded. Changes apply in memory at
 * once, in the order they are made, so `update` always starts from the latest record and two changes
 * made together both land; their files are written in the same order, each whole (temp file and
 * rename). A record that no longer reads is set aside in `damaged` rather than stopping the load.
 */
export class JsonRecordStore<T> extends EventEmitter<RecordStoreEvents<T>> {
  private readonly records = new Map<string, T>();
  /** Each key's last write, so the next one lands after it. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Record files that could not be read at load. */
  readonly damaged: string[] = [];

  constructor(private readonly options: JsonRecordStoreOptions<T>) {
    super();
  }

  async load(): Promise<T[]> {
    const { dir, schema, keys } = this.options;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(dir)) {
      // A write a crash cut short (this store's temp files, and those of earlier Berths).
      const temp = /^\.?(.+)\.json\..+\.tmp$/.exec(name);
      if (temp && keys.test(temp[1]!)) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      const key = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      if (!keys.test(key)) continue;
      const parsed = schema.safeParse(parseJson(await readFile(join(dir, name), 'utf8').catch(() => '')));
      if (parsed.success) this.records.set(key, parsed.data);
      else this.damaged.push(name);
    }
    return this.list();
  }

  list(): T[] {
    return [...this.records.values()];
  }

  get(key: string): T | undefined {
    return this.records.get(key);
  }

  async save(record: T): Promise<void> {
    return this.put(this.options.key(record), record);
  }

  /** Changes a record from its latest state (undefined: none yet); resolves once the change is on disk. */
  async update(key: string, change: (current: T | undefined) => T): Promise<T> {
    const next = change(this.records.get(key));
    await this.put(key, next);
    return next;
  }

  async delete(key: string): Promise<void> {
    this.checkKey(key);
    const existed = this.records.delete(key);
    if (existed) this.emit('changed', key, undefined);
    return this.chain(key, () => rm(this.file(key), { force: true }));
  }

  private async put(key: string, record: T): Promise<void> {
    this.checkKey(key);
    this.records.set(key, record);
    this.emit('changed', key, record);
    const body = `${JSON.stringify(record, null, 2)}\n`;
    return this.chain(key, () => writeFileAtomic(this.file(key), body, 0o600));
  }

  private chain(key: string, write: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(key) ?? Promise.resolve()).then(write);
    const settled = next.catch(() => {});
    this.writes.set(key, settled);
    void settled.then(() => {
      if (this.writes.get(key) === settled) this.writes.delete(key);
    });
    return next;
  }

  private checkKey(key: string): void {
    // A key becomes a file name: nothing else may reach outside the folder.
    if (!this.options.keys.test(key)) throw new BerthError('INVALID_ARGUMENT', `invalid record key: ${JSON.stringify(key)}`);
  }

  private file(key: string): string {
    return join(this.options.dir, `${key}.json`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
