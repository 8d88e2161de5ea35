import { z } from 'zod';

/** Stable codes carried across every boundary; the UI and CLI map them to sentences. */
export const ErrorCode = z.enum([
  'INVALID_ARGUMENT',
  'INVALID_REFERENCE',
  'IMAGE_NOT_FOUND',
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_ERROR',
  'DIGEST_MISMATCH',
  'UNSAFE_LAYER',
  'IMAGE_IN_USE',
  'CONTAINER_NOT_FOUND',
  'NAME_IN_USE',
  'CONTAINER_RUNNING',
  'CONTAINER_NOT_RUNNING',
  'INVALID_SIGNAL',
  'RUNTIME_MISSING',
  'RUNTIME_ERROR',
  'NETWORK_ERROR',
  'PORT_IN_USE',
  'ENGINE_NOT_RUNNING',
  'UNKNOWN_METHOD',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  detail: z.unknown().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** The one error type thrown inside the engine; at the contract edge it becomes an ErrorInfo. */
export class BerthError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'BerthError';
  }

  toInfo(): ErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }

  static from(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new BerthError('INTERNAL', message);
  }
}
