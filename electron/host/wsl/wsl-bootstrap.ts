import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../shared/berth-error.js';
import type { HostStatus } from '../../../shared/host-status.js';
import { pipeIntoProcess, spawnProcess } from '../local/local-process.js';
import { diagnoseWsl, statusFromWslCode } from './wsl-diagnosis.js';
import { decodeWslText, wslErrorCode, type WslExe } from './wsl-exe.js';
import { WSL_DATA_ROOT } from './wsl-host.js';

export interface BootstrapOptions {
  wsl: WslExe;
  distro: string;
  /** Where wsl.exe keeps the distro's disk (the app's data dir on Windows). */
  installDir: string;
  /** The distro rootfs the app ships (build/distro). */
  rootfs: string;
  /** A place on this side for the data kept across an upgrade. */
  scratchDir: string;
  onStatus(status: HostStatus): void;
  /** The app is quitting: the import or restore under way stops, and leaves what the next start redoes. */
  signal?: AbortSignal;
}

const IMPORT_TIMEOUT_MS = 20 * 60_000;
/** States the app mends by itself: a distro to import, upgrade or reinstall. */
const REPAIRABLE = new Set<HostStatus['state']>(['distro-missing', 'distro-outdated', 'runtime-missing']);

/** Counts bytes on their way through, for a progress bar of a stream whose size is known. */
function counting(total: number, report: (fraction: number) => void): Transform {
  let seen = 0;
  let shown = -1;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      const percent = Math.floor((seen / Math.max(total, 1)) * 100);
      if (percent !== shown) {
        shown = percent;
        report(Math.min(1, seen / Math.max(total, 1)));
      }
      done(null, chunk);
    },
  });
}

/** Stops the bootstrap between steps once the app quits. */
function checkNotCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new BerthError('HOST_NOT_READY', 'setting up Berth’s Linux distro stopped: Berth is quitting', { fix: 'start Berth again: it carries on from here' });
  }
}

function importing(step: string, fraction: number, message = 'Setting up Berth’s Linux distro'): HostStatus {
  return { kind: 'wsl', state: 'importing', message, progress: { step, fraction } };
}

/**
 * Makes Berth's distro ready: imports it on first run and, when the app ships a newer one (or the
 * runtime went missing), replaces the system while keeping the engine's data: the data directory is
 * streamed out to this side, the distro re-imported, and the data streamed back in.
 * Returns the final status; anything WSL itself lacks (no WSL2, virtualization off) is returned as is.
 */
export async function bootstrapWsl(options: BootstrapOptions): Promise<HostStatus> {
  const { wsl, distro, onStatus } = options;
  onStatus(importing('Checking WSL', 0));
  const found = await diagnoseWsl(wsl, distro);
  // Data saved for an upgrade stays on this side until it is back in the distro, so an upgrade cut
  // short (the app killed between unregister and restore) finishes on the next start.
  const saved = join(options.scratchDir, 'upgrade-data.tar');
  const pending = await stat(saved).then(() => true, () => false);
  if (found.state === 'ready' && !pending) return found;
  if (found.state !== 'ready' && !REPAIRABLE.has(found.state)) return found;

  if (found.state === 'distro-outdated' || found.state === 'runtime-missing') {
    if (!pending) await saveData(options, saved);
    checkNotCancelled(options.signal);
    onStatus(importing('Removing the old system', 0));
    const gone = await wsl.run(['--unregister', distro], { timeoutMs: IMPORT_TIMEOUT_MS });
    if (gone.code !== 0) throw new BerthError('HOST_NOT_READY', `wsl.exe --unregister ${distro} failed: ${gone.errorCode ?? gone.text}`);
  }
  if (found.state !== 'ready') {
    const refused = await importDistro(options);
    // WSL itself cannot run the distro (no WSL2, virtualization off): that is the status to show.
    if (refused) return refused;
  }
  checkNotCancelled(options.signal);
  if (await stat(saved).then(() => true, () => false)) {
    await restoreData(options, saved);
    await rm(saved, { force: true });
  }
  onStatus(importing('Checking the runtime', 1));
  return diagnoseWsl(wsl, distro);
}

async function importDistro({ wsl, distro, installDir, rootfs, onStatus, signal }: BootstrapOptions): Promise<HostStatus | undefined> {
  const size = (await stat(rootfs)).size;
  // The distro is not registered, so nothing here is of use; what an import cut short left (an engine
  // killed mid-way) would make wsl.exe refuse the location.
  await rm(installDir, { recursive: true, force: true });
  await mkdir(installDir, { recursive: true });
  onStatus(importing('Importing the distro', 0));
  // The tar goes in through stdin, so the bytes fed are the import's progress.
  const result = await pipeIntoProcess(
    [wsl.path, '--import', distro, installDir, '-', '--version', '2'],
    createReadStream(rootfs).pipe(counting(size, (fraction) => onStatus(importing('Importing the distro', fraction)))),
    { env: { WSL_UTF8: '1' }, timeoutMs: IMPORT_TIMEOUT_MS, signal },
  );
  if (result.code === 0) return undefined;
  // A failed import registers nothing: its location goes too, so the next start begins afresh.
  await rm(installDir, { recursive: true, force: true });
  checkNotCancelled(signal);
  const said = decodeWslText(Buffer.concat([result.stdout, result.stderr])).replace(/\r/g, '').trim();
  const code = wslErrorCode(said);
  if (code) return statusFromWslCode(code);
  throw new BerthError('HOST_NOT_READY', `importing Berth's distro failed: ${said.split('\n').pop() ?? `wsl.exe exited ${result.code}`}`);
}

/** Streams the engine's data out of the old distro into one tar on this side (nothing when it has none). */
async function saveData({ wsl, distro, scratchDir, onStatus }: BootstrapOptions, file: string): Promise<void> {
  const present = await wsl.runIn(distro, ['test', '-d', WSL_DATA_ROOT]);
  if (present.code !== 0) return;
  onStatus(importing('Saving images and containers', 0));
  await mkdir(scratchDir, { recursive: true });
  const partial = `${file}.partial`;
  const child = spawnProcess(wsl.execArgv(distro, ['tar', '--numeric-owner', '--xattrs', '-C', WSL_DATA_ROOT, '-cf', '-', '.']));
  try {
    const exited = child.exited.then((code) => (code === 0 ? undefined : Promise.reject(new Error(`tar exited ${code}`))));
    await Promise.all([pipeline(child.stdout!, createWriteStream(partial)), exited]);
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw new BerthError('HOST_NOT_READY', `saving the engine's data before the upgrade failed: ${(err as Error).message}`);
  }
}

async function restoreData({ wsl, distro, onStatus, signal }: BootstrapOptions, file: string): Promise<void> {
  const size = (await stat(file)).size;
  onStatus(importing('Restoring images and containers', 0));
  const result = await pipeIntoProcess(
    wsl.execArgv(distro, ['sh', '-c', `mkdir -p ${WSL_DATA_ROOT} && exec tar --numeric-owner --xattrs -C ${WSL_DATA_ROOT} -xf -`]),
    createReadStream(file).pipe(counting(size, (fraction) => onStatus(importing('Restoring images and containers', fraction)))),
    { timeoutMs: IMPORT_TIMEOUT_MS, signal },
  );
  // Cut short, the saved data stays on this side and the next start restores it again.
  checkNotCancelled(signal);
  if (result.code !== 0) throw new BerthError('HOST_NOT_READY', `restoring the engine's data failed: ${result.stderr.toString().trim()}`);
}
