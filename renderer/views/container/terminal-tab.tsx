import { useEffect, useState } from 'react';
import type { Container } from '../../../shared/containers.js';
import { Button } from '../../components/button.js';
import { TerminalIcon } from '../../components/icons.js';
import { describeError } from '../../api/error-text.js';
import { useTerminals } from '../../store/terminals-store.js';
import { TerminalPanel } from '../terminal-panel.js';

/** The container's terminal sessions, docked in its page; the first opens (or comes back) by itself. */
export function TerminalTab({ container }: { container: Container }) {
  const running = container.state.status === 'running';
  const main = container.spec.tty;
  const hasTab = useTerminals((s) => s.tabs.some((t) => t.containerId === container.id));
  const [problem, setProblem] = useState('');
  const open = () => {
    const terminals = useTerminals.getState();
    (main ? terminals.attachMain(container.id) : terminals.openFor(container.id)).catch((error: unknown) => setProblem(describeError(error).detail));
  };
  useEffect(() => {
    if (running && !hasTab) open();
    // Only on arriving at the tab (or the container starting): a closed tab stays closed.
  }, [container.id, running]);
  if (hasTab) return <TerminalPanel containerId={container.id} />;
  return (
    <div className="page-empty">
      {running ? (
        <Button kind="primary" icon={<TerminalIcon />} onClick={open}>
          {main ? 'Attach to main process' : 'Open a terminal'}
        </Button>
      ) : (
        <p className="muted">Start the container to open a terminal in it.</p>
      )}
      {problem && <p className="detail-problem">{problem}</p>}
    </div>
  );
}
