import type { ReactNode } from 'react';
import { FollowedOutput } from '../components/followed-output.js';
import { CloseIcon } from '../components/icons.js';
import { useUi } from '../store/ui-store.js';

export type LogPhase = 'loading' | 'following' | 'ended' | 'failed';

const PHASE_TEXT: Record<LogPhase, string> = {
  loading: 'Loading…',
  following: 'Following',
  ended: 'Not running: showing the last output',
  failed: 'Could not read the logs',
};

/** The logs pane: a header naming whose logs they are, and the output as it grows. */
export function LogsFrame({ subject, phase, problem, output, painted }: { subject: string; phase: LogPhase; problem: string; output: ReactNode; painted: unknown }) {
  return (
    <section className="logs-panel" aria-label={`Logs of ${subject}`}>
      <header className="panel-header">
        <h2>
          Logs <span className="panel-subject">{subject}</span>
        </h2>
        <span className={`panel-phase phase-${phase}`}>{PHASE_TEXT[phase]}</span>
        <button type="button" className="icon-button" aria-label="Close logs" data-tip="Close logs" onClick={() => useUi.getState().showLogs(undefined)}>
          <CloseIcon />
        </button>
      </header>
      <FollowedOutput painted={painted}>
        {output || (phase === 'failed' ? problem : phase === 'loading' ? '' : <span className="muted">No output yet.</span>)}
      </FollowedOutput>
    </section>
  );
}
