import type { z } from 'zod';
import { contract, isMethodName, type Api, type CallContext } from '../../shared/contract.js';
import { BerthError } from '../../shared/berth-error.js';

/** One line naming what was wrong with a request, from zod's issues. */
export function describeIssues(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return `invalid request for ${method}: ${parts.join('; ')}`;
}

/**
 * The single entry point every transport calls: checks the method exists, validates the payload
 * with its schema, and runs the engine's handler. Transports never list methods themselves.
 */
export async function dispatch(api: Api, method: string, params: unknown, context: CallContext<unknown>): Promise<unknown> {
  if (!isMethodName(method)) throw new BerthError('UNKNOWN_METHOD', `unknown method "${method.slice(0, 128)}"`);
  const schema = contract[method].request;
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) throw new BerthError('INVALID_ARGUMENT', describeIssues(method, parsed.error));
  const handler = api[method] as (request: unknown, context: CallContext<unknown>) => Promise<unknown>;
  return handler(parsed.data, context);
}

