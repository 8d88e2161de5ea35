import type { ReactNode } from 'react';
import type { Container } from '../../../shared/containers.js';
import { TimeChart, type ChartLine } from '../../components/time-chart.js';
import { formatBytes } from '../../format/bytes.js';
import { formatPercent } from '../../format/percent.js';
import { statsHistory, useStats } from '../../store/stats-store.js';
import type { SeriesData } from '../../store/stats-history.js';

const CHART_HEIGHT = 170;
const rate = (bytes: number) => `${formatBytes(bytes)}/s`;

function ChartCard({ title, now, children }: { title: string; now: string; children: ReactNode }) {
  return (
    <section className="chart-card" aria-label={title}>
      <header>
        <h2>{title}</h2>
        <span className="chart-now mono">{now}</span>
      </header>
      {children}
    </section>
  );
}

function last(values: Float32Array): number {
  return values[values.length - 1] ?? 0;
}

/** The charts of one container's last ten minutes; each new sample re-renders this tab alone. */
export function StatsTab({ container }: { container: Container }) {
  const latest = useStats((s) => s.byId[container.id]);
  const data: SeriesData | undefined = latest && statsHistory.series(container.id);
  if (container.state.status !== 'running') {
    return <p className="page-empty">{container.name} is not running: what it uses shows here while it runs.</p>;
  }
  if (!data || data.time.length === 0) return <p className="page-empty" role="status">Waiting for the first sample…</p>;
  const limit = last(data.memoryLimitBytes);
  const memory: ChartLine[] = [{ label: 'Used', tone: 1, values: data.memoryBytes }];
  // A limit far above the use would flatten the line it is there to put in scale.
  if (limit > 0 && last(data.memoryBytes) >= limit / 4) memory.push({ label: 'Limit', tone: 3, values: data.memoryLimitBytes, dash: [4, 4] });
  return (
    <div className="stats-charts">
      <ChartCard title="CPU" now={formatPercent(last(data.cpuPercent))}>
        <TimeChart label="CPU over time" time={data.time} lines={[{ label: 'CPU', tone: 0, values: data.cpuPercent }]} format={formatPercent} floor={100} height={CHART_HEIGHT} />
      </ChartCard>
      <ChartCard title="Memory" now={limit > 0 ? `${formatBytes(last(data.memoryBytes))} of ${formatBytes(limit)}` : formatBytes(last(data.memoryBytes))}>
        <TimeChart label="Memory over time" time={data.time} lines={memory} format={formatBytes} floor={1024 * 1024} height={CHART_HEIGHT} />
      </ChartCard>
      <ChartCard title="Network" now={`↓ ${rate(last(data.netRx))}  ↑ ${rate(last(data.netTx))}`}>
        <TimeChart
          label="Network over time"
          time={data.time}
          lines={[
            { label: 'Received', tone: 4, values: data.netRx },
            { label: 'Sent', tone: 2, values: data.netTx },
          ]}
          format={rate}
          floor={1024}
          height={CHART_HEIGHT}
        />
      </ChartCard>
      <ChartCard title="Block I/O" now={`read ${rate(last(data.blockRead))}  write ${rate(last(data.blockWrite))}`}>
        <TimeChart
          label="Block I/O over time"
          time={data.time}
          lines={[
            { label: 'Read', tone: 0, values: data.blockRead },
            { label: 'Written', tone: 5, values: data.blockWrite },
          ]}
          format={rate}
          floor={1024}
          height={CHART_HEIGHT}
        />
      </ChartCard>
    </div>
  );
}
