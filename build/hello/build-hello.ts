import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tar from 'tar-stream';
import { buildBusyboxImage, exportOciArchive, readLayoutImage, type ImageSpec } from '../oci-image.js';

export const HELLO_TAG = 'latest';

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hello from Berth</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center;
         background: #0f2a3d; color: #f4f7fa; }
  main { text-align: center; padding: 2rem; }
  h1 { font-size: 2.5rem; margin: 0 0 0.5rem; }
  p { font-size: 1.1rem; color: #b9cddb; }
</style>
</head>
<body>
<main>
<h1>Hello from Berth</h1>
<p>Your container is running and serving this page.</p>
</main>
</body>
</html>
`;

export const HELLO_SPEC: ImageSpec = {
  // httpd as PID 1 would ignore SIGTERM (no handler), so every stop would wait for the SIGKILL: a
  // shell that exits on TERM makes `berth stop hello` quick and clean.
  cmd: ['sh', '-c', 'trap "exit 0" TERM INT; httpd -f -v -p 80 -h /var/www & wait'],
  exposedPorts: ['80/tcp'],
  labels: { 'org.opencontainers.image.title': 'hello', 'org.opencontainers.image.description': 'Berth welcome page' },
  files: { '/var/www/index.html': INDEX_HTML },
};

/** Where the archive goes by default: build/out/hello.oci.tar in the project, from source or from dist/. */
export async function defaultHelloArchivePath(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      await access(join(dir, 'package.json'));
      return join(dir, 'build', 'out', 'hello.oci.tar');
    } catch {
      const parent = dirname(dir);
      if (parent === dir) throw new Error('cannot find the project root (no package.json above this module)');
      dir = parent;
    }
  }
}

/**
 * Builds the bundled hello image and writes it as an OCI archive. The build is deterministic, so when
 * the archive already holds the same image it is left untouched. Returns the archive path.
 */
export async function buildHello(archivePath?: string): Promise<string> {
  const out = resolve(archivePath ?? (await defaultHelloArchivePath()));
  const work = await mkdtemp(join(tmpdir(), 'berth-hello-'));
  try {
    const layout = join(work, 'layout');
    await buildBusyboxImage(layout, HELLO_TAG, HELLO_SPEC);
    const built = await readLayoutImage(layout, HELLO_TAG);
    if ((await archiveManifestDigest(out)) === built.manifestDescriptor.digest) return out;
    await exportOciArchive(layout, HELLO_TAG, out);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The manifest digest an existing OCI archive's index.json names, or undefined when there is none. */
async function archiveManifestDigest(archivePath: string): Promise<string | undefined> {
  try {
    await access(archivePath);
  } catch {
    return undefined;
  }
  const extract = tar.extract();
  const source = createReadStream(archivePath);
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
      }
      if (entry.header.name !== 'index.json') continue;
      const index = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { manifests?: { digest?: string }[] };
      const manifests = index.manifests ?? [];
      return manifests.length === 1 ? manifests[0]?.digest : undefined;
    }
    return undefined;
  } catch {
    // An unreadable archive is simply rebuilt.
    return undefined;
  } finally {
    source.destroy();
    extract.destroy();
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  buildHello(process.argv[2]).then(
    (path) => console.log(path),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
