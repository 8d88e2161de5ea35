import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BerthError } from '../../shared/berth-error.js';
import { VOLUME_NAME, type Volume } from '../../shared/mounts.js';
import { diskUsage } from '../host/disk-usage.js';
import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';

/** `volume ls` in one command: each volume's name, when it was made and its labels (one line of JSON; none in volumes of earlier Berths). */
const LIST_SCRIPT = 'cd "$1" 2>/dev/null || exit 0; for v in *; do [ -f "$v/created" ] && printf "%s %s %s\\n" "$v" "$(cat "$v/created")" "$(cat "$v/labels.json" 2>/dev/null || echo {})"; done; exit 0';
/**
 * Made beside its final place and renamed in, so a volume is either whole or absent. A name that
 * exists already is kept as it is, as `docker volume create` does.
 */
const CREATE_SCRIPT = [
  'v="$1/$2"; [ -d "$v" ] && exit 0',
  't="$1/.$2.$$.tmp"; mkdir -p "$t/_data" && printf "%s" "$3" >"$t/created" && printf "%s" "$4" >"$t/labels.json" && mv -T "$t" "$v" && exit 0',
  'rm -rf "$t"; [ -d "$v" ]',
].join('\n');

/** Named volumes: folders under the engine's Linux-side data, each with its data in _data (as Docker keeps them). */
export class VolumeStore {
  constructor(private readonly host: Host) {}

  private get root(): string {
    return `${this.host.dataRoot}/volumes`;
  }

  /** Where a volume's data is on the Linux side. */
  dataPath(name: string): string {
    return `${this.root}/${name}/_data`;
  }

  async list(usedBy: (name: string) => string[]): Promise<Volume[]> {
    const result = await execChecked(this.host, ['sh', '-c', LIST_SCRIPT, 'berth-volumes', this.root], 'INTERNAL');
    return result.stdout
      .toString()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [name = '', created = '', ...labels] = line.split(' ');
        return { name, created, mountpoint: this.dataPath(name), usedBy: usedBy(name), labels: parseLabels(labels.join(' ')) };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Makes the volume unless it exists; without a name, a random one (as Docker does). Call under the name's lock. */
  async create(name: string = randomBytes(32).toString('hex'), labels: Record<string, string> = {}): Promise<{ name: string }> {
    if (!VOLUME_NAME.test(name) || name.length > 255) {
      throw new BerthError('INVALID_ARGUMENT', `invalid volume name "${name}"`, { fix: 'use letters, digits, _ . - and start with a letter or digit' });
    }
    await this.host.mkdir(this.root);
    await execChecked(this.host, ['sh', '-c', CREATE_SCRIPT, 'berth-volume-create', this.root, name, new Date().toISOString(), JSON.stringify(labels)], 'INTERNAL');
    return { name };
  }

  async exists(name: string): Promise<boolean> {
    return (await this.host.stat(`${this.root}/${name}/created`)) !== undefined;
  }

  /** Bytes of each volume's data. */
  async sizes(names: readonly string[]): Promise<Map<string, number>> {
    const measured = await diskUsage(this.host, names.map((name) => this.dataPath(name)));
    return new Map(names.map((name) => [name, measured.get(this.dataPath(name)) ?? 0]));
  }

  /** Deletes the volume and its data. The caller has checked that no container uses it; call under the name's lock. */
  async remove(name: string): Promise<void> {
    if (!VOLUME_NAME.test(name) || !(await this.exists(name))) throw new BerthError('VOLUME_NOT_FOUND', `no such volume: ${name}`);
    // Never across a mount: a folder that somehow ended up mounted inside is not the volume's to delete.
    await execChecked(this.host, ['rm', '-rf', '--one-file-system', '--', `${this.root}/${name}`], 'INTERNAL');
  }
}

const Labels = z.record(z.string(), z.string());

/** A volume's labels as kept: anything else (a damaged file) reads as none. */
function parseLabels(text: string): Record<string, string> {
  try {
    const parsed = Labels.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
