import type { Container } from '../../shared/containers.js';
import type { ContainerHealth, HealthCheck } from '../../shared/health.js';
import type { ImageConfig } from '../../shared/images.js';
import type { Host } from '../host/host.js';
import type { RuntimeCli } from '../runtime/runtime-cli.js';
import { execInContainer } from './container-exec.js';

/** Docker's defaults for what a HEALTHCHECK leaves out. */
const DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 };
/** Results kept on the record, and how much of each probe's output. */
const KEPT_RESULTS = 5;
const OUTPUT_CHARS = 4096;

export interface ContainerHealthDeps {
  host: Host;
  runtime: RuntimeCli;
  image(container: Container): Promise<ImageConfig | undefined>;
  /** Writes the health onto the container's latest record (while it still runs). */
  update(id: string, health: ContainerHealth): Promise<void>;
  /** The status changed: Docker's health_status event. */
  changed(container: Container, status: ContainerHealth['status']): void;
}

/** The check that applies: the run's settings over the image's HEALTHCHECK; undefined when there is none or it is NONE. */
export function effectiveHealthCheck(run: HealthCheck | undefined, image: HealthCheck | undefined): Required<HealthCheck> | undefined {
  const test = run?.test.length ? run.test : (image?.test ?? []);
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  const pick = (key: keyof typeof DEFAULTS) => run?.[key] ?? image?.[key] ?? DEFAULTS[key];
  return { test, intervalMs: pick('intervalMs'), timeoutMs: pick('timeoutMs'), startPeriodMs: pick('startPeriodMs'), retries: pick('retries') };
}

/** Docker's test forms as the argv the probe runs. */
function probeArgv(test: string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'CMD') return rest;
  // An image may give the command alone (as `docker inspect` shows older ones).
  return test;
}

/**
 * Runs each running container's health check as an exec, every interval, and keeps its status on the
 * record as Docker does: `starting` until the first success, `healthy` after one, `unhealthy` after
 * `retries` failures in a row (failures in the start period do not count). A probe that outlasts its
 * timeout is a failure.
 */
export class ContainerHealthChecks {
  private readonly watched = new Map<string, { timer: NodeJS.Timeout | undefined; stop: AbortController }>();

  constructor(private readonly deps: ContainerHealthDeps) {}

  /** Starts checking a container that runs (from its start, or adopted); a second call is a no-op. */
  async watch(container: Container): Promise<void> {
    if (this.watched.has(container.id)) return;
    const stop = new AbortController();
    this.watched.set(container.id, { timer: undefined, stop });
    const image = await this.deps.image(container);
    const check = effectiveHealthCheck(container.spec.healthcheck, image?.healthcheck);
    if (!check || stop.signal.aborted) return;
    // An adopted container keeps the status it had; a started one begins again.
    let health: ContainerHealth = container.state.health ?? { status: 'starting', failingStreak: 0, log: [] };
    if (!container.state.health) await this.deps.update(container.id, health);
    const startedMs = Date.parse(container.state.startedAt) || Date.now();
    const probe = async () => {
      const start = new Date();
      const timeout = AbortSignal.timeout(check.timeoutMs);
      let output = '';
      const sink = { write: (item: { base64: string }) => ((output = (output + Buffer.from(item.base64, 'base64').toString()).slice(-OUTPUT_CHARS)), true), drained: async () => {} };
      let exitCode = await execInContainer(this.deps.host, this.deps.runtime, container.id, { command: probeArgv(check.test), env: [] }, sink, AbortSignal.any([timeout, stop.signal])).catch(() => -1);
      if (stop.signal.aborted) return;
      // A probe that failed because the container was ending (a stop, a crash) says nothing of its health;
      // its exit ends the checks once the engine sees it.
      if (exitCode !== 0 && (await this.deps.runtime.state(container.id))?.status !== 'running') return;
      if (stop.signal.aborted) return;
      if (timeout.aborted) {
        exitCode = -1;
        output = `health check exceeded its timeout (${check.timeoutMs / 1000} s)`;
      }
      const inStartPeriod = start.getTime() - startedMs < check.startPeriodMs;
      const failingStreak = exitCode === 0 ? 0 : inStartPeriod ? health.failingStreak : health.failingStreak + 1;
      const status = exitCode === 0 ? 'healthy' : failingStreak >= check.retries ? 'unhealthy' : health.status;
      const result = { start: start.toISOString(), end: new Date().toISOString(), exitCode, output };
      const next: ContainerHealth = { status, failingStreak, log: [...health.log, result].slice(-KEPT_RESULTS) };
      await this.deps.update(container.id, next);
      if (next.status !== health.status) this.deps.changed(container, next.status);
      health = next;
    };
    const schedule = () => {
      const entry = this.watched.get(container.id);
      if (!entry || stop.signal.aborted) return;
      entry.timer = setTimeout(() => void probe().finally(schedule), check.intervalMs);
    };
    schedule();
  }

  /** The container stopped: no more probes. */
  unwatch(id: string): void {
    const entry = this.watched.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.stop.abort();
    this.watched.delete(id);
  }

  close(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }
}
