/**
 * buildah's last words on a failed build, as one line a user can act on: the Dockerfile line of the
 * step that failed, the step, and why; without buildah's Go dumps or the engine's work folders.
 */
export function describeBuildFailure(said: string, dockerfile: string, contextDir: string): string {
  const text = said
    .replace(/^Error:\s*/, '')
    .replace(/\s*&imagebuilder\.Step\{.*$/s, '')
    .replaceAll(`"${contextDir}"`, 'the context')
    .replaceAll(contextDir, 'the context');
  const step = /building at STEP "([^"]*)": (.*)$/s.exec(text);
  if (!step) return text;
  const instruction = step[1]!.trim();
  const why = step[2]!.replace(/^Build error: /, '');
  const line = lineOf(dockerfile, instruction);
  return `${line ? `Dockerfile line ${line}` : 'Dockerfile'}: ${instruction}: ${why}`;
}

const squeeze = (text: string): string => text.replace(/\s+/g, ' ').trim().toLowerCase();

/** The line (from 1) where the first instruction reading as `instruction` starts, continuations joined. */
function lineOf(dockerfile: string, instruction: string): number | undefined {
  const wanted = squeeze(instruction);
  const lines = dockerfile.split(/\r?\n/);
  for (let start = 0; start < lines.length; start++) {
    let logical = '';
    for (let i = start; i < lines.length; i++) {
      const continued = /\\\s*$/.test(lines[i]!);
      logical += ` ${lines[i]!.replace(/\\\s*$/, '')}`;
      if (!continued) break;
    }
    const candidate = squeeze(logical);
    if (candidate !== '' && (candidate.startsWith(wanted) || wanted.startsWith(candidate))) return start + 1;
  }
  return undefined;
}
