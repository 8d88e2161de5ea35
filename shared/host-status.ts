import { z } from 'zod';

/**
 * Where Linux is and whether it is ready, shown in the app's status line. On Windows every state but
 * `ready` comes with the one thing the user (or the app, while `importing`) does next.
 */
export const HostState = z.enum([
  'ready',
  /** No wsl.exe at all. */
  'wsl-missing',
  /** Only Windows' inbox stub: WSL is not installed. */
  'wsl-not-installed',
  /** WSL runs, but not WSL2 (no VM platform, kernel missing or out of date). */
  'wsl2-unavailable',
  'virtualization-off',
  'distro-missing',
  'distro-outdated',
  'runtime-missing',
  /** The app is importing or upgrading its distro (see progress). */
  'importing',
  /** wsl.exe failed in a way none of the above explains (its code is in the message). */
  'wsl-error',
]);
export type HostState = z.infer<typeof HostState>;

export const HostStatus = z.object({
  kind: z.enum(['local', 'wsl']),
  state: HostState,
  message: z.string(),
  /** What to do about it, when there is something to do. */
  fix: z.string().optional(),
  /** While importing: the current step and how far along it is (0..1). */
  progress: z.object({ step: z.string(), fraction: z.number().min(0).max(1) }).optional(),
});
export type HostStatus = z.infer<typeof HostStatus>;

/** The status as one line: what is wrong, then what to do about it. */
export function hostStatusLine(status: HostStatus): string {
  return status.fix ? `${status.message} ${status.fix}` : status.message;
}
