import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';
import { decompress, DEFAULT_MAX_LAYER_BYTES, EXPANSION_RATIO_FLOOR_BYTES, MAX_EXPANSION_RATIO } from './decompress.js';
import { sanitiseLayer } from './sanitise-layer.js';

/**
 * GNU tar (1.34) on the host: xattrs are read from the pax records and only those the layer policy
 * keeps are applied (overlayfs' opaque marker, file capabilities, `user.*`); owners are kept by
 * number, modes (setuid too) as given.
 */
export function extractArgv(dir: string): string[] {
  return [
    'tar', '-x', '-f', '-', '--numeric-owner', '-p', '--same-owner',
    '--xattrs', '--xattrs-include=trusted.overlay.opaque', '--xattrs-include=security.capability', '--xattrs-include=user.*',
    '-C', dir,
  ];
}

// A hang guard for one layer, not a budget: big layers on slow disks take minutes.
const UNPACK_TIMEOUT_MS = 30 * 60 * 1000;

export interface UnpackResult {
  /** sha256 of the uncompressed tar, as the config's rootfs.diff_ids names it. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

export interface UnpackOptions {
  host: Host;
  /** The layer blob, compressed or not. */
  blob: Readable;
  /** An empty host-side directory to unpack into. */
  dir: string;
  /** The diff id the config promises; a different one is DIGEST_MISMATCH. */
  expectedDiffId: string;
  /** For messages: e.g. `layer sha256:ab12... of busybox:latest`. */
  what: string;
  /** Called with the count of blob bytes consumed so far. */
  onBytes?: (consumed: number) => void;
  /** Most bytes the layer may decompress to; DEFAULT_MAX_LAYER_BYTES when not given. */
  maxBytes?: number;
}

/** Decompresses, hashes, sanitises and extracts one layer into `dir` through the host's tar. */
export async function unpackLayer(options: UnpackOptions): Promise<UnpackResult> {
  const { host, dir, what } = options;
  const counted = options.blob.pipe(new ByteCounter(options.onBytes));
  options.blob.on('error', (err) => counted.destroy(err));
  const uncompressed = await decompress(counted, what, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_LAYER_BYTES,
    maxRatio: MAX_EXPANSION_RATIO,
    ratioFloorBytes: EXPANSION_RATIO_FLOOR_BYTES,
  });
  const digester = new Digester();
  uncompressed.on('error', (err) => digester.destroy(err));
  const clean = sanitiseLayer(uncompressed.pipe(digester), what);

  let refusal: unknown;
  clean.on('error', (err) => {
    refusal ??= err;
  });
  const result = await host.pipeIn(extractArgv(dir), clean, { timeoutMs: UNPACK_TIMEOUT_MS }).catch((err: unknown) => {
    refusal ??= err;
    return undefined;
  });
  if (refusal !== undefined) {
    throw refusal instanceof BerthError ? refusal : new BerthError('UNSAFE_LAYER', `${what} could not be read: ${refusal instanceof Error ? refusal.message : String(refusal)}`);
  }
  if (!result || result.code !== 0) {
    const said = result ? result.stderr.toString().trim().split('\n').pop() ?? '' : 'no result';
    throw new BerthError('INTERNAL', `unpacking ${what} failed: ${said}`, { detail: { exitCode: result?.code } });
  }
  const diffId = digester.digest();
  if (diffId !== options.expectedDiffId) {
    throw new BerthError('DIGEST_MISMATCH', `${what} unpacks to ${diffId}, but its config promises ${options.expectedDiffId}`);
  }
  return { diffId, size: digester.size };
}

/** Passes bytes through while hashing them. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Passes bytes through while reporting how many went by. */
class ByteCounter extends Transform {
  private consumed = 0;

  constructor(private readonly onBytes: ((consumed: number) => void) | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.consumed += chunk.length;
    this.onBytes?.(this.consumed);
    callback(null, chunk);
  }
}
