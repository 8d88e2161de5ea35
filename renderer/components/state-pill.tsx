import type { ContainerState } from '../../shared/containers.js';
import type { ContainerHealth } from '../../shared/health.js';
import { formatDuration, since } from '../format/duration.js';
import { useClock } from '../store/clock-store.js';
import { WarningIcon } from './icons.js';
import { Tooltip } from './tooltip.js';

type Tone = 'ok' | 'idle' | 'bad';

/** 128 + the signals a stop sends: HUP, INT, QUIT, KILL, TERM. */
const STOP_EXIT_CODES = new Set([129, 130, 131, 137, 143]);

function describe(state: ContainerState): { tone: Tone; label: string } {
  switch (state.status) {
    case 'running':
      return { tone: 'ok', label: 'Running' };
    case 'created':
      return { tone: 'idle', label: 'Created' };
    case 'dead':
      return { tone: 'bad', label: 'Dead' };
    case 'exited': {
      // A stop ends the process by a stop signal (or KILL after its timeout): not a failure worth red,
      // while its own non-zero exit, a crash (SEGV, ABRT...) or the OOM killer is.
      const failed = state.oomKilled || (state.exitCode !== 0 && !STOP_EXIT_CODES.has(state.exitCode));
      return { tone: failed ? 'bad' : 'idle', label: `Exited (${state.exitCode})` };
    }
  }
}

/** "Up 4m" for a running container, "12m ago" for one that ended. Re-renders only when its text changes. */
function StateTime({ state }: { state: ContainerState }) {
  const text = useClock(({ now }) => {
    if (state.status === 'running') {
      const up = since(state.startedAt, now);
      return up === undefined ? '' : `Up ${formatDuration(up)}`;
    }
    const ago = since(state.finishedAt, now);
    return state.status === 'exited' && ago !== undefined ? `${formatDuration(ago)} ago` : '';
  });
  return <span className="state-time">{text}</span>;
}

const HEALTH_TONE: Record<ContainerHealth['status'], Tone> = { starting: 'idle', healthy: 'ok', unhealthy: 'bad' };

/** What the container's health check says; hovering shows the last probe's output. */
function HealthBadge({ health }: { health: ContainerHealth }) {
  const last = health.log.at(-1);
  const text = last ? `Last check: exit ${last.exitCode}${last.output.trim() ? `, ${last.output.trim()}` : ''}` : 'No check has run yet';
  return (
    <Tooltip text={text} className="state-health">
      <span className={`state state-${HEALTH_TONE[health.status]}`}>health: {health.status}</span>
    </Tooltip>
  );
}

/** A container's state in colour and in words (never colour alone); a failed exit says its last words. */
export function StatePill({ state }: { state: ContainerState }) {
  const { tone, label } = describe(state);
  const lastLine = tone === 'bad' ? state.lastOutput.split('\n').at(-1) : undefined;
  return (
    <span className="state-cell">
      <span className={`state state-${tone}`}>
        <span className="state-dot" aria-hidden="true" />
        {label}
      </span>
      <StateTime state={state} />
      {state.health && <HealthBadge health={state.health} />}
      {lastLine && (
        <Tooltip text={state.lastOutput} className="state-output">
          <span className="state-output-line mono">{lastLine}</span>
          <span className="sr-only">: its last output</span>
        </Tooltip>
      )}
      {state.error && (
        <Tooltip text={state.error} className="state-warning">
          <WarningIcon />
          <span className="sr-only">Problem</span>
        </Tooltip>
      )}
    </span>
  );
}
