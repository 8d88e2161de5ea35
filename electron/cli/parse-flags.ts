import { BerthError } from '../../shared/berth-error.js';

export interface FlagSpec {
  /** Long name without dashes, e.g. 'name'. */
  name: string;
  short?: string;
  /** Takes a value (`--name x`, `--name=x`, `-n x`); otherwise a boolean switch. */
  value?: boolean;
  /** May be given several times; values collect into a list. */
  repeat?: boolean;
}

export interface ParsedFlags {
  flags: Map<string, string[]>;
  positionals: string[];
}

/**
 * Docker-style flag parsing: flags come before the first positional argument when `stopAtPositional`
 * (so `run IMAGE sh -c ...` keeps the command's own flags), anywhere otherwise.
 */
export function parseFlags(args: string[], specs: FlagSpec[], stopAtPositional: boolean): ParsedFlags {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const set = (spec: FlagSpec, value: string) => {
    const list = flags.get(spec.name) ?? [];
    if (!spec.repeat) list.length = 0;
    list.push(value);
    flags.set(spec.name, list);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtPositional) {
        positionals.push(...args.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const key = long ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1, 2);
    const spec = long ? byName.get(key) : byShort.get(key);
    if (!spec) throw new BerthError('INVALID_ARGUMENT', `unknown flag: ${long ? `--${key}` : `-${key}`}`);
    if (!spec.value) {
      // Short switches may be grouped: -it, -af.
      if (!long && arg.length > 2) {
        for (const letter of arg.slice(1)) {
          const grouped = byShort.get(letter);
          if (!grouped || grouped.value) throw new BerthError('INVALID_ARGUMENT', `unknown flag: -${letter} in ${arg}`);
          set(grouped, 'true');
        }
        continue;
      }
      set(spec, eq > 0 && long ? arg.slice(eq + 1) : 'true');
      continue;
    }
    let value: string | undefined;
    if (long && eq > 0) value = arg.slice(eq + 1);
    else if (!long && arg.length > 2) value = arg.slice(arg[2] === '=' ? 3 : 2);
    else value = args[++i];
    if (value === undefined) throw new BerthError('INVALID_ARGUMENT', `flag --${spec.name} needs a value`);
    set(spec, value);
  }
  return { flags, positionals };
}

export function flagValue(parsed: ParsedFlags, name: string): string | undefined {
  return parsed.flags.get(name)?.at(-1);
}

export function flagValues(parsed: ParsedFlags, name: string): string[] {
  return parsed.flags.get(name) ?? [];
}

/**
 * `KEY=VALUE` flags (labels, build args) as a record. A bare `KEY` takes `bare(KEY)`, and is left
 * out when that is undefined (Docker's `--build-arg KEY` reads this shell's environment).
 */
export function flagPairs(parsed: ParsedFlags, name: string, bare: (key: string) => string | undefined = () => ''): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const value of flagValues(parsed, name)) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    const given = eq < 0 ? bare(key) : value.slice(eq + 1);
    if (given !== undefined) pairs[key] = given;
  }
  return pairs;
}

export function flagSet(parsed: ParsedFlags, name: string): boolean {
  const value = flagValue(parsed, name);
  return value !== undefined && value !== 'false';
}

export function flagInt(parsed: ParsedFlags, name: string): number | undefined {
  const value = flagValue(parsed, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new BerthError('INVALID_ARGUMENT', `flag --${name} needs a whole number, got "${value}"`);
  return Number(value);
}
