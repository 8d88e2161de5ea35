import { posix } from 'node:path';
import type { Header } from 'tar-stream';
import { BerthError } from '../../shared/berth-error.js';
import { XATTR_PAX_PREFIX, type CleanHeader, type TarHeader } from './tar-format.js';
import { quoted } from './untrusted-text.js';

export type Admission = { keep: true; header: CleanHeader } | { keep: false; why: string };

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = `${XATTR_PAX_PREFIX}trusted.overlay.opaque`;
const CAPABILITY_XATTR = `${XATTR_PAX_PREFIX}security.capability`;
const USER_XATTR_PREFIX = `${XATTR_PAX_PREFIX}user.`;
// ustar's octal id fields hold 7 digits at most in tar-stream; larger ids travel in pax records.
const MAX_USTAR_ID = 0o777777;

type Kind = 'directory' | 'file' | 'symlink';

/**
 * Decides, entry by entry, what of a hostile layer tar may reach the disk, and in what form:
 * names made relative and normalised, escapes refused, devices dropped, whiteouts turned into
 * what overlayfs reads (a 0:0 character device, or the opaque xattr on a directory).
 */
export class LayerPolicy {
  private readonly kinds = new Map<string, Kind>();
  /** Paths that were ever symlinks in this layer: nothing may be written through them. */
  private readonly symlinks = new Set<string>();
  private readonly dropped = new Set<string>();
  /** Directories an opaque marker named; `covered` once an emitted header carried the xattr. */
  private readonly opaque = new Set<string>();
  private readonly covered = new Set<string>();
  private readonly directoryHeaders = new Map<string, CleanHeader>();

  constructor(private readonly what: string) {}

  /** Judges one entry: from a layer (Berth's own tar reader) or an archive copied into a container (tar-stream's). */
  admit(header: TarHeader | Header): Admission {
    const raw = header.name;
    const name = this.entryPath(raw);
    const base = posix.basename(name);

    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(raw, name, base, header);
    this.refuseThroughSymlink(raw, name);
    this.refuseReplacingSymlink(raw, name);

    const common = {
      name,
      mode: (header.mode ?? 0) & 0o7777,
      uid: paxId(header.pax, 'uid') ?? header.uid ?? 0,
      gid: paxId(header.pax, 'gid') ?? header.gid ?? 0,
      mtime: validDate(header.mtime),
    };
    const pax = idPax(common.uid, common.gid);

    switch (header.type) {
      case 'directory': {
        this.record(name, 'directory');
        const clean: CleanHeader = withPax(withPax({ ...common, type: 'directory' }, pax), keptXattrs(header.pax));
        this.directoryHeaders.set(name, clean);
        if (!this.opaque.has(name)) return { keep: true, header: clean };
        this.covered.add(name);
        return { keep: true, header: withPax(clean, { [OPAQUE_XATTR]: 'y' }) };
      }
      case 'file':
      case 'contiguous-file': {
        if (name === '.') throw this.unsafe(raw, 'a file cannot replace the layer root');
        this.record(name, 'file');
        return { keep: true, header: withPax(withPax({ ...common, type: 'file', size: header.size ?? 0 }, pax), keptXattrs(header.pax)) };
      }
      case 'symlink': {
        if (name === '.') throw this.unsafe(raw, 'a symlink cannot replace the layer root');
        // The target is resolved inside the container's root at run time, so any value is fine.
        this.record(name, 'symlink');
        this.symlinks.add(name);
        return { keep: true, header: withPax({ ...common, type: 'symlink', linkname: header.linkname ?? '' }, pax) };
      }
      case 'link': {
        if (name === '.') throw this.unsafe(raw, 'a hard link cannot replace the layer root');
        const target = this.linkTarget(raw, header.linkname ?? '');
        // link(2) resolves the target's directories: they must not be symlinks either.
        this.refuseThroughSymlink(raw, target);
        if (this.dropped.has(target)) {
          this.dropped.add(name);
          return { keep: false, why: `hard link to dropped ${target}` };
        }
        const kind = this.kinds.get(target);
        if (kind === undefined) throw this.unsafe(raw, `hard link target ${quoted(header.linkname ?? '')} is not an earlier entry of the layer`);
        if (kind === 'directory') throw this.unsafe(raw, `hard link target ${quoted(header.linkname ?? '')} is a directory`);
        this.record(name, kind);
        if (kind === 'symlink') this.symlinks.add(name);
        return { keep: true, header: withPax({ ...common, type: 'link', linkname: target }, pax) };
      }
      case 'character-device':
      case 'block-device':
      case 'fifo':
        // A layer has no business creating devices on the host; runc provides /dev.
        this.kinds.delete(name);
        this.dropped.add(name);
        return { keep: false, why: `${header.type} dropped` };
      default:
        throw this.unsafe(raw, `entry type ${String(header.type)} is not supported`);
    }
  }

  /**
   * Opaque directories whose header went out before their marker came (or never came): one more
   * directory entry carrying the xattr, for the end of the stream. Overlayfs only hides what lower
   * layers hold, so where in the layer the xattr lands does not matter.
   */
  finish(): CleanHeader[] {
    const extra: CleanHeader[] = [];
    for (const dir of this.opaque) {
      if (this.covered.has(dir)) continue;
      const header = this.directoryHeaders.get(dir) ?? { name: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
      extra.push(withPax(header, { [OPAQUE_XATTR]: 'y' }));
    }
    return extra;
  }

  private whiteout(raw: string, name: string, base: string, header: TarHeader | Header): Admission {
    const dir = posix.dirname(name);
    this.refuseThroughSymlink(raw, name);
    if (base === OPAQUE_MARKER) {
      // A header of the directory still to come carries the xattr; otherwise finish() adds one.
      this.opaque.add(dir);
      return { keep: false, why: 'opaque marker' };
    }
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return { keep: false, why: 'aufs metadata dropped' };
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw this.unsafe(raw, 'whiteout names no file');
    const target = dir === '.' ? hidden : `${dir}/${hidden}`;
    this.refuseReplacingSymlink(raw, target);
    // A whiteout is no file to link to.
    this.kinds.delete(target);
    return {
      keep: true,
      header: { name: target, type: 'character-device', mode: 0, uid: 0, gid: 0, mtime: validDate(header.mtime), devmajor: 0, devminor: 0 },
    };
  }

  /** Relative, normalised, and inside the layer; `.` is the layer root. */
  private entryPath(raw: string): string {
    if (raw.includes('\0')) throw this.unsafe(raw, 'name contains a NUL byte');
    const relative = raw.replace(/^\/+/, '');
    const normal = posix.normalize(relative === '' ? '.' : relative).replace(/\/+$/, '');
    if (normal === '..' || normal.startsWith('../')) throw this.unsafe(raw, 'path escapes the layer through ".."');
    return normal === '' ? '.' : normal;
  }

  private linkTarget(raw: string, linkname: string): string {
    if (linkname === '') throw this.unsafe(raw, 'hard link has no target');
    const relative = linkname.replace(/^\/+/, '');
    const normal = posix.normalize(relative === '' ? '.' : relative).replace(/\/+$/, '');
    if (normal === '..' || normal.startsWith('../')) throw this.unsafe(raw, `hard link target ${quoted(linkname)} escapes the layer`);
    return normal;
  }

  private refuseThroughSymlink(raw: string, name: string): void {
    for (let dir = posix.dirname(name); dir !== '.'; dir = posix.dirname(dir)) {
      if (this.symlinks.has(dir)) throw this.unsafe(raw, `path goes through the symlink ${quoted(dir)} of the same layer`);
    }
  }

  /**
   * GNU tar creates symlinks that point out of the tree last (a placeholder stands in until the
   * end), so a later entry of the same name would silently lose; and a directory there could
   * have tar set modes on the symlink's target. Layers made by diffing a tree never do this.
   */
  private refuseReplacingSymlink(raw: string, name: string): void {
    if (this.symlinks.has(name)) throw this.unsafe(raw, 'it replaces a symlink of the same layer');
  }

  private record(name: string, kind: Kind): void {
    this.kinds.set(name, kind);
    this.dropped.delete(name);
  }

  private unsafe(raw: string, why: string): BerthError {
    return new BerthError('UNSAFE_LAYER', `unsafe entry ${quoted(raw)} in ${this.what}: ${why}`);
  }
}

function withPax(header: CleanHeader, pax: Record<string, string> | undefined): CleanHeader {
  if (!pax) return header;
  return { ...header, pax: { ...header.pax, ...pax } };
}

function idPax(uid: number, gid: number): Record<string, string> | undefined {
  if (uid <= MAX_USTAR_ID && gid <= MAX_USTAR_ID) return undefined;
  return { uid: String(uid), gid: String(gid) };
}

/**
 * The extended attributes of an entry a layer may set, as Docker keeps them: file capabilities (a
 * server binary given cap_net_bind_service, ping) and `user.*`. The rest of `security.*` (SELinux
 * labels, IMA) and all of `trusted.*` go: overlayfs reads trusted.overlay.* (redirects, origins),
 * and Berth writes the one it needs, the opaque marker, itself. Files and directories only: the
 * kernel takes no `user.*` on a symlink, and a hard link shares its target's.
 */
function keptXattrs(pax: unknown): Record<string, string> | undefined {
  if (typeof pax !== 'object' || pax === null) return undefined;
  const kept = Object.entries(pax as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && (entry[0] === CAPABILITY_XATTR || entry[0].startsWith(USER_XATTR_PREFIX)),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Readers leave pax uid/gid records (for ids too big for ustar) in `header.pax`. */
function paxId(pax: unknown, key: 'uid' | 'gid'): number | undefined {
  if (typeof pax !== 'object' || pax === null) return undefined;
  const value: unknown = (pax as Record<string, unknown>)[key];
  if (typeof value !== 'string' || !/^[0-9]{1,10}$/.test(value)) return undefined;
  const id = Number(value);
  return id <= 0xffffffff ? id : undefined;
}

function validDate(value: Date | undefined): Date {
  return value && !Number.isNaN(value.getTime()) && value.getTime() >= 0 ? value : new Date(0);
}
