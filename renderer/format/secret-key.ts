/** Environment keys whose values are likely secrets: shown masked until the user asks. */
const SECRET_KEY = /pass(word|wd)?|secret|token|api_?key|private|credential|auth|_key$|^key$/i;

export function looksSecret(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `KEY=VALUE` → [KEY, VALUE]; a bare `KEY` has no value. */
export function splitEnv(entry: string): [string, string | undefined] {
  const at = entry.indexOf('=');
  return at === -1 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
}

/** The environment the process starts with: the image's, with the container's own entries over it. */
export function effectiveEnv(imageEnv: readonly string[], containerEnv: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const entry of [...imageEnv, ...containerEnv]) byKey.set(splitEnv(entry)[0], entry);
  return [...byKey.values()];
}
