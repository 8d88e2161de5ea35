import type { ExecResult } from '../host.js';
import { runProcess } from '../local/local-process.js';

/** What one call of wsl.exe said about itself (not the output of a Linux command it ran). */
export interface WslAnswer {
  code: number;
  /** Its own message, decoded. */
  text: string;
  /** The `Error code: Wsl/...` it printed, if any: localized text varies, the code does not. */
  errorCode: string | undefined;
  /** wsl.exe could not be started at all. */
  notFound: boolean;
}

/**
 * wsl.exe writes its own messages in UTF-16LE unless WSL_UTF8=1 is honoured (older WSL ignores it),
 * so the bytes decide: UTF-16LE text of ASCII-range characters has a zero in most odd positions.
 */
export function decodeWslText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  const pairs = bytes.length >> 1;
  let zeros = 0;
  for (let i = 1; i < pairs * 2; i += 2) if (bytes[i] === 0) zeros++;
  return pairs > 0 && zeros * 2 >= pairs ? bytes.subarray(0, pairs * 2).toString('utf16le') : bytes.toString('utf8');
}

export function wslErrorCode(text: string): string | undefined {
  return /Error code:\s*(Wsl\/[\w/.-]+)/.exec(text)?.[1];
}

/** The wsl.exe of this machine (or the simulator named by BERTH_WSL_EXE). */
export class WslExe {
  constructor(readonly path: string) {}

  /** Runs wsl.exe with its own arguments (--status, --list, --import...) and reads its answer. */
  async run(args: string[], options: { input?: Buffer; timeoutMs?: number } = {}): Promise<WslAnswer> {
    const result = await runProcess([this.path, ...args], { env: { WSL_UTF8: '1' }, input: options.input, timeoutMs: options.timeoutMs });
    const text = decodeWslText(Buffer.concat([result.stdout, result.stderr])).replace(/\r/g, '').trim();
    const notFound = result.code === 127 && result.stdout.length === 0 && /ENOENT/.test(result.stderr.toString());
    return { code: result.code, text, errorCode: wslErrorCode(text), notFound };
  }

  /**
   * Runs Linux argv in the distro. A failure of wsl.exe itself (the distro cannot start) shows as
   * its error code; a failing Linux command has none.
   */
  async runIn(distro: string, argv: string[], timeoutMs?: number): Promise<ExecResult & { errorCode: string | undefined }> {
    const result = await runProcess(this.execArgv(distro, argv), { env: { WSL_UTF8: '1' }, timeoutMs });
    const errorCode = result.code === 0 ? undefined : wslErrorCode(decodeWslText(result.stdout));
    return { ...result, errorCode };
  }

  /** The argv that runs Linux argv as root in a distro: wsl.exe passes stdio and the exit code through. */
  execArgv(distro: string, argv: string[]): string[] {
    return [this.path, '-d', distro, '-u', 'root', '--exec', ...argv];
  }
}
