import { useMemo, useState } from 'react';
import { CloseIcon, PlusIcon, SearchIcon } from '../components/icons.js';
import { useContainers } from '../store/containers-store.js';
import { useNotices } from '../store/notices-store.js';
import { useTerminals, type TerminalTab } from '../store/terminals-store.js';
import { TerminalScreen, terminalSearches } from './terminal-screen.js';

/** "web-1", "web-1 (2)" for the second tab of the same container, "web-1 · main" for its main process. */
function useTabLabels(tabs: TerminalTab[]): string[] {
  const names = useContainers((s) => tabs.map((t) => `${s.byId[t.containerId]?.name ?? t.containerId.slice(0, 12)}${t.main ? ' · main' : ''}`).join('\n'));
  const list = names.split('\n');
  const seen = new Map<string, number>();
  return list.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} (${n})`;
  });
}

/**
 * Interactive sessions, one tab each. Closing a tab leaves its session running; "Close session" ends it.
 * Docked in a container's page, only that container's sessions.
 */
export function TerminalPanel({ containerId }: { containerId?: string }) {
  const allTabs = useTerminals((s) => s.tabs);
  const tabs = useMemo(() => (containerId ? allTabs.filter((t) => t.containerId === containerId) : allTabs), [allTabs, containerId]);
  const chosen = useTerminals((s) => s.active);
  const active = tabs.some((t) => t.sessionId === chosen) ? chosen : tabs.at(-1)?.sessionId;
  const labels = useTabLabels(tabs);
  const [query, setQuery] = useState('');
  const current = tabs.find((t) => t.sessionId === active);
  // Closing a running main process's session only detaches from it; an ended one just closes.
  const detaches = current?.main === true && current.exitCode === null;
  const report = (action: string) => (error: unknown) => useNotices.getState().report(action, error);

  const find = (backwards: boolean) => {
    const search = active ? terminalSearches.get(active) : undefined;
    if (!search || !query) return;
    if (backwards) search.findPrevious(query);
    else search.findNext(query);
  };

  return (
    <section className="terminal-panel" aria-label="Terminal">
      <header className="panel-header terminal-header">
        <h2 className="sr-only">Terminal</h2>
        <div className="terminal-tabs" role="tablist" aria-label="Terminal sessions">
          {tabs.map((tab, i) => (
            <div key={tab.sessionId} className={`terminal-tab ${tab.sessionId === active ? 'active' : ''} ${tab.exitCode !== null ? 'exited' : ''}`}>
              <button
                type="button"
                role="tab"
                aria-selected={tab.sessionId === active}
                aria-controls={`terminal-${tab.sessionId}`}
                onClick={() => useTerminals.getState().select(tab.sessionId)}
              >
                {labels[i]}
                {tab.exitCode !== null && <span className="muted"> · exited</span>}
              </button>
              <button
                type="button"
                className="terminal-tab-close"
                aria-label={`Close tab ${labels[i]}`}
                data-tip="Close tab (the session keeps running)"
                onClick={() => useTerminals.getState().detach(tab.sessionId)}
              >
                <CloseIcon />
              </button>
            </div>
          ))}
          {current && (
            <button
              type="button"
              className="icon-button"
              aria-label="New session"
              data-tip="New session in this container"
              onClick={() => useTerminals.getState().openNew(current.containerId).catch(report('Open a terminal'))}
            >
              <PlusIcon />
            </button>
          )}
        </div>
        <label className="search terminal-search">
          <SearchIcon />
          <input
            type="search"
            aria-label="Search in the terminal"
            placeholder="Search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') find(e.shiftKey);
            }}
          />
        </label>
        {current && (
          <button
            type="button"
            className="button button-ghost"
            data-tip={detaches ? 'The container runs on; attach again from its row' : undefined}
            onClick={() => useTerminals.getState().closeSession(current.sessionId).catch(report(detaches ? 'Detach' : 'Close the session'))}
          >
            {detaches ? 'Detach' : 'Close session'}
          </button>
        )}
      </header>
      <div className="terminal-screens">
        {tabs.map((tab) => (
          <div key={tab.sessionId} id={`terminal-${tab.sessionId}`} role="tabpanel" className="terminal-tabpanel" hidden={tab.sessionId !== active}>
            <TerminalScreen sessionId={tab.sessionId} visible={tab.sessionId === active} />
          </div>
        ))}
      </div>
    </section>
  );
}
