import { lazy, Suspense, type ReactNode } from 'react';
import type { Container } from '../../../shared/containers.js';
import { DetailPage } from '../../components/detail-page.js';
import { StatePill } from '../../components/state-pill.js';
import { useContainers } from '../../store/containers-store.js';
import { CONTAINER_TABS, routeHash, type ContainerTab } from '../../../shared/app-route.js';
import { ContainerActions } from '../container-actions.js';
import { FilesTab } from './files-tab.js';
import { InspectTab } from './inspect-tab.js';
import { LogsTab } from './logs-tab.js';
import { OverviewTab } from './overview-tab.js';
import { StatsTab } from './stats-tab.js';

// xterm.js is most of the app's code: it loads the first time a terminal opens.
const TerminalTab = lazy(() => import('./terminal-tab.js').then((module) => ({ default: module.TerminalTab })));

const TAB_LABELS: Record<ContainerTab, string> = {
  overview: 'Overview',
  logs: 'Logs',
  stats: 'Stats',
  files: 'Files',
  inspect: 'Inspect',
  terminal: 'Terminal',
};

/** A deep link may name the container by id, id prefix or name, as the CLI takes it. */
function useContainerId(idOrName: string): string | undefined {
  return useContainers((s) => {
    if (s.byId[idOrName]) return idOrName;
    const name = idOrName.replace(/^\//, '');
    return s.order.find((id) => s.byId[id]?.name === name) ?? s.order.find((id) => id.startsWith(idOrName));
  });
}

function TabBody({ container, tab }: { container: Container; tab: ContainerTab }): ReactNode {
  switch (tab) {
    case 'overview':
      return <OverviewTab container={container} />;
    case 'logs':
      return <LogsTab container={container} />;
    case 'stats':
      return <StatsTab container={container} />;
    case 'files':
      return <FilesTab key={container.id} container={container} />;
    case 'inspect':
      return <InspectTab container={container} />;
    case 'terminal':
      return (
        <Suspense fallback={null}>
          <TerminalTab container={container} />
        </Suspense>
      );
  }
}

/** One container's page: its header and actions, and a tab for each way of looking at it. */
export function ContainerPage({ idOrName, tab }: { idOrName: string; tab: ContainerTab }) {
  const loaded = useContainers((s) => s.loaded);
  const id = useContainerId(idOrName);
  const container = useContainers((s) => (id ? s.byId[id] : undefined));
  return (
    <DetailPage
      parent="containers"
      kind="container"
      title={container?.name ?? idOrName}
      badges={
        container && (
          <>
            <span className="container-id mono">{container.id.slice(0, 12)}</span>
            <StatePill state={container.state} />
          </>
        )
      }
      tools={container && <ContainerActions container={container} onPage />}
      found={container !== undefined}
      loaded={loaded}
      className="container-page"
    >
      {container && (
        <>
          <nav className="page-tabs" aria-label="Container views">
            {CONTAINER_TABS.map((name) => (
              <a key={name} href={routeHash({ page: 'container', id: container.id, tab: name })} aria-current={name === tab ? 'page' : undefined}>
                {TAB_LABELS[name]}
              </a>
            ))}
          </nav>
          <div className={`page-body page-${tab}`}>
            <TabBody container={container} tab={tab} />
          </div>
        </>
      )}
    </DetailPage>
  );
}
