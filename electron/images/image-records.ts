import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Image } from '../../shared/images.js';

/**
 * Image records, one JSON file per image under `${home}/images/<config hex>.json`, each written
 * whole and renamed into place so a crash leaves the old record or the new one.
 */
export class ImageRecords {
  private readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'images');
  }

  async all(): Promise<Image[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const images: Image[] = [];
    for (const name of names) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      const image = await this.read(join(this.dir, name));
      if (image) images.push(image);
    }
    return images;
  }

  async get(id: string): Promise<Image | undefined> {
    if (!/^sha256:[a-f0-9]{64}$/.test(id)) return undefined;
    return this.read(this.file(id));
  }

  async save(image: Image): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(image.id);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(image, null, 2)}\n`);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  private file(id: string): string {
    return join(this.dir, `${id.replace(/^sha256:/, '')}.json`);
  }

  private async read(file: string): Promise<Image | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const parsed = Image.safeParse(JSON.parse(text));
      // A record that no longer reads (hand-edited, older format) is skipped rather than fatal.
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
