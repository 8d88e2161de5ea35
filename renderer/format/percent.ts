/** 3.14 → "3.1%", 42.4 → "42%": a tenth where it is still worth reading. */
export function formatPercent(percent: number): string {
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}
