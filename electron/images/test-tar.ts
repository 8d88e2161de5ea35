import { createHash } from 'node:crypto';
import tar from 'tar-stream';

/** One entry of a hand-made layer tar, for tests: anything a hostile layer could hold. */
export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  content?: string | Buffer;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

/** Packs entries exactly as given (no normalisation), the way an attacker could. */
export async function makeTar(entries: readonly TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: entry.name,
        type,
        // A high bit keeps an explicit mode 0 from being replaced by tar-stream's default.
        mode: (entry.mode ?? (type === 'directory' ? 0o755 : 0o644)) | 0o100000,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        mtime: new Date(946684800000),
        linkname: entry.linkname ?? '',
        devmajor: entry.devmajor ?? 0,
        devminor: entry.devminor ?? 0,
        // ustar fields stop at 0o777777; bigger ids travel as pax records, as real tools write them.
        ...((entry.uid ?? 0) > 0o777777 || (entry.gid ?? 0) > 0o777777 ? { pax: { uid: String(entry.uid ?? 0), gid: String(entry.gid ?? 0) } } : {}),
      };
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, entry.content ?? '', cb);
      else pack.entry(header, cb).end(undefined);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
