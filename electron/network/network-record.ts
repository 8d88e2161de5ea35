import { z } from 'zod';

/** A user-defined network as the engine keeps it on disk (one JSON file each). */
export const NetworkRecord = z.object({
  id: z.string(),
  name: z.string(),
  created: z.string(),
  subnet: z.string(),
  gateway: z.string(),
  internal: z.boolean(),
  labels: z.record(z.string(), z.string()),
  /** Its Linux bridge's name. */
  bridge: z.string(),
});
export type NetworkRecord = z.infer<typeof NetworkRecord>;
