import type { LogStream } from '../../shared/containers.js';

/** One line of a container's output: which stream, when (RFC 3339, as the engine stamped it), and the text. */
export interface LogLine {
  stream: LogStream;
  time: string;
  text: string;
}

/**
 * Cuts timestamped output (`TIME TEXT\n` per line, as containers.logs sends with timestamps) into
 * lines. Each stream keeps its own unfinished line, since a chunk may end halfway through one.
 */
export class LogLineSplitter {
  private readonly partial: Record<LogStream, string> = { stdout: '', stderr: '' };

  push(text: string, stream: LogStream): LogLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    return parts.map((line) => toLine(line, stream));
  }

  /** What is left once the output ended: a last line without its newline. */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) lines.push(toLine(this.partial[stream], stream));
      this.partial[stream] = '';
    }
    return lines;
  }
}

function toLine(line: string, stream: LogStream): LogLine {
  const space = line.indexOf(' ');
  const time = space > 0 ? line.slice(0, space) : '';
  return Number.isNaN(Date.parse(time)) ? { stream, time: '', text: line } : { stream, time, text: line.slice(space + 1) };
}

/** The lines as a file: `TIME stream TEXT` with times, else the text alone. */
export function logText(lines: readonly LogLine[], timestamps: boolean): string {
  return lines.map((line) => (timestamps ? `${line.time} ${line.stream} ${line.text}` : line.text)).join('\n') + (lines.length ? '\n' : '');
}
