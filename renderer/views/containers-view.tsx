import { lazy, Suspense, useMemo, useState } from 'react';
import { Button } from '../components/button.js';
import { EmptyState } from '../components/empty-state.js';
import { ListTable, type Column } from '../components/list-table.js';
import { BoxIcon, PlayIcon, SearchIcon } from '../components/icons.js';
import { useContainers } from '../store/containers-store.js';
import { useUi } from '../store/ui-store.js';
import { ContainerRow } from './container-row.js';
import { COMPOSE_PROJECT, groupStacks, type Stack } from '../store/compose-stacks.js';
import { StackRow } from './stack-row.js';
import { LogsPanel } from './logs-panel.js';
import { StackLogsPanel } from './stack-logs-panel.js';
import { Notices } from './notices.js';
import { useTerminals } from '../store/terminals-store.js';

// xterm.js is most of the app's code: it loads the first time a terminal opens.
const TerminalPanel = lazy(() => import('./terminal-panel.js').then((module) => ({ default: module.TerminalPanel })));

/** The ids to show: all of them, or those whose name, image or id matches the filter. */
const COLUMNS: Column[] = [
  { key: 'name', label: 'Name' },
  { key: 'image', label: 'Image' },
  { key: 'state', label: 'State' },
  { key: 'cpu', label: 'CPU', numeric: true },
  { key: 'memory', label: 'Memory', numeric: true },
  { key: 'ports', label: 'Ports' },
  { key: 'actions', label: 'Actions', hidden: true },
];

function useVisibleIds(filter: string): string[] {
  const order = useContainers((s) => s.order);
  // Only a filtered list needs the records; unfiltered, a change inside a row leaves this alone.
  const byId = useContainers((s) => (filter ? s.byId : undefined));
  return useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle || !byId) return order;
    return order.filter((id) => {
      const c = byId[id];
      return c !== undefined && (c.name.toLowerCase().includes(needle) || c.image.toLowerCase().includes(needle) || id.startsWith(needle));
    });
  }, [order, byId, filter]);
}

/** The rows to show: containers alone, and compose stacks (each where its newest container stands) with theirs when expanded. */
function Rows({ ids }: { ids: string[] }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  // Stack membership is read from the labels, which never change: the ids and projects are enough.
  const projects = useContainers((s) => ids.map((id) => s.byId[id]?.spec.labels[COMPOSE_PROJECT] ?? '').join('\n'));
  const rows = useMemo(() => {
    const byId = new Map(projects.split('\n').map((project, i) => [ids[i]!, project]));
    return groupStacks(ids, (id) => byId.get(id));
  }, [ids, projects]);
  const toggle = (project: string) =>
    setExpanded((open) => {
      const next = new Set(open);
      if (!next.delete(project)) next.add(project);
      return next;
    });
  return (
    <>
      {rows.map((row) =>
        typeof row === 'string' ? (
          <ContainerRow key={row} id={row} />
        ) : (
          <StackGroup key={`stack:${row.project}`} stack={row} expanded={expanded.has(row.project)} onToggle={() => toggle(row.project)} />
        ),
      )}
    </>
  );
}

function StackGroup({ stack, expanded, onToggle }: { stack: Stack; expanded: boolean; onToggle: () => void }) {
  return (
    <>
      <StackRow stack={stack} expanded={expanded} onToggle={onToggle} columns={COLUMNS.length} />
      {expanded && stack.ids.map((id) => <ContainerRow key={id} id={id} inStack />)}
    </>
  );
}

function Summary() {
  const counts = useContainers((s) => {
    let running = 0;
    for (const id of s.order) if (s.byId[id]?.state.status === 'running') running++;
    return `${running} running · ${s.order.length} total`;
  });
  return <span className="view-summary">{counts}</span>;
}

function SkeletonRows() {
  return (
    <>
      {[0, 1, 2].map((i) => (
        <tr key={i} className="skeleton-row" aria-hidden="true">
          <td colSpan={COLUMNS.length}>
            <span className="skeleton" />
          </td>
        </tr>
      ))}
    </>
  );
}

export function ContainersView() {
  const loaded = useContainers((s) => s.loaded);
  const total = useContainers((s) => s.order.length);
  const filter = useUi((s) => s.filter);
  const logsOf = useUi((s) => s.logsOf);
  const terminals = useTerminals((s) => s.tabs.length > 0);
  const ids = useVisibleIds(filter);
  const openRun = useUi((s) => s.openRun);

  return (
    <section className="view" aria-labelledby="containers-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="containers-title">Containers</h1>
          <Summary />
        </div>
        <div className="view-tools">
          <label className="search">
            <SearchIcon />
            <input type="search" aria-label="Filter containers" aria-keyshortcuts="/" placeholder="Filter by name or image (press /)" value={filter} onChange={(e) => useUi.getState().setFilter(e.target.value)} />
          </label>
          <Button kind="primary" icon={<PlayIcon />} onClick={() => openRun()}>
            Run
          </Button>
        </div>
      </header>
      <Notices />
      <div className={`view-body ${logsOf || terminals ? 'with-panel' : ''}`}>
        {loaded && total === 0 ? (
          <EmptyState
            icon={<BoxIcon />}
            title="No containers yet"
            action={
              <Button kind="primary" icon={<PlayIcon />} onClick={() => openRun('hello')}>
                Run hello
              </Button>
            }
          >
            <p>
              Start with the bundled <code>hello</code> image: a tiny web server. Berth publishes its port and you can open the page from
              here.
            </p>
            <p className="muted">
              From a terminal: <code>berth run -d hello</code>
            </p>
          </EmptyState>
        ) : (
          <ListTable className="containers-table" columns={COLUMNS}>
            {!loaded ? <SkeletonRows /> : <Rows ids={ids} />}
            {loaded && ids.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="no-match">
                  No container matches “{filter}”.
                </td>
              </tr>
            )}
          </ListTable>
        )}
        {logsOf &&
          ('id' in logsOf ? <LogsPanel key={logsOf.id} id={logsOf.id} /> : <StackLogsPanel key={logsOf.project} project={logsOf.project} />)}
        {terminals && (
          <Suspense fallback={null}>
            <TerminalPanel />
          </Suspense>
        )}
      </div>
    </section>
  );
}
