/** A short, calm duration: "12s", "4m", "2h 5m", "3d". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

/** Milliseconds since an ISO time, or undefined when the time is missing or unreadable. */
export function since(iso: string, now: number): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : now - at;
}

/** "5m ago" for recent times; the date itself once it is more than a month back. */
export function formatAge(iso: string, now: number): string {
  const ago = since(iso, now);
  if (ago === undefined) return '—';
  if (ago > 30 * 24 * 3600 * 1000) return iso.slice(0, 10);
  return `${formatDuration(ago)} ago`;
}
