import { z } from 'zod';
import { MAX_PREVIEW_BYTES } from './files.js';

/** What the user can change in the app's Settings; kept in the engine's home. */
export const Settings = z.object({
  /** Quitting leaves containers running for the next start to adopt, rather than stopping them. */
  keepRunningOnQuit: z.boolean(),
  /** Berth's docker context is the docker CLI's current one, so a bare `docker` talks to Berth. */
  dockerContextCurrent: z.boolean(),
  /** The desktop app says when a container exits unexpectedly or an auto_remap moves a port. */
  notifications: z.boolean(),
  /** The largest file the Files tab opens in place; larger ones are offered as a download. */
  filePreviewBytes: z.number().int().min(64 * 1024).max(MAX_PREVIEW_BYTES),
});
export type Settings = z.infer<typeof Settings>;

/** A change: only the settings given (no defaults here, or a change to one would reset the others). */
export const SettingsChange = Settings.partial();
export type SettingsChange = z.infer<typeof SettingsChange>;

export const DEFAULT_SETTINGS: Settings = { keepRunningOnQuit: false, dockerContextCurrent: false, notifications: true, filePreviewBytes: 1024 * 1024 };
