import { z } from 'zod';

/** A host folder or a named volume a container sees at `destination`, as resolved when it was created. */
export const Mount = z.object({
  type: z.enum(['bind', 'volume']),
  /** As the user gave it: a host path (on Windows C:\... too) or a volume's name. */
  source: z.string(),
  destination: z.string(),
  readOnly: z.boolean(),
  /** A volume made for this container alone (`-v /data`), named when the container is: it goes with `rm -v` and `--rm`. */
  anonymous: z.boolean().optional(),
});
export type Mount = z.infer<typeof Mount>;

/**
 * A UNIX socket forwarded across the container boundary. `to-host` (`--socket HOSTPATH:CONTAINERPATH`):
 * a process in the container connects to containerPath and reaches the host's socket. `to-container`
 * (`--socket-listen CONTAINERPATH:HOSTPATH`): a host process connects to hostPath and reaches the
 * socket served in the container.
 */
export const SocketForward = z.object({
  /** sha256 of `containerId + ":" + destination`, so one socket forwarded to two containers stays two forwards. */
  id: z.string(),
  direction: z.enum(['to-host', 'to-container']),
  hostPath: z.string(),
  containerPath: z.string(),
});
export type SocketForward = z.infer<typeof SocketForward>;

/** A named volume: a folder kept under the engine's data, outliving the containers that use it. */
export const Volume = z.object({
  name: z.string(),
  created: z.string(),
  /** Where its data lives on the Linux side. */
  mountpoint: z.string(),
  /** Names of the containers that mount it. */
  usedBy: z.array(z.string()),
  /** As given when it was made (compose marks its volumes so). */
  labels: z.record(z.string(), z.string()).default({}),
});
export type Volume = z.infer<typeof Volume>;

/** Docker's volume name rule; anything else in a `-v` source is a path. */
export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
