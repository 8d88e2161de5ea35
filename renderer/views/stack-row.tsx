import { useShallow } from 'zustand/react/shallow';
import type { Container } from '../../shared/containers.js';
import { IconButton } from '../components/icon-button.js';
import { ChevronIcon, LogsIcon, PlayIcon, RestartIcon, StopIcon, TrashIcon } from '../components/icons.js';
import { PortList } from '../components/port-list.js';
import { removeContainer, restartContainer, startContainer, stopContainer } from '../store/container-commands.js';
import { useContainers } from '../store/containers-store.js';
import { useNotices } from '../store/notices-store.js';
import { useUi } from '../store/ui-store.js';
import { COMPOSE_SERVICE, type Stack } from '../store/compose-stacks.js';

/** One action on every container of the stack at once; the first failure is reported. */
async function each(ids: readonly string[], action: (id: string) => Promise<unknown>): Promise<void> {
  const results = await Promise.allSettled(ids.map(action));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A compose stack as one row: how many of its containers run, its ports, and actions on all of them; expands to its containers. */
export function StackRow({ stack, expanded, onToggle, columns }: { stack: Stack; expanded: boolean; onToggle: () => void; columns: number }) {
  const containers = useContainers(useShallow((s) => stack.ids.map((id) => s.byId[id]).filter((c): c is Container => c !== undefined)));
  const running = containers.filter((c) => c.state.status === 'running');
  const { project } = stack;
  const services = new Set(containers.map((c) => c.spec.labels[COMPOSE_SERVICE] ?? c.name)).size;
  const report = (action: string) => (error: unknown) => useNotices.getState().report(`${action} stack ${project}`, error);
  const tone = running.length === containers.length ? 'ok' : running.length === 0 ? 'idle' : 'bad';
  return (
    <tr className="stack-row" data-stack={project}>
      <td className="cell-name">
        <div className="stack-name">
          <button type="button" className="stack-toggle" aria-expanded={expanded} aria-label={`${expanded ? 'Collapse' : 'Expand'} stack ${project}`} onClick={onToggle}>
            <ChevronIcon />
          </button>
          <span>
            <span className="container-name">{project}</span>
            <span className="container-id" title="A compose stack">
              {services} {services === 1 ? 'service' : 'services'}
            </span>
          </span>
        </div>
      </td>
      <td className="cell-image muted">{[...new Set(containers.map((c) => c.image))].join(', ')}</td>
      <td className="cell-state">
        <span className={`state state-${tone}`}>
          <span className="state-dot" aria-hidden="true" />
          {running.length} of {containers.length} running
        </span>
      </td>
      <td colSpan={Math.max(1, columns - 5)} />
      <td className="cell-ports">
        <PortList ports={containers.flatMap((c) => c.ports)} />
      </td>
      <td className="cell-actions">
        <div className="row-actions" role="group" aria-label={`Actions for stack ${project}`}>
          {running.length > 0 ? (
            <IconButton key="stop" label="Stop stack" icon={<StopIcon />} onAction={() => each(running.map((c) => c.id), stopContainer)} onError={report('Stop')} />
          ) : (
            <IconButton key="start" label="Start stack" icon={<PlayIcon />} onAction={() => each(stack.ids, startContainer)} onError={report('Start')} />
          )}
          <IconButton label="Restart stack" icon={<RestartIcon />} onAction={() => each(stack.ids, restartContainer)} onError={report('Restart')} />
          <IconButton label="Stack logs" icon={<LogsIcon />} onAction={async () => useUi.getState().showLogs({ project })} />
          <IconButton
            label="Remove stack"
            icon={<TrashIcon />}
            tone="danger"
            onAction={() => each(stack.ids, removeContainer)}
            onError={report('Remove')}
            unavailable={running.length > 0 ? 'stop the stack first' : undefined}
          />
        </div>
      </td>
    </tr>
  );
}
