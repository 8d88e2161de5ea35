import { z } from 'zod';

/**
 * How Docker's own clients reach Berth: the socket (or named pipe) it serves Docker's API on, the
 * `DOCKER_HOST` that names it, the docker CLI context Berth keeps, and the opt-in well-known socket link.
 */
export const DockerAccess = z.object({
  /** Where Docker's API is served: a UNIX socket, or on Windows a named pipe. */
  endpoint: z.string(),
  /** The same as a DOCKER_HOST value: `unix:///...` or `npipe:////./pipe/...`. */
  dockerHost: z.string(),
  context: z.object({
    /** The docker CLI context Berth writes at each start (`docker --context berth ...`). */
    name: z.string(),
    /** Whether it is the CLI's current context (its `currentContext`), so a bare `docker` talks to Berth. */
    current: z.boolean(),
  }),
  /** The well-known socket path tools that ignore contexts use (Linux only). */
  link: z.object({
    path: z.string(),
    /** linked: it points at Berth; absent: nothing there; taken: something else is there; unsupported: not on this system. */
    state: z.enum(['linked', 'absent', 'taken', 'unsupported']),
  }),
});
export type DockerAccess = z.infer<typeof DockerAccess>;
