import { useState } from 'react';
import type { PruneReport } from '../../shared/disk-usage.js';
import { describeError, type ErrorText } from '../api/error-text.js';
import { formatBytes } from '../format/bytes.js';
import { counted } from '../format/plural.js';
import { Button } from './button.js';
import { ErrorMessage } from './error-message.js';
import { TrashIcon } from './icons.js';

type Step = { phase: 'idle' } | { phase: 'asking'; count: number; space: number } | { phase: 'done'; count: number; space: number } | { phase: 'failed'; error: ErrorText };

interface PruneButtonProps {
  label: string;
  /** What goes, for the question and the answer, one and many: "stopped container(s)". */
  what: { one: string; many: string };
  /** Runs the prune: dry, to ask; then for real. */
  prune: (dryRun: boolean) => Promise<PruneReport>;
  /** Counts a report's items, where Docker lists more than the user thinks of (a build cache's layers). */
  count?: (report: PruneReport) => number;
}

/** "3 stopped containers"; a kind with nothing to count (the build cache) by its name alone. */
function subject(count: number, what: PruneButtonProps['what']): string {
  return count > 0 ? counted(count, what.one, what.many) : what.many;
}

/** A clean-up that first says what it would remove and the space it would free, and removes only on a yes. */
export function PruneButton({ label, what, prune, count = (report) => report.removed.length }: PruneButtonProps) {
  const [step, setStep] = useState<Step>({ phase: 'idle' });
  const [busy, setBusy] = useState(false);
  const act = async (dryRun: boolean) => {
    setBusy(true);
    try {
      const report = await prune(dryRun);
      setStep({ phase: dryRun ? 'asking' : 'done', count: count(report), space: report.spaceReclaimed });
    } catch (error) {
      setStep({ phase: 'failed', error: describeError(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="prune">
      {step.phase === 'asking' ? (
        step.count === 0 && step.space === 0 ? (
          <p className="prune-line" role="status">
            Nothing to remove: no {what.many}.{' '}
            <button type="button" className="link-button" onClick={() => setStep({ phase: 'idle' })}>
              OK
            </button>
          </p>
        ) : (
          <div className="prune-line prune-ask" role="group" aria-label={`Confirm: ${label}`}>
            <span>
              Remove {subject(step.count, what)}, freeing <strong>{formatBytes(step.space)}</strong>?
            </span>
            <Button kind="primary" icon={<TrashIcon />} busy={busy} onClick={() => void act(false)}>
              Remove
            </Button>
            <Button kind="ghost" onClick={() => setStep({ phase: 'idle' })}>
              Cancel
            </Button>
          </div>
        )
      ) : (
        <Button icon={<TrashIcon />} busy={busy} onClick={() => void act(true)}>
          {label}
        </Button>
      )}
      {step.phase === 'done' && (
        <p className="prune-line prune-done" role="status">
          Removed {subject(step.count, what)}: {formatBytes(step.space)} freed.
        </p>
      )}
      {step.phase === 'failed' && <ErrorMessage error={step.error} onDismiss={() => setStep({ phase: 'idle' })} />}
    </div>
  );
}
