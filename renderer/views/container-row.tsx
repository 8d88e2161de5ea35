import { memo, useDeferredValue, useMemo } from 'react';
import { PortList } from '../components/port-list.js';
import { StatePill } from '../components/state-pill.js';
import { TimeChart } from '../components/time-chart.js';
import { formatBytes } from '../format/bytes.js';
import { formatPercent } from '../format/percent.js';
import { useContainers } from '../store/containers-store.js';
import { routeHash } from '../../shared/app-route.js';
import { statsHistory, useStats } from '../store/stats-store.js';
import { ContainerActions } from './container-actions.js';

/** The last minute of CPU, drawn small beside the number: it moves with every sample, so it follows the sample itself. */
const SPARK_SAMPLES = 60;

function CpuSparkline({ id }: { id: string }) {
  // Drawn after the figures, in a render React may put off: a tick's numbers never wait on the lines.
  // The urgent render gives back the same chart element, so React leaves the line alone until then.
  const sample = useDeferredValue(useStats((s) => s.byId[id]), undefined);
  return useMemo(() => {
    const recent = sample && statsHistory.series(id, SPARK_SAMPLES);
    if (!recent) return null;
    return <TimeChart bare label="CPU over the last minute" time={recent.time} lines={[{ label: 'CPU', tone: 0, values: recent.cpuPercent }]} format={formatPercent} floor={100} width={52} height={18} />;
  }, [id, sample]);
}

/** CPU as text and a sparkline; the number selects only itself, so an unchanged figure is not drawn again. */
function CpuCell({ id, running }: { id: string; running: boolean }) {
  const cpu = useStats((s) => (running ? s.byId[id]?.cpuPercent : undefined));
  if (cpu === undefined) return <span className="muted">—</span>;
  return (
    <span className="meter" title="CPU, percent of one core; the line is the last minute">
      <span>{formatPercent(cpu)}</span>
      <CpuSparkline id={id} />
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
