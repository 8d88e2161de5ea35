import { join } from 'node:path';
import { Image } from '../../shared/images.js';
import { JsonRecordStore } from '../records/json-record-store.js';

const IMAGE_ID = /^sha256:([a-f0-9]{64})$/;

/** An image's key: its config digest's hex, which also names its file. */
function keyOf(id: string): string | undefined {
  return IMAGE_ID.exec(id)?.[1];
}

/**
 * Image records, one JSON file per image under `${home}/images/<config hex>.json` (see
 * JsonRecordStore), read in on first use.
 */
export class ImageRecords {
  private readonly store: JsonRecordStore<Image>;
  private loaded: Promise<unknown> | undefined;

  constructor(home: string, changed: () => void) {
    this.store = new JsonRecordStore({ dir: join(home, 'images'), schema: Image, key: (image) => keyOf(image.id) ?? image.id, keys: /^[a-f0-9]{64}$/ });
    this.store.on('changed', () => changed());
  }

  async all(): Promise<Image[]> {
    await this.ready();
    return this.store.list();
  }

  async get(id: string): Promise<Image | undefined> {
    const key = keyOf(id);
    if (!key) return undefined;
    await this.ready();
    return this.store.get(key);
  }

  async save(image: Image): Promise<void> {
    await this.ready();
    await this.store.save(image);
  }

  async delete(id: string): Promise<void> {
    const key = keyOf(id);
    if (!key) return;
    await this.ready();
    await this.store.delete(key);
  }

  private ready(): Promise<unknown> {
    return (this.loaded ??= this.store.load());
  }
}
