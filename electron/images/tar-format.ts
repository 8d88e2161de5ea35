/**
 * The tar wire format as layers use it (POSIX ustar with pax records, GNU long names): decoding the
 * header blocks of an untrusted tar, and encoding clean ones. Bodies are not this module's business.
 */

export const BLOCK_BYTES = 512;
/** Most bytes of one pax record set or GNU long name: real ones are a few hundred bytes. */
export const MAX_EXTENSION_BYTES = 1024 * 1024;

export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'pax-header'
  | 'pax-global-header'
  | 'gnu-long-path'
  | 'gnu-long-link-path'
  | `unknown-${number}`;

/** One entry's header as the archive says it, long names and pax records applied. */
export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of body that follow the header (before padding), whatever the type. */
  size: number;
  mtime: Date;
  linkname: string;
  devmajor: number;
  devminor: number;
  pax?: Record<string, string>;
}

const TYPES: Record<number, TarEntryType> = {
  0: 'file',
  [0x30]: 'file',
  [0x31]: 'link',
  [0x32]: 'symlink',
  [0x33]: 'character-device',
  [0x34]: 'block-device',
  [0x35]: 'directory',
  [0x36]: 'fifo',
  [0x37]: 'contiguous-file',
  [0x78]: 'pax-header',
  [0x67]: 'pax-global-header',
  [0x4c]: 'gnu-long-path',
  [0x4b]: 'gnu-long-link-path',
};
const TYPE_FLAGS: Partial<Record<TarEntryType, number>> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  'character-device': 0x33,
  directory: 0x35,
  'pax-header': 0x78,
};

// ustar is told by its magic alone (writers differ in the version that follows); GNU by both.
const USTAR_MAGIC = Buffer.from('ustar\x00', 'latin1');
const USTAR_VERSION = Buffer.from('00', 'latin1');
const GNU_MAGIC = Buffer.from('ustar  \x00', 'latin1');

/** Padding that follows a body of `size` bytes. */
export function paddingOf(size: number): number {
  return (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES;
}

/** A header block, or undefined for an all-zero block (end-of-archive marker or filler). */
export function decodeHeader(block: Buffer): TarHeader | undefined {
  if (isZero(block)) return undefined;
  const stored = decodeNumber(block, 148, 8, 'checksum');
  const { unsigned, signed } = checksums(block);
  if (stored !== unsigned && stored !== signed) throw new Error('invalid tar header checksum');
  const ustar = block.compare(USTAR_MAGIC, 0, USTAR_MAGIC.length, 257, 263) === 0;
  if (!ustar && block.compare(GNU_MAGIC, 0, GNU_MAGIC.length, 257, 265) !== 0) throw new Error('tar header of an unknown format (neither ustar nor GNU)');
  let name = decodeString(block, 0, 100);
  // ustar splits long names; the GNU format keeps other fields where the prefix would be.
  if (ustar && block[345] !== 0) name = `${decodeString(block, 345, 155)}/${name}`;
  const flag = block[156] ?? 0;
  let type = TYPES[flag] ?? `unknown-${flag}`;
  // Old tars mark directories by a trailing slash alone.
  if (flag === 0 && name.endsWith('/')) type = 'directory';
  return {
    name,
    type,
    mode: decodeNumber(block, 100, 8, 'mode', MAX_MODE),
    uid: decodeNumber(block, 108, 8, 'uid', MAX_OWNER_ID),
    gid: decodeNumber(block, 116, 8, 'gid', MAX_OWNER_ID),
    size: decodeNumber(block, 124, 12, 'size', Number.MAX_SAFE_INTEGER),
    mtime: new Date(decodeNumber(block, 136, 12, 'mtime') * 1000),
    linkname: decodeString(block, 157, 100),
    devmajor: decodeNumber(block, 329, 8, 'devmajor'),
    devminor: decodeNumber(block, 337, 8, 'devminor'),
  };
}

/** The pax key prefix of an extended attribute: `SCHILY.xattr.security.capability`. */
export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

/**
 * An extended attribute's value is bytes, not text (a file capability is a binary struct): it is
 * kept one character per byte (latin1), and written back the same way. Every other value is UTF-8.
 */
function valueEncoding(key: string): BufferEncoding {
  return key.startsWith(XATTR_PAX_PREFIX) ? 'latin1' : 'utf8';
}

/** Pax records (`LEN KEY=VALUE\n` each); see valueEncoding for how values are read. */
export function decodePax(bytes: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  for (let at = 0; at < bytes.length; ) {
    const space = bytes.indexOf(0x20, at);
    const length = space > at && space - at <= 20 ? Number(bytes.toString('latin1', at, space)) : NaN;
    if (!Number.isSafeInteger(length) || length <= space - at + 2 || at + length > bytes.length || bytes[at + length - 1] !== 0x0a) {
      // GNU tar pads a record set with NULs; anything else is a malformed record.
      if (bytes.subarray(at).every((byte) => byte === 0)) break;
      throw new Error('malformed pax record');
    }
    const equals = bytes.indexOf(0x3d, space + 1);
    if (equals <= space + 1 || equals >= at + length) throw new Error('malformed pax record');
    const key = bytes.toString('utf8', space + 1, equals);
    records[key] = bytes.toString(valueEncoding(key), equals + 1, at + length - 1);
    at += length;
  }
  return records;
}

/** A GNU long name or link: the body up to its first NUL. */
export function decodeLongName(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end);
}

/** A header as Berth writes it: the fields GNU tar reads back, nothing else; `pax` carries records (xattrs, big ids). */
export interface CleanHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

const MAX_ID = 0o7777777;
const MAX_SIZE = 0o77777777777;

/**
 * The header blocks of one entry: a pax header first when a field does not fit ustar (long
 * names, big ids or sizes) or records are given, then the ustar header.
 */
export function encodeHeader(header: CleanHeader): Buffer {
  const name = header.type === 'directory' && !header.name.endsWith('/') ? `${header.name}/` : header.name;
  const linkname = header.linkname ?? '';
  const size = header.type === 'file' ? (header.size ?? 0) : 0;
  const seconds = Math.max(0, Math.floor(header.mtime.getTime() / 1000));
  const pax: Record<string, string> = { ...header.pax };
  if (Buffer.byteLength(name) > 100) pax.path = name;
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (header.uid > MAX_ID) pax.uid = String(header.uid);
  if (header.gid > MAX_ID) pax.gid = String(header.gid);
  if (size > MAX_SIZE) pax.size = String(size);
  if (seconds > MAX_SIZE) pax.mtime = String(seconds);
  const main = ustarBlock({
    name,
    flag: TYPE_FLAGS[header.type] ?? 0x30,
    mode: header.mode,
    uid: Math.min(header.uid, MAX_ID),
    gid: Math.min(header.gid, MAX_ID),
    size: Math.min(size, MAX_SIZE),
    mtime: Math.min(seconds, MAX_SIZE),
    linkname,
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
  });
  if (Object.keys(pax).length === 0) return main;
  const records = encodePax(pax);
  const paxHeader = ustarBlock({ name: 'PaxHeader', flag: TYPE_FLAGS['pax-header'] as number, mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0 });
  return Buffer.concat([paxHeader, records, Buffer.alloc(paddingOf(records.length)), main]);
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK_BYTES);
}

interface UstarFields {
  name: string;
  flag: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function ustarBlock(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  // Names past 100 bytes travel in a pax record; the field keeps what fits, as GNU tar does.
  writeString(block, fields.name, 0, 100);
  writeOctal(block, fields.mode, 100, 8);
  writeOctal(block, fields.uid, 108, 8);
  writeOctal(block, fields.gid, 116, 8);
  writeOctal(block, fields.size, 124, 12);
  writeOctal(block, fields.mtime, 136, 12);
  block[156] = fields.flag;
  writeString(block, fields.linkname, 157, 100);
  USTAR_MAGIC.copy(block, 257);
  USTAR_VERSION.copy(block, 263);
  writeOctal(block, fields.devmajor, 329, 8);
  writeOctal(block, fields.devminor, 337, 8);
  block.write(`${checksums(block).unsigned.toString(8).padStart(6, '0')}\x00 `, 148, 8, 'latin1');
  return block;
}

function encodePax(records: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), Buffer.from(value, valueEncoding(key)), Buffer.from('\n')]);
      // The length counts its own digits.
      let length = body.length + String(body.length).length;
      if (String(length).length + body.length !== length) length = body.length + String(length).length;
      return Buffer.concat([Buffer.from(String(length)), body]);
    }),
  );
}

function writeString(block: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(block, offset, 0, Math.min(bytes.length, length));
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\x00`, offset, length, 'latin1');
}

const MAX_MODE = 0o7777777;
const MAX_OWNER_ID = 0xffffffff;

/**
 * Octal (NUL- or space-terminated, maybe space-led) or, with the high bit set, base-256; with
 * `max`, a value outside 0..max is refused.
 */
function decodeNumber(block: Buffer, offset: number, length: number, field: string, max?: number): number {
  const value = decodeRawNumber(block, offset, length, field);
  if (max !== undefined && (value < 0 || value > max)) throw new Error(`tar header with an invalid ${field}`);
  return value;
}

function decodeRawNumber(block: Buffer, offset: number, length: number, field: string): number {
  const end = offset + length;
  const first = block[offset] as number;
  if (first & 0x80) {
    const negative = first === 0xff;
    if (!negative && first !== 0x80) throw new Error(`tar header with an invalid ${field}`);
    let value = 0;
    for (let at = offset + 1; at < end; at++) value = value * 256 + (negative ? 0xff - (block[at] as number) : (block[at] as number));
    if (!Number.isSafeInteger(value)) throw new Error(`tar header with an invalid ${field}`);
    return negative ? -(value + 1) : value;
  }
  let at = offset;
  while (at < end && block[at] === 0x20) at++;
  let value = 0;
  for (; at < end; at++) {
    const byte = block[at] as number;
    if (byte === 0 || byte === 0x20) break;
    if (byte < 0x30 || byte > 0x37) throw new Error(`tar header with an invalid ${field}`);
    value = value * 8 + (byte - 0x30);
  }
  return value;
}

function decodeString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** Header sums with the checksum field read as spaces: bytes as unsigned, and as old tars' signed chars. */
function checksums(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}
