import { useState } from 'react';
import type { HostStatus } from '../../shared/host-status.js';
import { inElectron } from '../api/client.js';
import { WarningIcon } from '../components/icons.js';
import { AdviceText, SetupProgress } from '../components/setup-progress.js';
import { useContainers } from '../store/containers-store.js';
import { useEngine } from '../store/engine-store.js';
import { useImages } from '../store/images-store.js';

const HOST_NAMES = { local: 'Local Linux host', wsl: 'WSL 2' } as const;

function Counts() {
  const text = useContainers((s) => {
    let running = 0;
    for (const id of s.order) if (s.byId[id]?.state.status === 'running') running++;
    const total = s.order.length;
    return `${running} running · ${total} ${total === 1 ? 'container' : 'containers'}`;
  });
  const images = useImages((s) => s.images.length);
  return (
    <span className="status-counts">
      {text} · {images} {images === 1 ? 'image' : 'images'}
    </span>
  );
}

/** Linux that is not ready yet: the step of its set-up with a progress bar, or what is wrong and the fix. */
function HostNotReady({ host }: { host: HostStatus }) {
  const progress = host.progress;
  const busy = host.state === 'importing';
  return (
    <>
      <span className={`status-engine tone-${busy ? 'idle' : 'bad'}`} role="status">
        <span className="state-dot" aria-hidden="true" />
        {busy ? 'Setting up Linux…' : 'Linux is not ready'}
      </span>
      <span className="status-sep" aria-hidden="true" />
      <span className="status-host-message">{host.message}</span>
      {progress && <SetupProgress progress={progress} />}
      {host.fix && (
        <span className="status-fix">
          <AdviceText text={host.fix} />
        </span>
      )}
      <span className="status-spacer" />
    </>
  );
}

/** The engine in one line: reachable or not, on what host and runtime, and anything it warns about. */
export function StatusLine() {
  const { link, host, info, problem } = useEngine();
  const [showWarnings, setShowWarnings] = useState(false);
  const warnings = info?.warnings ?? [];
  const ready = link === 'open' && info !== undefined && problem === undefined;
  const tone = ready ? (warnings.length > 0 ? 'warn' : 'ok') : link === 'connecting' ? 'idle' : 'bad';
  const label = ready ? 'Engine running' : link === 'connecting' ? 'Connecting to the engine…' : 'Engine unreachable';
  const fix =
    problem && link === 'open'
      ? `${problem.title} ${problem.detail} ${problem.fix}`
      : link === 'closed'
        ? inElectron
          ? 'Restart Berth.'
          : 'Start it with npm start or berth serve --web; this page reconnects by itself.'
        : '';

  if (link === 'open' && host && host.state !== 'ready') {
    return (
      <footer className="status-line" aria-label="Engine status">
        <HostNotReady host={host} />
      </footer>
    );
  }

  return (
    <footer className="status-line" aria-label="Engine status">
      <span className={`status-engine tone-${tone}`} role="status">
        <span className="state-dot" aria-hidden="true" />
        {label}
      </span>
      {ready && info && (
        <>
          <span className="status-sep" aria-hidden="true" />
          <span>{HOST_NAMES[info.host]}</span>
          <span className="status-sep" aria-hidden="true" />
          <span title={info.runtime.binary}>
            {info.runtime.name} {info.runtime.version}
          </span>
          <span className="status-sep" aria-hidden="true" />
          <span>Berth {info.version}</span>
        </>
      )}
      {fix && <span className="status-fix">{fix}</span>}
      <span className="status-spacer" />
      {ready && warnings.length > 0 && (
        <span className="status-warnings">
          <button type="button" className="link-button tone-warn" aria-expanded={showWarnings} onClick={() => setShowWarnings((v) => !v)}>
            <WarningIcon />
            {warnings.length} {warnings.length === 1 ? 'warning' : 'warnings'}
          </button>
          {showWarnings && (
            <ul className="warnings-popover" role="list">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </span>
      )}
      {ready && <Counts />}
    </footer>
  );
}
