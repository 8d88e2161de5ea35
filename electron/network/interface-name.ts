import { BerthError } from '../../shared/berth-error.js';

/**
 * Checks a Linux interface name Berth is given (a bridge). The kernel allows up to 15 bytes; the
 * character set is narrower than the kernel's because these names travel inside `ip -batch` lines,
 * where spaces and quotes would split or mangle a command.
 */
export function checkInterfaceName(name: string, what = 'interface name'): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(name)) {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `${what} '${name}' must be 1-15 characters of letters, digits, '_', '.', '-', starting with a letter or digit`,
    );
  }
}
