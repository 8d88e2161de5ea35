import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_SETTINGS, Settings } from '../../shared/settings.js';

/** The user's settings as one JSON file in the engine's home, written atomically; a damaged or missing one reads as the defaults. */
export class SettingsStore {
  private current: Settings = DEFAULT_SETTINGS;
  private readonly path: string;

  constructor(home: string) {
    this.path = join(home, 'settings.json');
  }

  async load(): Promise<Settings> {
    const text = await readFile(this.path, 'utf8').catch(() => '{}');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = {};
    }
    const result = Settings.safeParse({ ...DEFAULT_SETTINGS, ...(typeof parsed === 'object' ? parsed : {}) });
    this.current = result.success ? result.data : DEFAULT_SETTINGS;
    return this.current;
  }

  get(): Settings {
    return this.current;
  }

  async set(change: Partial<Settings>): Promise<Settings> {
    const next: Settings = { ...this.current, ...change };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 2), { mode: 0o600 });
    await rename(tmp, this.path);
    this.current = next;
    return next;
  }
}
