/** Whether `labels` has every `KEY` or `KEY=VALUE` asked for (Docker's label filters: all must match). */
export function labelsMatch(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((filter) => {
    const eq = filter.indexOf('=');
    return eq === -1 ? Object.hasOwn(labels, filter) : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
  });
}
