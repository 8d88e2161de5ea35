import type { ActionFilter, Container, ContainerAction } from '../../shared/containers.js';
import { labelsMatch } from '../../shared/labels.js';

/** How many past actions are kept for a follower that asks from a time before it connected. */
const KEPT = 1024;

export interface ActionWindow extends ActionFilter {
  /** Unix seconds. */
  since?: number;
  until?: number;
}

/**
 * Docker's event stream for containers: each action is told to the engine's subscribers as it happens,
 * and the last ones are kept so `events --since` can replay them.
 */
export class ContainerActions {
  private readonly kept: ContainerAction[] = [];
  private readonly followers = new Set<(action: ContainerAction) => void>();

  constructor(private readonly told: (action: ContainerAction) => void) {}

  record(container: Container, action: ContainerAction['action'], attributes: Record<string, string> = {}): void {
    const event: ContainerAction = {
      action,
      id: container.id,
      name: container.name,
      image: container.image,
      time: new Date().toISOString(),
      attributes: { ...container.spec.labels, ...attributes, name: container.name, image: container.image },
    };
    this.kept.push(event);
    if (this.kept.length > KEPT) this.kept.shift();
    this.told(event);
    for (const follower of this.followers) follower(event);
  }

  /**
   * The kept actions since `since` that match, then each new one, until `until` passes or `signal`
   * aborts. Without `since` only new ones; with an `until` in the past only kept ones.
   */
  async follow(window: ActionWindow, emit: (action: ContainerAction) => void, signal: AbortSignal): Promise<void> {
    const sinceMs = window.since === undefined ? Infinity : window.since * 1000;
    const untilMs = window.until === undefined ? Infinity : window.until * 1000;
    const wanted = (event: ContainerAction) => matches(event, window) && Date.parse(event.time) <= untilMs;
    for (const event of this.kept) if (Date.parse(event.time) >= sinceMs && wanted(event)) emit(event);
    const waitMs = untilMs - Date.now();
    if (waitMs <= 0 || signal.aborted) return;
    const follower = (event: ContainerAction) => {
      if (wanted(event)) emit(event);
    };
    this.followers.add(follower);
    try {
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(waitMs) ? setTimeout(resolve, waitMs) : undefined;
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    } finally {
      this.followers.delete(follower);
    }
  }
}

function matches(event: ContainerAction, filter: ActionFilter): boolean {
  if (filter.actions.length > 0 && !filter.actions.includes(event.action)) return false;
  if (filter.containers.length > 0 && !filter.containers.some((c) => c === event.name || (c.length >= 1 && event.id.startsWith(c)))) return false;
  return labelsMatch(event.attributes, filter.labels);
}
