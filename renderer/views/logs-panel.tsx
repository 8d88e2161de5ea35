import { useEffect, useState } from 'react';
import { followLog } from '../api/follow-log.js';
import { useContainers } from '../store/containers-store.js';
import { LogsFrame, type LogPhase } from './logs-frame.js';

/** The most text kept on screen; older output scrolls away for good. */
const MAX_CHARS = 512 * 1024;
const TAIL_LINES = 1000;

/** Follows a container's output, painted at most once a frame during a flood. */
function useFollowedLog(id: string, startedAt: string, running: boolean): { text: string; phase: LogPhase; problem: string } {
  const [text, setText] = useState('');
  const [phase, setPhase] = useState<LogPhase>('loading');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    let buffered = '';
    let frame = 0;
    setText('');
    // A running container is followed from the start, even before it writes anything.
    setPhase(running ? 'following' : 'loading');
    const flush = () => {
      frame = 0;
      const chunk = buffered;
      buffered = '';
      setText((old) => {
        const next = old + chunk;
        return next.length > MAX_CHARS ? next.slice(next.length - MAX_CHARS) : next;
      });
    };
    const stop = followLog(
      { id, tail: TAIL_LINES },
      {
        onText: (chunk) => {
          buffered += chunk;
          frame ||= requestAnimationFrame(flush);
        },
        onEnd: () => {
          cancelAnimationFrame(frame);
          flush();
          setPhase('ended');
        },
        onError: (detail) => {
          setProblem(detail);
          setPhase('failed');
        },
      },
    );
    return () => {
      stop();
      cancelAnimationFrame(frame);
    };
  }, [id, startedAt, running]);
  return { text, phase, problem };
}

export function LogsPanel({ id }: { id: string }) {
  const name = useContainers((s) => s.byId[id]?.name ?? id.slice(0, 12));
  const startedAt = useContainers((s) => s.byId[id]?.state.startedAt ?? '');
  const running = useContainers((s) => s.byId[id]?.state.status === 'running');
  const { text, phase, problem } = useFollowedLog(id, startedAt, running);
  return <LogsFrame subject={name} phase={phase} problem={problem} output={text} painted={text} />;
}
