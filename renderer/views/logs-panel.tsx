import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { client } from '../api/client.js';
import { describeError } from '../api/error-text.js';
import { CloseIcon } from '../components/icons.js';
import { useContainers } from '../store/containers-store.js';
import { useUi } from '../store/ui-store.js';

/** The most text kept on screen; older output scrolls away for good. */
const MAX_CHARS = 512 * 1024;
const TAIL_LINES = 1000;

type Phase = 'loading' | 'following' | 'ended' | 'failed';

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Follows a container's output (containers.logs with follow). Chunks are bytes: decoded as a stream
 * so a character split across chunks survives, and painted at most once a frame during a flood.
 */
function useFollowedLog(id: string, startedAt: string, running: boolean): { text: string; phase: Phase; problem: string } {
  const [text, setText] = useState('');
  const [phase, setPhase] = useState<Phase>('loading');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const abort = new AbortController();
    const decoder = new TextDecoder();
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
    client
      .call(
        'containers.logs',
        { id, follow: true, tail: TAIL_LINES },
        {
          signal: abort.signal,
          onItem: ({ base64 }) => {
            buffered += decoder.decode(decodeBase64(base64), { stream: true });
            frame ||= requestAnimationFrame(flush);
          },
        },
      )
      .then(() => {
        if (abort.signal.aborted) return;
        buffered += decoder.decode();
        flush();
        setPhase('ended');
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        setProblem(describeError(error).detail);
        setPhase('failed');
      });
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [id, startedAt, running]);
  return { text, phase, problem };
}

const PHASE_TEXT: Record<Phase, string> = {
  loading: 'Loading…',
  following: 'Following',
  ended: 'Not running: showing the last output',
  failed: 'Could not read the logs',
};

export function LogsPanel({ id }: { id: string }) {
  const name = useContainers((s) => s.byId[id]?.name ?? id.slice(0, 12));
  const startedAt = useContainers((s) => s.byId[id]?.state.startedAt ?? '');
  const running = useContainers((s) => s.byId[id]?.state.status === 'running');
  const { text, phase, problem } = useFollowedLog(id, startedAt, running);
  const output = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);

  // Stay at the bottom while new output arrives, unless the reader scrolled up to look at something.
  useLayoutEffect(() => {
    const pre = output.current;
    if (pre && pinned.current) pre.scrollTop = pre.scrollHeight;
  }, [text]);

  return (
    <section className="logs-panel" aria-label={`Logs of ${name}`}>
      <header className="panel-header">
        <h2>
          Logs <span className="panel-subject">{name}</span>
        </h2>
        <span className={`panel-phase phase-${phase}`}>{PHASE_TEXT[phase]}</span>
        <button type="button" className="icon-button" aria-label="Close logs" data-tip="Close logs" onClick={() => useUi.getState().showLogs(undefined)}>
          <CloseIcon />
        </button>
      </header>
      <pre
        ref={output}
        className="logs-output mono"
        tabIndex={0}
        onScroll={(event) => {
          const pre = event.currentTarget;
          pinned.current = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 24;
        }}
      >
        {text || (phase === 'failed' ? problem : phase === 'loading' ? '' : <span className="muted">No output yet.</span>)}
      </pre>
    </section>
  );
}
