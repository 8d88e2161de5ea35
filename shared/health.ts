import { z } from 'zod';

/** Docker's HEALTHCHECK: how the engine probes that a container's service works (the image's, or the run's over it). */
export const HealthCheck = z.object({
  /** ['CMD', argv...], ['CMD-SHELL', command] or ['NONE'] (no check); empty: the image's. */
  test: z.array(z.string().max(64 * 1024)).max(1024).default([]),
  intervalMs: z.number().int().min(1).max(86_400_000).optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  /** Failures in this time after the start do not count. */
  startPeriodMs: z.number().int().nonnegative().max(86_400_000).optional(),
  /** Failures in a row that make the container unhealthy. */
  retries: z.number().int().min(1).max(1000).optional(),
});
export type HealthCheck = z.infer<typeof HealthCheck>;

export const HealthStatus = z.enum(['starting', 'healthy', 'unhealthy']);

/** What the checks found, kept on a running container's record. */
export const ContainerHealth = z.object({
  status: HealthStatus,
  failingStreak: z.number().int().nonnegative(),
  /** The last few probes: when, their exit code (-1: timed out) and the end of their output. */
  log: z.array(z.object({ start: z.string(), end: z.string(), exitCode: z.number().int(), output: z.string() })),
});
export type ContainerHealth = z.infer<typeof ContainerHealth>;
