import type { ErrorCode } from '../../shared/errors.js';

const NOT_FOUND = /executable file not found|no such file or directory/i;
const NOT_RUNNABLE = /permission denied/i;

/**
 * The exit code of an exec as Docker reports it. The runtime exits 255 when it could not start the
 * command at all; Docker says 127 for a command that does not exist and 126 for one it may not run.
 */
export function execExitCode(code: number, runtimeOutput: string): number {
  if (code !== 255) return code;
  if (NOT_FOUND.test(runtimeOutput)) return 127;
  if (NOT_RUNNABLE.test(runtimeOutput)) return 126;
  return code;
}

/** Why the runtime could not start a container's process, as a code clients can act on (Docker's run exits 127, 126 or 125). */
export function startFailureCode(runtimeOutput: string): ErrorCode {
  if (NOT_FOUND.test(runtimeOutput)) return 'COMMAND_NOT_FOUND';
  if (NOT_RUNNABLE.test(runtimeOutput)) return 'COMMAND_NOT_RUNNABLE';
  return 'RUNTIME_ERROR';
}
