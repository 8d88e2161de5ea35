import type { Container, RunSpecInput } from '../../shared/containers.js';
import type { PullProgress } from '../../shared/images.js';
import { client } from '../api/client.js';
import { useContainers } from './containers-store.js';

// Each command applies its answer at once; the engine's event for the same change arrives too and
// is idempotent. The answer only spares the wait for the event.
const keep = (container: Container) => {
  useContainers.getState().upsert(container);
  return container;
};

export const startContainer = (id: string) => client.call('containers.start', { id }).then(keep);
export const stopContainer = (id: string) => client.call('containers.stop', { id }).then(keep);
export const restartContainer = (id: string) => client.call('containers.restart', { id }).then(keep);

export async function removeContainer(id: string): Promise<void> {
  await client.call('containers.remove', { id, force: false });
  useContainers.getState().remove(id);
}

export function runContainer(spec: RunSpecInput, onProgress: (progress: PullProgress) => void): Promise<Container> {
  return client.call('containers.run', spec, { onItem: onProgress }).then(keep);
}
