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

/** Two byte rates over time (in and out), the latest of each in the header. */
function RateCard({ title, time, lines }: { title: string; time: SeriesData['time']; lines: (ChartLine & { short: string })[] }) {
  return (
    <ChartCard title={title} now={lines.map((line) => `${line.short} ${rate(last(line.values))}`).join('  ')}>
      <TimeChart label={`${title} over time`} time={time} lines={lines} format={rate} floor={1024} height={CHART_HEIGHT} />
    </ChartCard>
  );
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
      <RateCard
        title="Network"
        time={data.time}
        lines={[
          { label: 'Received', short: '↓', tone: 4, values: data.netRx },
          { label: 'Sent', short: '↑', tone: 2, values: data.netTx },
        ]}
      />
      <RateCard
        title="Block I/O"
        time={data.time}
        lines={[
          { label: 'Read', short: 'read', tone: 0, values: data.blockRead },
          { label: 'Written', short: 'write', tone: 5, values: data.blockWrite },
        ]}
      />
    </div>
  );
}
