import type { HostStatus } from '../../shared/host-status.js';

/** A set-up step with its bar and percentage (the WSL distro's import, upgrade or restore). */
export function SetupProgress({ progress }: { progress: NonNullable<HostStatus['progress']> }) {
  return (
    <span className="setup-progress">
      <span className="setup-progress-step">{progress.step}</span>
      <progress max={1} value={progress.fraction} aria-label={progress.step} />
      <span className="setup-progress-percent">{Math.round(progress.fraction * 100)}%</span>
    </span>
  );
}

/** Advice with `commands` in backticks, shown as code. */
export function AdviceText({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : <span key={i}>{part}</span>))}
    </>
  );
}
