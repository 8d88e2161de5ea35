import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BerthError } from '../../shared/berth-error.js';

const WORKER = 'relay-worker.js';

/**
 * The relay's worker script. Running compiled, it sits beside this module. Running from the
 * TypeScript source (tests), Node cannot start a worker from a .ts file, so the compiled one in the
 * package's dist/ is used.
 */
export function relayWorkerFile(from: string = import.meta.url): URL {
  const beside = new URL(`./${WORKER}`, from);
  if (existsSync(beside)) return beside;
  const root = packageRootAbove(dirname(fileURLToPath(from)));
  const built = root === undefined ? undefined : pathToFileURL(join(root, 'dist', 'electron', 'ports', WORKER));
  if (built && existsSync(built)) return built;
  const looked = [fileURLToPath(beside), ...(built ? [fileURLToPath(built)] : [])].join(' and ');
  throw new BerthError('INTERNAL', `the port relay's worker script is missing (looked for ${looked})`, { fix: 'run `npm run build`' });
}

/** The nearest directory at or above `dir` with a package.json. */
function packageRootAbove(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return undefined;
  }
}
