export interface LatencySummary {
  label: string;
  runs: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarise(label: string, samplesMs: readonly number[]): LatencySummary | undefined {
  if (samplesMs.length === 0) return undefined;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    label,
    runs: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
    mean: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
  };
}

/** A fixed-width table: label column, then p50 / p90 / min / max in milliseconds. */
export function formatTable(rows: readonly LatencySummary[]): string {
  const width = Math.max(...rows.map((row) => row.label.length), 10);
  const number = (ms: number) => ms.toFixed(1).padStart(9);
  const header = `${''.padEnd(width)}  ${'runs'.padStart(4)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'min ms'.padStart(9)}${'max ms'.padStart(9)}`;
  const lines = rows.map(
    (row) => `${row.label.padEnd(width)}  ${String(row.runs).padStart(4)}${number(row.p50)}${number(row.p90)}${number(row.min)}${number(row.max)}`,
  );
  return [header, ...lines].join('\n');
}

/** The median as the ratio lines take it: the lower middle of an even count. */
export function p50(values: readonly number[]): number {
  return [...values].sort((x, y) => x - y)[Math.ceil(values.length / 2) - 1]!;
}

/** x / y to two decimals, as docs/benchmarks.md gives its ratios. */
export function ratio(x: number, y: number): number {
  return Math.round((x / y) * 100) / 100;
}
