import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../shared/berth-error.js';
import { sanitiseLayer } from './sanitise-layer.js';
import { decodeHeader, encodeHeader } from './tar-format.js';
import { extractArgv } from './unpack-layer.js';

// The tar's entries are only decoded and written anew, never built by the same code that reads them:
// GNU tar makes the input in each of its formats and extracts what the sanitiser gives back.
let root: string;
let source: string;
const LONG_DIR = `deep/${'d'.repeat(120)}`;
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(90)}.txt`;
const BIG_ID = 3_000_000;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-sanitise-'));
  source = join(root, 'source');
  mkdirSync(join(source, LONG_DIR), { recursive: true });
  writeFileSync(join(source, LONG_FILE), 'long name\n');
  writeFileSync(join(source, 'secret'), 'mode zero\n');
  chmodSync(join(source, 'secret'), 0);
  writeFileSync(join(source, 'empty'), '');
  writeFileSync(join(source, 'odd.bin'), Buffer.alloc(513, 7));
  linkSync(join(source, 'odd.bin'), join(source, 'odd-link.bin'));
  symlinkSync(`../${'t'.repeat(150)}`, join(source, 'far-link'));
});

afterAll(() => {
  execFileSync('rm', ['-rf', root]);
});

function gnuTar(format: string, extra: string[] = [], paths = ['.']): Buffer {
  return execFileSync('tar', ['-c', '-f', '-', `--format=${format}`, '--sort=name', ...extra, '-C', source, ...paths], { maxBuffer: 16 * 1024 * 1024 });
}

async function cleaned(tar: Buffer): Promise<Buffer> {
  return buffer(sanitiseLayer(Readable.from([tar]), 'test layer'));
}

function extract(tar: Buffer, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  execFileSync('tar', ['-x', '-f', '-', '--numeric-owner', '-p', '--same-owner', '-C', dir], { input: tar });
  return dir;
}

describe('sanitiseLayer', () => {
  // ustar alone cannot hold the 150-byte link target; posix is ustar with pax records.
  it.each(['gnu', 'posix', 'oldgnu'])('passes a %s tar through with long names, links, modes and big ids intact', async (format) => {
    const owner = [`--owner=big:${BIG_ID}`, `--group=big:${BIG_ID + 1}`];
    const dir = extract(await cleaned(gnuTar(format, owner)), `out-${format}`);
    expect(readFileSync(join(dir, LONG_FILE), 'utf8')).toBe('long name\n');
    expect(statSync(join(dir, 'secret')).mode & 0o7777).toBe(0);
    expect(statSync(join(dir, 'empty')).size).toBe(0);
    expect(readFileSync(join(dir, 'odd.bin'))).toEqual(Buffer.alloc(513, 7));
    expect(statSync(join(dir, 'odd-link.bin')).ino).toBe(statSync(join(dir, 'odd.bin')).ino);
    expect(readlinkSync(join(dir, 'far-link'))).toBe(`../${'t'.repeat(150)}`);
    expect([lstatSync(join(dir, 'secret')).uid, lstatSync(join(dir, 'secret')).gid]).toEqual([BIG_ID, BIG_ID + 1]);
  });

  it('reads every byte of its input, trailing filler too, whoever hashes it upstream', async () => {
    const tar = Buffer.concat([gnuTar('posix'), Buffer.alloc(20 * 1024)]);
    let read = 0;
    const counted = Readable.from(
      (async function* () {
        for (let at = 0; at < tar.length; at += 4096) {
          const chunk = tar.subarray(at, at + 4096);
          read += chunk.length;
          yield chunk;
        }
      })(),
    );
    await buffer(sanitiseLayer(counted, 'test layer'));
    expect(read).toBe(tar.length);
  });

  it.each([
    ['a header whose checksum is wrong', (tar: Buffer) => Buffer.concat([Buffer.from('x'), tar.subarray(1)]), /is not a valid layer: invalid tar header checksum$/],
    ['a v7 header (no ustar magic)', () => gnuTar('v7', [], ['secret']), /is not a valid layer: tar header of an unknown format/],
    ['a file that ends early', (tar: Buffer) => tar.subarray(0, 1000), /is not a valid layer: Unexpected end of data$/],
  ])('refuses %s in one clear line', async (_name, mangle, pattern) => {
    const err = await cleaned(mangle(gnuTar('posix'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('UNSAFE_LAYER');
    expect((err as BerthError).message).toMatch(/^test layer /);
    expect((err as BerthError).message).toMatch(pattern);
  });
});

/** An extended attribute's bytes (hex), or undefined; Node has no xattr call, Python does. */
function xattr(path: string, name: string): string | undefined {
  const script = 'import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())\nexcept OSError: print("-")';
  const out = execFileSync('python3', ['-c', script, path, name]).toString().trim();
  return out === '-' ? undefined : out;
}

describe('extended attributes', () => {
  it('keeps file capabilities and user.* byte for byte, and drops trusted.*', async () => {
    const dir = join(root, 'xattr-source');
    mkdirSync(dir);
    const binary = join(dir, 'server');
    writeFileSync(binary, 'not really a server\n');
    execFileSync('setcap', ['cap_net_bind_service+ep', binary]);
    const setxattr = 'import os,sys\nos.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))';
    // Not UTF-8: a value read as text would come back changed.
    execFileSync('python3', ['-c', setxattr, binary, 'user.blob', '00ff80fe7f']);
    execFileSync('python3', ['-c', setxattr, binary, 'trusted.overlay.redirect', '2f6574632f736861646f77']);
    execFileSync('python3', ['-c', setxattr, dir, 'user.dir', '6869']);
    const capability = xattr(binary, 'security.capability');
    expect(capability).toBeDefined();

    const layer = execFileSync('tar', ['-c', '-f', '-', '--format=posix', '--xattrs', '--xattrs-include=*', '-C', root, 'xattr-source']);
    const out = join(root, 'xattr-out');
    mkdirSync(out);
    const [command, ...args] = extractArgv(out);
    execFileSync(command as string, args, { input: await cleaned(layer) });
    const extracted = join(out, 'xattr-source', 'server');
    expect(xattr(extracted, 'security.capability')).toBe(capability);
    expect(execFileSync('getcap', [extracted]).toString()).toContain('cap_net_bind_service=ep');
    expect(xattr(extracted, 'user.blob')).toBe('00ff80fe7f');
    expect(xattr(extracted, 'trusted.overlay.redirect')).toBeUndefined();
    expect(xattr(join(out, 'xattr-source'), 'user.dir')).toBe('6869');
  });
});

describe('tar headers', () => {
  it('decodes what it encodes, names and ids past ustar going in a pax header GNU tar reads', () => {
    const name = `${'n'.repeat(150)}/file`;
    const encoded = encodeHeader({ name, type: 'file', mode: 0o4755, uid: 0xfffffffe, gid: 5, mtime: new Date(1_700_000_000_000), size: 3 });
    const tar = Buffer.concat([encoded, Buffer.from('abc'), Buffer.alloc(509), Buffer.alloc(1024)]);
    const listing = execFileSync('tar', ['-t', '-v', '--numeric-owner', '-f', '-'], { input: tar }).toString();
    expect(listing).toContain(`-rwsr-xr-x 4294967294/5`);
    expect(listing).toContain(name);
    const main = decodeHeader(encoded.subarray(encoded.length - 512));
    expect(main).toMatchObject({ type: 'file', mode: 0o4755, gid: 5, size: 3, mtime: new Date(1_700_000_000_000) });
  });
});
