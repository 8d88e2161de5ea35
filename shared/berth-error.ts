import type { ErrorCode, ErrorInfo } from './errors.js';

/**
 * The one error type thrown inside the engine; at the contract edge it becomes an ErrorInfo.
 * Kept free of zod so light clients (the `berth` command) start fast.
 */
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
