import { z } from 'zod';

/** What a path in a container is, its symlink unresolved (as `ls -l` and Docker's archive stat show it). */
export const PathStat = z.object({
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  /** Permission bits with setuid, setgid and sticky (07777). */
  mode: z.number().int().nonnegative(),
  size: z.number().nonnegative(),
  /** RFC 3339. */
  mtime: z.string(),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  /** A symlink's target as written; '' for anything else. */
  linkTarget: z.string(),
});
export type PathStat = z.infer<typeof PathStat>;

/** A path in a container: absolute, or taken from its root as Docker takes it. */
export const ContainerFilePath = z.string().min(1).max(4096).refine((path) => !path.includes('\0'), 'a path cannot hold a NUL byte');

export const FileListing = z.object({
  /** The folder listed, as asked. */
  path: z.string(),
  /** By name; at most the limit asked for. */
  entries: z.array(PathStat),
  /** Entries in the folder, shown or not. */
  total: z.number().int().nonnegative(),
});
export type FileListing = z.infer<typeof FileListing>;

/** The largest preview the engine sends; the app asks for less. */
export const MAX_PREVIEW_BYTES = 16 * 1024 * 1024;

/** The largest file the app sends in one message (the transports carry 4 MiB); larger ones go by `berth cp`. */
export const MAX_UPLOAD_BYTES = 3_000_000;

/** What goes into a folder of a container: a tar archive on this machine (the CLI's and the API's), or one file sent whole (the app's). */
export const FileSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('archive'), file: z.string().min(1).max(4096) }),
  z.object({ kind: z.literal('file'), name: z.string().min(1).max(255), base64: z.string().max(Math.ceil(MAX_UPLOAD_BYTES / 3) * 4) }),
]);
export type FileSource = z.infer<typeof FileSource>;

export const FileChunk = z.object({ base64: z.string() });
export type FileChunk = z.infer<typeof FileChunk>;
