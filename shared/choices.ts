/**
 * The fixed choices the contract offers, as plain lists: the schemas are built from them, and light
 * clients (the `berth` command) validate with them without loading zod.
 */
export const NETWORK_MODES = ['bridge', 'host', 'none'] as const;
export const PULL_POLICIES = ['always', 'missing', 'never'] as const;
export const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'] as const;
export const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;
/** Docker's container event actions, in Docker's spelling. */
export const CONTAINER_ACTIONS = ['create', 'start', 'die', 'stop', 'kill', 'oom', 'destroy', 'rename', 'attach', 'exec_start', 'exec_die', 'health_status'] as const;

export function isOneOf<T extends string>(choices: readonly T[], value: string): value is T {
  return (choices as readonly string[]).includes(value);
}
