import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Container, LogStream } from '../../../shared/containers.js';
import { followLog } from '../../api/follow-log.js';
import { saveDownload } from '../../api/save-download.js';
import { SearchIcon } from '../../components/icons.js';
import { LogLineSplitter, logText, type LogLine } from '../../format/log-lines.js';

/** The most lines kept; older ones scroll away for good. */
const MAX_LINES = 10_000;
const TAIL_LINES = 2_000;

const SINCE_CHOICES = [
  { label: 'Everything (last 2,000 lines)', seconds: 0 },
  { label: 'Last 5 minutes', seconds: 5 * 60 },
  { label: 'Last hour', seconds: 3600 },
  { label: 'Last day', seconds: 24 * 3600 },
] as const;

type Phase = 'loading' | 'following' | 'ended' | 'failed';

/** Follows the container's output as lines, stamped with their time and stream; painted at most once a frame. */
function useLogLines(id: string, startedAt: string, sinceSeconds: number): { lines: LogLine[]; phase: Phase; problem: string } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [phase, setPhase] = useState<Phase>('loading');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const splitter = new LogLineSplitter();
    let pending: LogLine[] = [];
    let frame = 0;
    setLines([]);
    setPhase('loading');
    const flush = () => {
      frame = 0;
      const more = pending;
      pending = [];
      setLines((old) => {
        const next = old.concat(more);
        return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
      });
    };
    const since = sinceSeconds ? Date.now() / 1000 - sinceSeconds : undefined;
    const stop = followLog(
      { id, tail: since === undefined ? TAIL_LINES : MAX_LINES, timestamps: true, since },
      {
        onText: (text, stream) => {
          setPhase((p) => (p === 'loading' ? 'following' : p));
          pending.push(...splitter.push(text, stream));
          frame ||= requestAnimationFrame(flush);
        },
        onEnd: () => {
          cancelAnimationFrame(frame);
          pending.push(...splitter.flush());
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
  }, [id, startedAt, sinceSeconds]);
  return { lines, phase, problem };
}

/** The text with each case-insensitive match of `query` marked. */
function highlight(text: string, query: string): ReactNode {
  if (!query) return text;
  const parts: ReactNode[] = [];
  const lower = text.toLowerCase();
  const needle = query.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts;
}

const PHASE_TEXT: Record<Phase, string> = {
  loading: 'Loading…',
  following: 'Following',
  ended: 'Not running: showing the last output',
  failed: 'Could not read the logs',
};

/** The container's output: stdout and stderr told apart, times on demand, search, a time range, download. */
export function LogsTab({ container }: { container: Container }) {
  const [sinceSeconds, setSince] = useState(0);
  const { lines, phase, problem } = useLogLines(container.id, container.state.startedAt, sinceSeconds);
  const [streams, setStreams] = useState<ReadonlySet<LogStream>>(new Set(['stdout', 'stderr']));
  const [timestamps, setTimestamps] = useState(false);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const output = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  const shown = useMemo(() => lines.filter((line) => streams.has(line.stream)), [lines, streams]);
  const matches = useMemo(() => (query ? shown.filter((line) => line.text.toLowerCase().includes(query.toLowerCase())).length : 0), [shown, query]);

  useEffect(() => {
    const element = output.current;
    if (element && pinned.current && !query) element.scrollTop = element.scrollHeight;
  }, [shown, query]);

  const jump = (step: number) => {
    const marked = output.current?.querySelectorAll('.log-line.match');
    if (!marked?.length) return;
    const next = (current + step + marked.length) % marked.length;
    setCurrent(next);
    marked[next]!.scrollIntoView({ block: 'center' });
  };

  const toggle = (stream: LogStream) =>
    setStreams((old) => {
      const next = new Set(old);
      if (!next.delete(stream)) next.add(stream);
      return next;
    });

  return (
    <section className="logs-tab" aria-label={`Logs of ${container.name}`}>
      <div className="logs-tools" role="toolbar" aria-label="Log tools">
        <label className="search">
          <SearchIcon />
          <input
            type="search"
            aria-label="Search the logs"
            placeholder="Search"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setCurrent(-1);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') jump(e.shiftKey ? -1 : 1);
            }}
          />
        </label>
        {query && (
          <span className="muted" role="status">
            {matches === 0 ? 'No match' : `${matches} line${matches === 1 ? '' : 's'} match`}
          </span>
        )}
        <span className="logs-streams">
          {(['stdout', 'stderr'] as const).map((stream) => (
            <label key={stream} className="check">
              <input type="checkbox" checked={streams.has(stream)} onChange={() => toggle(stream)} />
              {stream}
            </label>
          ))}
          <label className="check">
            <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} />
            Timestamps
          </label>
        </span>
        <select aria-label="Since" value={sinceSeconds} onChange={(e) => setSince(Number(e.target.value))}>
          {SINCE_CHOICES.map((choice) => (
            <option key={choice.seconds} value={choice.seconds}>
              {choice.label}
            </option>
          ))}
        </select>
        <button type="button" className="button button-ghost" disabled={shown.length === 0} onClick={() => saveDownload(`${container.name}.log`, new Blob([logText(shown, timestamps)], { type: 'text/plain' }))}>
          Download
        </button>
        <span className={`panel-phase phase-${phase}`}>{PHASE_TEXT[phase]}</span>
      </div>
      <div
        ref={output}
        className="log-lines mono"
        tabIndex={0}
        role="log"
        aria-label="Output"
        onScroll={(event) => {
          const element = event.currentTarget;
          pinned.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
        }}
      >
        {phase === 'failed' && <p className="detail-problem">{problem}</p>}
        {phase !== 'loading' && shown.length === 0 && phase !== 'failed' && <p className="muted">No output{sinceSeconds ? ' in that time' : ' yet'}.</p>}
        {shown.map((line, i) => {
          const match = query !== '' && line.text.toLowerCase().includes(query.toLowerCase());
          return (
            <div key={i} className={`log-line stream-${line.stream}${match ? ' match' : ''}`}>
              {timestamps && <time className="log-time">{line.time}</time>}
              {line.stream === 'stderr' && <span className="sr-only">stderr: </span>}
              <span className="log-text">{highlight(line.text, query)}</span>
            </div>
          );
        })}
      </div>
    </section>
  );
}
