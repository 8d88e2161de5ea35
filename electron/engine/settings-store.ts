import { DEFAULT_SETTINGS, Settings } from '../../shared/settings.js';
import { JsonRecordStore, type RecordSchema } from '../records/json-record-store.js';

const KEY = 'settings';

/** A settings file reads with the defaults under it, so one written by an older Berth gains the new settings. */
const SettingsFile: RecordSchema<Settings> = {
  safeParse: (value) => Settings.safeParse({ ...DEFAULT_SETTINGS, ...(typeof value === 'object' && value !== null ? value : {}) }),
};

/**
 * The user's settings as `settings.json` in the engine's home (a JsonRecordStore of one): a damaged
 * or missing file reads as the defaults, and changes made at once all land.
 */
export class SettingsStore {
  private readonly records: JsonRecordStore<Settings>;

  constructor(home: string, changed: (settings: Settings) => void) {
    this.records = new JsonRecordStore({ dir: home, schema: SettingsFile, key: () => KEY, keys: /^settings$/ });
    this.records.on('changed', (_key, settings) => changed(settings ?? DEFAULT_SETTINGS));
  }

  async load(): Promise<Settings> {
    await this.records.load();
    return this.get();
  }

  get(): Settings {
    return this.records.get(KEY) ?? DEFAULT_SETTINGS;
  }

  set(change: Partial<Settings>): Promise<Settings> {
    return this.records.update(KEY, (current) => ({ ...(current ?? DEFAULT_SETTINGS), ...change }));
  }
}
