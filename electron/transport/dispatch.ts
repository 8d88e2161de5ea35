import type { z } from 'zod';
import { contract, isMethodName, type Api, type CallContext, type MethodName } from '../../shared/contract.js';
import { BerthError } from '../../shared/berth-error.js';

/** One line naming what was wrong with a request, from zod's issues. */
export function describeIssues(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return `invalid request for ${method}: ${parts.join('; ')}`;
}

/** A request checked against its method's schema, ready for the engine's handler. */
export interface CheckedRequest {
  method: MethodName;
  request: unknown;
}

/** Checks the method exists and validates the payload with its schema; throws a BerthError naming the bad part. */
export function checkRequest(method: string, params: unknown): CheckedRequest {
  if (!isMethodName(method)) throw new BerthError('UNKNOWN_METHOD', `unknown method "${method.slice(0, 128)}"`);
  const parsed = contract[method].request.safeParse(params ?? {});
  if (!parsed.success) throw new BerthError('INVALID_ARGUMENT', describeIssues(method, parsed.error));
  return { method, request: parsed.data };
}

/** Runs a checked request through the engine's handler. */
export function runRequest(api: Api, { method, request }: CheckedRequest, context: CallContext<unknown>): Promise<unknown> {
  const handler = api[method] as (request: unknown, context: CallContext<unknown>) => Promise<unknown>;
  return handler(request, context);
}

/**
 * The single entry point every transport calls: checks the request and runs the engine's handler.
 * Transports never list methods themselves.
 */
export async function dispatch(api: Api, method: string, params: unknown, context: CallContext<unknown>): Promise<unknown> {
  return runRequest(api, checkRequest(method, params), context);
}
