import { describe, expect, it } from 'vitest';
import { LogLineSplitter, logText } from './log-lines.js';

describe('LogLineSplitter', () => {
  it('keeps each stream’s unfinished line apart until its newline comes', () => {
    const splitter = new LogLineSplitter();
    expect(splitter.push('2026-12-04T10:00:00.000000001Z hel', 'stdout')).toEqual([]);
    expect(splitter.push('2026-12-04T10:00:00.5Z oops\n', 'stderr')).toEqual([{ stream: 'stderr', time: '2026-12-04T10:00:00.5Z', text: 'oops' }]);
    expect(splitter.push('lo world\n2026-12-04T10:00:01Z next', 'stdout')).toEqual([{ stream: 'stdout', time: '2026-12-04T10:00:00.000000001Z', text: 'hello world' }]);
    expect(splitter.flush()).toEqual([{ stream: 'stdout', time: '2026-12-04T10:00:01Z', text: 'next' }]);
    expect(splitter.flush()).toEqual([]);
  });

  it('takes a line without a time as text', () => {
    expect(new LogLineSplitter().push('no time here\n\n', 'stdout')).toEqual([
      { stream: 'stdout', time: '', text: 'no time here' },
      { stream: 'stdout', time: '', text: '' },
    ]);
  });

  it('writes lines back as a file, with or without their times', () => {
    const lines = [{ stream: 'stderr' as const, time: '2026-12-04T10:00:00Z', text: 'e' }];
    expect(logText(lines, true)).toBe('2026-12-04T10:00:00Z stderr e\n');
    expect(logText(lines, false)).toBe('e\n');
    expect(logText([], false)).toBe('');
  });
});
