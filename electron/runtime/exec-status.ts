/**
 * The exit code of an exec as Docker reports it. The runtime exits 255 when it could not start the
 * command at all; Docker says 127 for a command that does not exist and 126 for one it may not run.
 */
export function execExitCode(code: number, runtimeOutput: string): number {
  if (code !== 255) return code;
  if (/executable file not found|no such file or directory/i.test(runtimeOutput)) return 127;
  if (/permission denied/i.test(runtimeOutput)) return 126;
  return code;
}
