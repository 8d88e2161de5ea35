import type { Container } from '../../shared/containers.js';
import { IconButton } from '../components/icon-button.js';
import { LogsIcon, PlayIcon, RestartIcon, StopIcon, TerminalIcon, TrashIcon } from '../components/icons.js';
import { removeContainer, restartContainer, startContainer, stopContainer } from '../store/container-commands.js';
import { useNotices } from '../store/notices-store.js';
import { useTerminals } from '../store/terminals-store.js';
import { useUi } from '../store/ui-store.js';

/**
 * A row's actions. Start and Stop share one place, so the row keeps its shape as the state flips.
 * On the container's own page, Logs and Terminal go to its tabs instead of the list's panels.
 */
export function ContainerActions({ container, onPage = false }: { container: Container; onPage?: boolean }) {
  const { id, name } = container;
  const running = container.state.status === 'running';
  const main = container.spec.tty;
  const report = (action: string) => (error: unknown) => useNotices.getState().report(`${action} ${name}`, error);
  return (
    <div className="row-actions" role="group" aria-label={`Actions for ${name}`}>
      {running ? (
        <IconButton key="stop" label="Stop" icon={<StopIcon />} onAction={() => stopContainer(id)} onError={report('Stop')} />
      ) : (
        <IconButton key="start" label="Start" icon={<PlayIcon />} onAction={() => startContainer(id)} onError={report('Start')} />
      )}
      <IconButton label="Restart" icon={<RestartIcon />} onAction={() => restartContainer(id)} onError={report('Restart')} />
      <IconButton
        label="Logs"
        icon={<LogsIcon />}
        onAction={async () => (onPage ? useUi.getState().navigate({ page: 'container', id, tab: 'logs' }) : useUi.getState().showLogs({ id }))}
      />
      {/* A container started with a terminal shows its own process there, as docker attach does. */}
      <IconButton
        key={main ? 'attach' : 'terminal'}
        label={main ? 'Attach to main process' : 'Terminal'}
        icon={<TerminalIcon />}
        onAction={async () => {
          if (onPage) useUi.getState().navigate({ page: 'container', id, tab: 'terminal' });
          else await (main ? useTerminals.getState().attachMain(id) : useTerminals.getState().openFor(id));
        }}
        onError={report(main ? 'Attach to' : 'Open a terminal in')}
        unavailable={running ? undefined : 'start the container first'}
      />
      <IconButton
        label="Remove"
        icon={<TrashIcon />}
        tone="danger"
        onAction={() => removeContainer(id)}
        onError={report('Remove')}
        unavailable={running ? 'stop the container first' : undefined}
      />
    </div>
  );
}
