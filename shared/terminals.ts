import { z } from 'zod';

/** Bytes cross the boundary as base64, so no partial UTF-8 sequence is ever decoded lossily. */
export const TerminalData = z.object({ base64: z.string() });
export type TerminalData = z.infer<typeof TerminalData>;

export const TerminalSize = z.object({
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});

export const TerminalSession = z.object({
  id: z.string(),
  containerId: z.string(),
  command: z.array(z.string()),
  cols: z.number().int(),
  rows: z.number().int(),
  /** null while the shell runs. */
  exitCode: z.number().int().nullable(),
  /** The container's main process (started with -t), not a shell run in it: closing it detaches. */
  main: z.boolean().default(false),
  created: z.string(),
});
export type TerminalSession = z.infer<typeof TerminalSession>;

/**
 * `terminal.open`'s answer. `attachSocket`, for a `direct` open the engine could hold: conmon's attach
 * socket (a Linux path on this machine), which the caller connects to before opening the session's
 * stream on the terminal host's socket; the process starts then.
 */
export const OpenedTerminal = TerminalSession.extend({ attachSocket: z.string().optional() });
export type OpenedTerminal = z.infer<typeof OpenedTerminal>;

export const ExecOutput = z.object({ stream: z.enum(['stdout', 'stderr']), base64: z.string() });
export type ExecOutput = z.infer<typeof ExecOutput>;
