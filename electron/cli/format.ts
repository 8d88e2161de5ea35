import type { Container } from '../../shared/containers.js';
import { hostAddress, type PortMapping } from '../../shared/ports.js';
import { binarySize } from '../../shared/binary-size.js';

/** Left-aligned columns separated by three spaces, like Docker's tables. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function ago(iso: string, now = Date.now()): string {
  if (!iso) return '';
  return `${duration(now - Date.parse(iso))} ago`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`;
  const d = Math.round(h / 24);
  return `${d} days`;
}

export function statusText(container: Container, now = Date.now()): string {
  const { state } = container;
  switch (state.status) {
    case 'running':
      // Docker's form: "Up 5 minutes (healthy)", "(health: starting)" until the first result.
      return `Up ${duration(now - Date.parse(state.startedAt))}${state.health ? (state.health.status === 'starting' ? ' (health: starting)' : ` (${state.health.status})`) : ''}`;
    case 'exited':
      return `Exited (${state.exitCode}) ${ago(state.finishedAt, now)}`;
    case 'created':
      return state.error ? `Created (start failed: ${state.error})` : 'Created';
    case 'dead':
      return 'Dead';
  }
}

export function bytes(n: number): string {
  const { value, unit } = binarySize(n);
  return `${value < 10 && unit !== 'B' ? value.toFixed(2) : value.toFixed(unit === 'B' ? 0 : 1)}${unit}`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function quoteCommand(argv: string[]): string {
  const text = argv.map((a) => (/[\s"']/.test(a) ? `'${a.replaceAll("'", "'\\''")}'` : a)).join(' ');
  return text.length > 30 ? `"${text.slice(0, 27)}…"` : `"${text}"`;
}

/** Docker's PORTS column: `0.0.0.0:8080->80/tcp, 127.0.0.1:49213->6379/tcp`. */
export function portsColumn(ports: PortMapping[]): string {
  return ports.map((m) => `${hostAddress(m)}->${m.guestPort}/${m.protocol}`).join(', ');
}

/** One line per mapping for `berth port`, with where it came from. */
export function portLine(mapping: PortMapping): string {
  const why =
    mapping.source === 'auto_remap' && mapping.requestedHostPort
      ? `auto_remap: ${mapping.requestedHostPort} was busy`
      : mapping.source;
  return `${mapping.guestPort}/${mapping.protocol} -> ${hostAddress(mapping)} (${why})`;
}
