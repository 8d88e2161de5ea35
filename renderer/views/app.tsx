import { useContainers } from '../store/containers-store.js';
import { useEngine } from '../store/engine-store.js';
import { useUi } from '../store/ui-store.js';
import { ContainersView } from './containers-view.js';
import { DiskView } from './disk-view.js';
import { HostSetup } from './host-setup.js';
import { ContainerPage } from './container/container-page.js';
import { ImagePage } from './image/image-page.js';
import { ImagesView } from './images-view.js';
import { RunDialog } from './run-dialog.js';
import { Sidebar } from './sidebar.js';
import { StatusLine } from './status-line.js';
import { SettingsView } from './settings-view.js';
import { NetworksView } from './networks-view.js';
import { VolumesView } from './volumes-view.js';

const VIEWS = { containers: ContainersView, images: ImagesView, volumes: VolumesView, networks: NetworksView, disk: DiskView, settings: SettingsView };

function Page() {
  const route = useUi((s) => s.route);
  if (route.page === 'container') return <ContainerPage key={route.id} idOrName={route.id} tab={route.tab} />;
  if (route.page === 'image') return <ImagePage key={route.id} idOrName={route.id} />;
  const View = VIEWS[route.page];
  return <View />;
}

export function App() {
  const run = useUi((s) => s.run);
  // Once the engine is gone, what is on screen is the last known state: say so, and hold it still.
  const closed = useEngine((s) => s.link === 'closed');
  const loaded = useContainers((s) => s.loaded);
  const stale = closed && loaded;
  const host = useEngine((s) => (s.link === 'open' && s.host?.state !== 'ready' ? s.host : undefined));
  return (
    <div className="app">
      <Sidebar />
      <main className={`content ${stale ? 'stale' : ''}`} aria-busy={stale}>
        {stale && (
          <p className="stale-banner" role="status">
            Lost the connection to the engine. Showing the last known state until it is back.
          </p>
        )}
        {host ? <HostSetup host={host} /> : <Page />}
      </main>
      <StatusLine />
      {run && <RunDialog image={run.image} />}
    </div>
  );
}
