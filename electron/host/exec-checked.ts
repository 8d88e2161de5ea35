import { BerthError } from '../../shared/berth-error.js';
import { type ErrorCode } from '../../shared/errors.js';
import type { ExecOptions, ExecResult, Host } from './host.js';

/** Runs argv and throws a BerthError carrying the command's own complaint when it fails. */
export async function execChecked(
  host: Pick<Host, 'exec'>,
  argv: string[],
  code: ErrorCode,
  options?: ExecOptions,
): Promise<ExecResult> {
  const result = await host.exec(argv, options);
  if (result.code !== 0) {
    const said = result.stderr.toString().trim() || result.stdout.toString().trim();
    throw new BerthError(code, `${argv.slice(0, 2).join(' ')} failed: ${said.split('\n').pop() ?? ''}`, {
      detail: { argv, exitCode: result.code, stderr: said },
    });
  }
  return result;
}
