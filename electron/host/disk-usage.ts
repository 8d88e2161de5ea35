import type { Host } from './host.js';

/** Paths per `du` call: far below the argument-list limit however long the paths. */
const PATHS_PER_CALL = 200;

/**
 * Bytes under each path (the files' apparent sizes, as `du -sb` counts them, a hard-linked file
 * once, never across a mount); a path that is not there counts 0. Runs where the paths are, so the same on WSL.
 */
export async function diskUsage(host: Host, paths: readonly string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>(paths.map((path) => [path, 0]));
  for (let start = 0; start < paths.length; start += PATHS_PER_CALL) {
    // Missing paths make du complain and exit 1; what it measured is still printed.
    const result = await host.exec(['du', '-sbx', '--', ...paths.slice(start, start + PATHS_PER_CALL)]);
    for (const line of result.stdout.toString().split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) sizes.set(line.slice(tab + 1), Number(line.slice(0, tab)));
    }
  }
  return sizes;
}
