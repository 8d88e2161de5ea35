import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Host } from '../host/host.js';
import { diskUsage } from '../host/disk-usage.js';
import { execChecked } from '../host/exec-checked.js';
import { hexOf } from './digest.js';
import { unpackLayer } from './unpack-layer.js';

export interface EnsureLayerOptions {
  /** Opens the layer blob (compressed or not) when the layer must be unpacked. */
  open: () => Promise<Readable>;
  what: string;
  onBytes?: (consumed: number) => void;
}

export interface LayerStoreOptions {
  /** Most bytes one layer may decompress to; DEFAULT_MAX_LAYER_BYTES when not given. */
  maxLayerBytes?: number;
}

/**
 * Unpacked layers on the host, one directory per diff id under `${dataRoot}/layers`, each the
 * lower dir of an overlay. A directory only appears under its final name once fully unpacked.
 */
export class LayerStore {
  readonly root: string;
  private readonly tmpRoot: string;
  private readonly inFlight = new Map<string, Promise<'unpacked' | 'cached'>>();
  /** A layer never changes once unpacked: its size is measured once. */
  private readonly measured = new Map<string, number>();

  constructor(
    private readonly host: Host,
    private readonly options: LayerStoreOptions = {},
  ) {
    // Host paths are Linux paths even when the engine runs on Windows.
    this.root = posix.join(host.dataRoot, 'layers');
    this.tmpRoot = posix.join(this.root, 'tmp');
  }

  path(diffId: string): string {
    return posix.join(this.root, hexOf(diffId, 'diff id'));
  }

  async has(diffId: string): Promise<boolean> {
    const stat = await this.host.stat(this.path(diffId));
    return stat?.isDirectory === true;
  }

  /** Unpacks the layer unless it is there; concurrent callers for one diff id share the work. */
  ensure(diffId: string, options: EnsureLayerOptions): Promise<'unpacked' | 'cached'> {
    const running = this.inFlight.get(diffId);
    if (running) return running.then(() => 'cached');
    const work = this.unpackOnce(diffId, options).finally(() => this.inFlight.delete(diffId));
    this.inFlight.set(diffId, work);
    return work;
  }

  /** Bytes each layer takes unpacked (0 for one not there), in the order asked. */
  async sizes(diffIds: readonly string[]): Promise<number[]> {
    const unknown = [...new Set(diffIds.filter((diffId) => !this.measured.has(diffId)))];
    if (unknown.length > 0) {
      const sizes = await diskUsage(this.host, unknown.map((diffId) => this.path(diffId)));
      for (const diffId of unknown) {
        const size = sizes.get(this.path(diffId)) ?? 0;
        if (size > 0) this.measured.set(diffId, size);
      }
    }
    return diffIds.map((diffId) => this.measured.get(diffId) ?? 0);
  }

  /** Drops what unpacks cut short by a crash left behind; call before any unpack starts. */
  async clearTemp(): Promise<void> {
    await this.host.remove(this.tmpRoot);
  }

  async remove(diffId: string): Promise<void> {
    this.measured.delete(diffId);
    await this.host.remove(this.path(diffId));
  }

  private async unpackOnce(diffId: string, options: EnsureLayerOptions): Promise<'unpacked' | 'cached'> {
    if (await this.has(diffId)) return 'cached';
    const target = this.path(diffId);
    const tmp = posix.join(this.tmpRoot, `${hexOf(diffId, 'diff id')}.${randomBytes(6).toString('hex')}`);
    await this.host.mkdir(tmp);
    try {
      const blob = await options.open();
      await unpackLayer({
        host: this.host,
        blob,
        dir: tmp,
        expectedDiffId: diffId,
        what: options.what,
        onBytes: options.onBytes,
        maxBytes: this.options.maxLayerBytes,
      });
      // -T: never move into an existing directory; another engine may have won the race.
      const moved = await this.host.exec(['mv', '-T', tmp, target]);
      if (moved.code !== 0) {
        if (await this.has(diffId)) return 'cached';
        await execChecked(this.host, ['mv', '-T', tmp, target], 'INTERNAL');
      }
      return 'unpacked';
    } finally {
      await this.host.remove(tmp);
    }
  }
}
