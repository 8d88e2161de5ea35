/** Reads one line from stdin; when stdin is a terminal, asks with `question` first, and with `hidden` echoes nothing (a password). */
export function promptLine(question: string, hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  const terminal = stdin.isTTY;
  if (terminal) process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (value: string | Error): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (terminal && hidden) {
        stdin.setRawMode(false);
        process.stderr.write('\n');
      }
      stdin.pause();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        // Ctrl+C in raw mode arrives as a byte, not a signal.
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\n' || char === '\r') return finish(line);
        line = char === '\u007f' ? line.slice(0, -1) : line + char;
      }
    };
    const onEnd = (): void => finish(line);
    if (terminal && hidden) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** All of stdin, without its last line break (`--password-stdin`). */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
