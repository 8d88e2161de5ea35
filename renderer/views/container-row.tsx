import { memo } from 'react';
import { PortList } from '../components/port-list.js';
import { StatePill } from '../components/state-pill.js';
import { formatBytes } from '../format/bytes.js';
import { useContainers } from '../store/containers-store.js';
import { routeHash } from '../store/route.js';
import { useStats } from '../store/stats-store.js';
import { ContainerActions } from './container-actions.js';

/** CPU as text and a thin bar; each cell selects one number, so a stats sample touches only it. */
function CpuCell({ id, running }: { id: string; running: boolean }) {
  const cpu = useStats((s) => (running ? s.byId[id]?.cpuPercent : undefined));
  if (cpu === undefined) return <span className="muted">—</span>;
  return (
    <span className="meter" title="CPU, percent of one core">
      <span>{cpu < 10 ? cpu.toFixed(1) : cpu.toFixed(0)}%</span>
      <span className="meter-track" aria-hidden="true">
        <span className="meter-fill" style={{ width: `${Math.min(100, cpu)}%` }} />
      </span>
    </span>
  );
}

function MemoryCell({ id, running }: { id: string; running: boolean }) {
  // The last sample of a container that just stopped is not shown: it no longer uses anything.
  const memory = useStats((s) => (running ? s.byId[id]?.memoryBytes : undefined));
  return memory === undefined ? <span className="muted">—</span> : <span>{formatBytes(memory)}</span>;
}

/** One container. Subscribes to its own record only: a change elsewhere does not render it. */
export const ContainerRow = memo(function ContainerRow({ id, inStack = false }: { id: string; inStack?: boolean }) {
  const container = useContainers((s) => s.byId[id]);
  if (!container) return null;
  const running = container.state.status === 'running';
  return (
    <tr className={`container-row status-${container.state.status}${inStack ? ' in-stack' : ''}`} data-id={id}>
      <td className="cell-name">
        <a className="container-name" href={routeHash({ page: 'container', id, tab: 'overview' })}>
          {container.name}
        </a>
        <span className="container-id mono">{id.slice(0, 12)}</span>
      </td>
      <td className="cell-image mono" title={container.image}>
        {container.image}
      </td>
      <td className="cell-state">
        <StatePill state={container.state} />
      </td>
      <td className="cell-num">
        <CpuCell id={id} running={running} />
      </td>
      <td className="cell-num">
        <MemoryCell id={id} running={running} />
      </td>
      <td className="cell-ports">
        <PortList ports={container.ports} />
      </td>
      <td className="cell-actions">
        <ContainerActions container={container} />
      </td>
    </tr>
  );
});
