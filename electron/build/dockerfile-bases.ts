/**
 * The images a Dockerfile builds FROM, so the engine can hand them to the builder from its own store
 * (pulling what it lacks) before the build starts. Only what decides the FROM lines is read: line
 * continuations, comments, the ARGs before the first FROM (with --build-arg values), and FROM itself.
 */

const INSTRUCTION = /^\s*([A-Za-z]+)(?:\s+(.*))?$/s;

/** Logical lines: comments and blank lines dropped, `\` continuations joined. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    if (pending === '' && /^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      pending += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    const line = pending + raw;
    pending = '';
    if (line.trim() !== '') lines.push(line.trim());
  }
  if (pending.trim() !== '') lines.push(pending.trim());
  return lines;
}

/** `$NAME`, `${NAME}` and `${NAME:-default}`, as the Dockerfile expands them in FROM. */
function expand(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const value = args.get((braced ?? bare)!);
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

/** Each `NAME[=default]` of an ARG line, quotes taken off the default. */
function argDeclarations(rest: string): [string, string | undefined][] {
  return rest
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => {
      const at = word.indexOf('=');
      if (at < 0) return [word, undefined];
      return [word.slice(0, at), word.slice(at + 1).replace(/^(["'])(.*)\1$/, '$2')];
    });
}

/**
 * The references the stages start from, in order and once each: not `scratch`, and not the name of
 * an earlier stage (`FROM build AS test`).
 */
export function baseImages(dockerfile: string, buildArgs: Readonly<Record<string, string>>): string[] {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const bases: string[] = [];
  let seenFrom = false;
  for (const line of logicalLines(dockerfile)) {
    const [, keyword = '', rest = ''] = INSTRUCTION.exec(line) ?? [];
    const instruction = keyword.toUpperCase();
    if (instruction === 'ARG' && !seenFrom) {
      for (const [name, fallback] of argDeclarations(rest)) {
        const value = buildArgs[name] ?? (fallback === undefined ? undefined : expand(fallback, args));
        if (value !== undefined) args.set(name, value);
      }
    }
    if (instruction !== 'FROM') continue;
    seenFrom = true;
    const words = rest.split(/\s+/).filter((word) => word !== '' && !word.startsWith('--'));
    const image = expand(words[0] ?? '', args);
    if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
    if (image === '' || image.toLowerCase() === 'scratch' || stages.has(image.toLowerCase()) || bases.includes(image)) continue;
    bases.push(image);
  }
  return bases;
}
