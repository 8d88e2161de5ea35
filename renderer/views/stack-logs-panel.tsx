import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Container } from '../../shared/containers.js';
import { followLog } from '../api/follow-log.js';
import { useContainers } from '../store/containers-store.js';
import { LogsFrame, type LogPhase } from './logs-frame.js';
import { COMPOSE_PROJECT, serviceTag } from '../store/compose-stacks.js';

/** The most lines kept on screen; older ones scroll away for good. */
const MAX_LINES = 5000;
const TAIL_LINES = 500;
/** As many as there are tag colours in the theme. */
const TONES = 6;

interface Line {
  /** The line's time, as a string that sorts as the time does. */
  at: string;
  /** Index of its container in the tags. */
  from: number;
  text: string;
  key: number;
}

/** RFC 3339 times sort as strings once their fraction is padded to nanoseconds. */
function sortableTime(stamp: string): string {
  const parts = /^(.+T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  return parts ? `${parts[1]}.${(parts[2] ?? '').padEnd(9, '0')}` : stamp;
}

/**
 * Follows every container of the stack at once, with times, and keeps one list of their lines in
 * time order: each tail is merged in where it belongs, later lines mostly arrive in order and are
 * appended. Painted at most once a frame.
 */
function useStackLog(members: readonly Container[], restartKey: string): { lines: Line[]; phase: LogPhase; problem: string } {
  const [lines, setLines] = useState<Line[]>([]);
  const [phase, setPhase] = useState<LogPhase>('loading');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const kept: Line[] = [];
    let next = 0;
    let frame = 0;
    const ended = new Set<number>();
    setLines([]);
    setPhase(members.some((c) => c.state.status === 'running') ? 'following' : members.length === 0 ? 'ended' : 'loading');
    const paint = () => {
      frame = 0;
      setLines([...kept]);
    };
    const add = (raw: string, from: number) => {
      const space = raw.indexOf(' ');
      const at = sortableTime(raw.slice(0, space));
      let i = kept.length;
      while (i > 0 && kept[i - 1]!.at > at) i--;
      kept.splice(i, 0, { at, from, text: raw.slice(space + 1), key: next++ });
      if (kept.length > MAX_LINES) kept.splice(0, kept.length - MAX_LINES);
    };
    const stops = members.map((container, from) => {
      let partial = '';
      return followLog(
        { id: container.id, tail: TAIL_LINES, timestamps: true },
        {
          onText: (chunk) => {
            const split = (partial + chunk).split('\n');
            partial = split.pop()!;
            for (const raw of split) add(raw, from);
            frame ||= requestAnimationFrame(paint);
          },
          onEnd: () => {
            if (partial) add(partial, from);
            ended.add(from);
            frame ||= requestAnimationFrame(paint);
            if (ended.size === members.length) setPhase('ended');
          },
          onError: (detail) => {
            setProblem(`${serviceTag(container)}: ${detail}`);
            setPhase('failed');
          },
        },
      );
    });
    return () => {
      for (const stop of stops) stop();
      cancelAnimationFrame(frame);
    };
    // The members are read when the key says they changed: a container came, went or (re)started.
  }, [restartKey]);
  return { lines, phase, problem };
}

/** A compose stack's logs: its containers' lines interleaved by time, each tagged and coloured by service, as `compose logs` prints them. */
export function StackLogsPanel({ project }: { project: string }) {
  const members = useContainers(
    useShallow((s) =>
      Object.values(s.byId)
        .filter((c) => c.spec.labels[COMPOSE_PROJECT] === project)
        .sort((a, b) => serviceTag(a).localeCompare(serviceTag(b))),
    ),
  );
  const restartKey = members.map((c) => `${c.id}@${c.state.startedAt}:${c.state.status === 'running'}`).join(' ');
  const { lines, phase, problem } = useStackLog(members, restartKey);
  const tags = useMemo(() => {
    const names = members.map(serviceTag);
    const width = Math.max(0, ...names.map((n) => n.length));
    return names.map((n) => `${n.padEnd(width)} | `);
  }, [members]);
  const output = lines.map((line) => (
    <span key={line.key} className="log-line">
      <span className={`log-tag tone-${line.from % TONES}`}>{tags[line.from]}</span>
      {line.text}
      {'\n'}
    </span>
  ));
  return <LogsFrame subject={`stack ${project}`} phase={phase} problem={problem} output={output.length > 0 ? output : undefined} painted={lines} />;
}
