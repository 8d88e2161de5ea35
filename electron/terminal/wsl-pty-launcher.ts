import type { WslExe } from '../host/wsl/wsl-exe.js';
import { LocalPtyLauncher } from './local-pty-launcher.js';
import type { PtyLauncher, PtyOptions, PtyProcess } from './pty-launcher.js';

/**
 * Linux argv on a pty through wsl.exe: the pty is this machine's (a ConPTY on Windows, which
 * passes resizes on to the distro's side), the program runs in the distro.
 */
export class WslPtyLauncher implements PtyLauncher {
  constructor(
    private readonly wsl: WslExe,
    private readonly distro: string,
    private readonly local: PtyLauncher = new LocalPtyLauncher(),
  ) {}

  launch(argv: string[], options: PtyOptions): PtyProcess {
    return this.local.launch(this.wsl.execArgv(this.distro, argv), options);
  }
}
