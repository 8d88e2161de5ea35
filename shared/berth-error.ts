import type { ErrorCode, ErrorInfo } from './errors.js';

/**
 * The one error type thrown inside the engine; at the contract edge it becomes an ErrorInfo.
 * `message` says what is wrong, `fix` (when there is one) what to do about it, so each client words
 * them its own way. Kept free of zod so light clients (the `berth` command) start fast.
 */
export class BerthError extends Error {
  readonly fix: string | undefined;
  readonly detail: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    more: { fix?: string; detail?: unknown } = {},
  ) {
    super(message);
    this.name = 'BerthError';
    this.fix = more.fix;
    this.detail = more.detail;
  }

  /** The problem and its fix as one line, as a command prints it. */
  get line(): string {
    return this.fix ? `${this.message}: ${this.fix}` : this.message;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.fix === undefined ? {} : { fix: this.fix }),
      ...(this.detail === undefined ? {} : { detail: this.detail }),
    };
  }

  static from(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new BerthError('INTERNAL', message);
  }

  static fromInfo(info: ErrorInfo): BerthError {
    return new BerthError(info.code, info.message, { fix: info.fix, detail: info.detail });
  }
}
