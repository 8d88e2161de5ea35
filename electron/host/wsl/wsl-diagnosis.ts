import type { HostStatus } from '../../../shared/host-status.js';
import { DISTRO_VERSION, DISTRO_VERSION_FILE } from './distro-version.js';
import type { WslExe } from './wsl-exe.js';

/** Each probe of wsl.exe is bounded: a hung WSL service must not hang the app's start. */
const PROBE_TIMEOUT_MS = 60_000;

const INSTALL_WSL = 'Run `wsl.exe --install --no-distribution` in an administrator terminal, then restart Windows.';

function status(state: HostStatus['state'], message: string, fix?: string): HostStatus {
  return { kind: 'wsl', state, message, ...(fix ? { fix } : {}) };
}

/** What a `Wsl/...` error code means for the user: parsed from the code, never from localized words. */
export function statusFromWslCode(code: string): HostStatus {
  if (code.includes('HCS_E_HYPERV_NOT_INSTALLED')) {
    return status(
      'virtualization-off',
      'WSL2 cannot start: virtualization is turned off.',
      `Turn on virtualization (Intel VT-x or AMD-V) in the PC's firmware settings. ${INSTALL_WSL}`,
    );
  }
  if (/HCS_|CreateVm|WSL2|VM_MODE|KERNEL/i.test(code)) {
    return status('wsl2-unavailable', `WSL is installed but WSL2 is not available (${code}).`, `${INSTALL_WSL} If it is installed, run \`wsl.exe --update\`.`);
  }
  return status('wsl-error', `wsl.exe failed: ${code}.`, 'Run `wsl.exe --status` in a terminal to see what WSL reports.');
}

/**
 * Finds out whether Berth's distro is ready to run containers, and if not, why: no wsl.exe, only the
 * inbox stub, no WSL2, virtualization off, no distro, an older distro, or no runtime inside it.
 */
export async function diagnoseWsl(wsl: WslExe, distro: string): Promise<HostStatus> {
  const wslStatus = await wsl.run(['--status'], { timeoutMs: PROBE_TIMEOUT_MS });
  if (wslStatus.notFound) return status('wsl-missing', `wsl.exe was not found at ${wsl.path}.`, INSTALL_WSL);
  if (wslStatus.code !== 0) {
    // The inbox stub of a Windows without WSL prints its usage and no error code.
    if (!wslStatus.errorCode) return status('wsl-not-installed', 'The Windows Subsystem for Linux is not installed.', INSTALL_WSL);
    return statusFromWslCode(wslStatus.errorCode);
  }

  const list = await wsl.run(['--list', '--quiet'], { timeoutMs: PROBE_TIMEOUT_MS });
  if (list.code !== 0) return list.errorCode ? statusFromWslCode(list.errorCode) : status('wsl-error', `wsl.exe --list failed: ${list.text}`);
  const names = list.text.split('\n').map((name) => name.trim());
  if (!names.includes(distro)) return status('distro-missing', `Berth's Linux distro (${distro}) is not installed yet.`, 'Berth installs it on start.');

  const version = await wsl.runIn(distro, ['cat', DISTRO_VERSION_FILE], PROBE_TIMEOUT_MS);
  if (version.errorCode) return statusFromWslCode(version.errorCode);
  const installed = Number(version.stdout.toString().trim());
  if (version.code !== 0 || !Number.isInteger(installed) || installed < DISTRO_VERSION) {
    const seen = version.code === 0 ? `version ${version.stdout.toString().trim()}` : 'no version stamp';
    return status('distro-outdated', `Berth's distro is older than this app (${seen}, the app needs ${DISTRO_VERSION}).`, 'Berth upgrades it on start, keeping images and containers.');
  }
  if (installed > DISTRO_VERSION) {
    return status('wsl-error', `Berth's distro (version ${installed}) is newer than this app (${DISTRO_VERSION}).`, 'Update Berth.');
  }

  const runc = await wsl.runIn(distro, ['runc', '--version'], PROBE_TIMEOUT_MS);
  if (runc.errorCode) return statusFromWslCode(runc.errorCode);
  if (runc.code !== 0) return status('runtime-missing', `No container runtime (runc) in Berth's distro.`, 'Berth reinstalls its distro on start, keeping images and containers.');

  return status('ready', `Berth's distro ${distro} (version ${installed}) is ready.`);
}
