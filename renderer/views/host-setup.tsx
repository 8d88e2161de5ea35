import type { HostStatus } from '../../shared/host-status.js';
import { EmptyState } from '../components/empty-state.js';
import { WarningIcon } from '../components/icons.js';
import { AdviceText, SetupProgress } from '../components/setup-progress.js';
import { Spinner } from '../components/spinner.js';

/**
 * Where the lists will be, while Linux is not ready: the set-up's step and progress, or what is
 * wrong with WSL and the one thing to do about it.
 */
export function HostSetup({ host }: { host: HostStatus }) {
  const busy = host.state === 'importing';
  return (
    <section className={`host-setup ${busy ? '' : 'needs-fix'}`} aria-label="Linux set-up">
      <EmptyState icon={busy ? <Spinner /> : <WarningIcon />} title={busy ? 'Setting up Berth’s Linux' : 'Linux is not ready'}>
        <p>{host.message}</p>
        {host.progress && <SetupProgress progress={host.progress} />}
        {host.fix && (
          <p className="host-setup-fix">
            <AdviceText text={host.fix} />
          </p>
        )}
      </EmptyState>
    </section>
  );
}
