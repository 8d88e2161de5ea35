import { describeError } from '../api/error-text.js';
import type { HostStatus } from '../../shared/host-status.js';
import type { EngineEvent, WireClient } from '../../shared/wire-client.js';
import { useContainers } from './containers-store.js';
import { useEngine } from './engine-store.js';
import { useImages } from './images-store.js';
import { useStats } from './stats-store.js';
import { useSettings } from './settings-store.js';
import { useNetworks } from './networks-store.js';
import { useVolumes } from './volumes-store.js';

/**
 * A list reload that never overlaps itself: a call while one runs asks for exactly one more after it,
 * so a burst of change events costs two loads, and the last one sees the last change.
 */
function reloader(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const reload = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = load()
      .catch(() => {})
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void reload();
        }
      });
    return running;
  };
  return reload;
}

/**
 * The only place engine state enters the page. Events push every change (the page never polls);
 * on each (re)connection the lists are loaded once and the stats stream is opened.
 */
export function startEngineSync(client: WireClient): void {
  // Events that arrive while the first lists load are replayed on top of them, in order: the last
  // event for a container is never older than the list, so the result is the latest state.
  let pending: EngineEvent[] | undefined;
  const refreshImages = reloader(async () => useImages.getState().replaceAll(await client.call('images.list', {})));
  const refreshVolumes = reloader(async () => useVolumes.getState().replaceAll(await client.call('volumes.list', {})));
  const refreshNetworks = reloader(async () => useNetworks.getState().replaceAll(await client.call('networks.list', {})));

  const apply = (event: EngineEvent) => {
    if (event.name === 'containers.changed') {
      const { container, removedId } = event.payload;
      if (container) {
        // A new container may come with an image its run just pulled or loaded: learn of it too.
        const isNew = !(container.id in useContainers.getState().byId);
        if (isNew && !useImages.getState().images.some((image) => image.id === container.imageId)) void refreshImages();
        useContainers.getState().upsert(container);
      }
      if (removedId) useContainers.getState().remove(removedId);
      // Each network lists its containers and their addresses.
      void refreshNetworks();
    } else if (event.name === 'images.changed') {
      void refreshImages();
    } else if (event.name === 'volumes.changed') {
      void refreshVolumes();
    } else if (event.name === 'networks.changed') {
      void refreshNetworks();
    } else if (event.name === 'settings.changed') {
      useSettings.getState().replace(event.payload);
    }
  };

  /** The host's state first: the lists exist only once it is ready (the WSL distro may be setting up). */
  const onHost = (host: HostStatus) => {
    const wasReady = useEngine.getState().host?.state === 'ready';
    useEngine.getState().set({ host });
    if (host.state === 'ready' && !wasReady) void load();
  };

  const streamStats = () => {
    client
      .call('containers.stats', { stream: true }, { onItem: (stats) => useStats.getState().replace(stats) })
      .catch(() => useStats.getState().clear());
  };

  const load = async () => {
    pending = [];
    try {
      const [containers, info, settings] = await Promise.all([
        client.call('containers.list', { all: true }),
        client.call('system.info', {}),
        client.call('settings.get', {}),
        refreshImages(),
        refreshVolumes(),
        refreshNetworks(),
      ]);
      useContainers.getState().replaceAll(containers);
      useSettings.getState().replace(settings);
      for (const event of pending) apply(event);
      useEngine.getState().set({ info, problem: undefined });
      streamStats();
    } catch (error) {
      useEngine.getState().set({ problem: describeError(error) });
    } finally {
      pending = undefined;
    }
  };

  const connected = () => {
    client
      .call('system.status', {})
      .then(onHost)
      .catch((error: unknown) => useEngine.getState().set({ problem: describeError(error) }));
  };

  client.onEvent((event) => {
    if (event.name === 'host.changed') onHost(event.payload);
    else if (pending) pending.push(event);
    else apply(event);
  });
  client.onStatus((link) => {
    useEngine.getState().set({ link, ...(link === 'open' ? {} : { host: undefined }) });
    if (link === 'open') connected();
    else useStats.getState().clear();
  });
  useEngine.getState().set({ link: client.status });
  if (client.status === 'open') connected();
}
