import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './engine/engine-config.js';

/**
 * Each layer only looks down (docs/architecture.md): a lower folder never imports a higher one. Folders
 * on one rank are siblings and may not import each other either, unless listed here as a lower rank.
 */
const RANK: Record<string, number> = {
  shared: 0,
  records: 1,
  streams: 1,
  host: 2,
  images: 3,
  runtime: 4,
  build: 4,
  network: 5,
  volumes: 5,
  sockets: 5,
  ports: 6,
  terminal: 6,
  containers: 7,
  'docker-clients': 7,
  engine: 8,
  transport: 9,
  cli: 10,
  desktop: 10,
};

/** The layer a source file is in: shared/, a folder of electron/, or the app's own files at electron/ (the top). */
function layerOf(file: string): string {
  const [top, folder, ...rest] = file.split('/');
  if (top === 'shared') return 'shared';
  return rest.length === 0 ? 'app' : folder!;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('layers', () => {
  it('has no production file that imports from a layer above its own', async () => {
    const root = packageRoot();
    const files = [...(await sourceFiles(join(root, 'shared'))), ...(await sourceFiles(join(root, 'electron')))];
    const upward: string[] = [];
    for (const path of files) {
      const file = relative(root, path);
      const from = layerOf(file);
      const text = await readFile(path, 'utf8');
      for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = relative(root, normalize(join(dirname(path), match[1]!)));
        const to = layerOf(target);
        if (from === 'app' || to === from) continue;
        if (to === 'app' || (RANK[to] ?? Infinity) >= (RANK[from] ?? Infinity)) upward.push(`${file} imports ${target}`);
      }
    }
    expect(files.length).toBeGreaterThan(100);
    expect(upward).toEqual([]);
  });
});
