import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Container } from '../../shared/containers.js';

/**
 * Container records, one JSON file each, written atomically (temp file + rename) so a crash
 * mid-write leaves the old record, never half of a new one.
 */
export class ContainerStore {
  private readonly records = new Map<string, Container>();
  /** Record files that could not be read at load. */
  readonly damaged: string[] = [];
  /** Writes of one record are chained so an older snapshot never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  async load(): Promise<Container[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const file of await readdir(this.dir)) {
      if (file.endsWith('.tmp')) {
        await rm(join(this.dir, file), { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      const text = await readFile(join(this.dir, file), 'utf8').catch(() => '');
      const parsed = Container.safeParse(parseJson(text));
      if (parsed.success) this.records.set(parsed.data.id, parsed.data);
      // One damaged record must not keep the engine from starting: it is set aside and reported.
      else this.damaged.push(file);
    }
    return this.list();
  }

  list(): Container[] {
    return [...this.records.values()];
  }

  running(): Container[] {
    return this.list().filter((c) => c.state.status === 'running');
  }

  get(id: string): Container | undefined {
    return this.records.get(id);
  }

  save(container: Container): Promise<void> {
    this.records.set(container.id, container);
    const path = join(this.dir, `${container.id}.json`);
    const body = JSON.stringify(container, null, 2);
    return this.chain(container.id, async () => {
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, body, { mode: 0o600 });
      await rename(tmp, path);
    });
  }

  delete(id: string): Promise<void> {
    this.records.delete(id);
    return this.chain(id, () => rm(join(this.dir, `${id}.json`), { force: true }));
  }

  private chain(id: string, write: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(id) ?? Promise.resolve()).then(write);
    const settled = next.catch(() => {});
    this.writes.set(id, settled);
    void settled.then(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return next;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
