/**
 * The small family of errors the product classifies every failure into. The function layer maps the class to what
 * the trigger expects (Event Grid: throw to get a redelivery, succeed otherwise; HTTP: a status code) in one place.
 */

export type ErrorKind = 'retryable' | 'permanent' | 'badInput' | 'notFound' | 'conflict' | 'config';

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  /** A short machine-readable code for API bodies and logs. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Transient: the same work may succeed later (network reset, 5xx, 429, a lease held by another invocation). */
export class RetryableError extends AppError {
  readonly kind = 'retryable';
  /** How long the source asked us to wait, when it said (Retry-After). */
  readonly retryAfterMs?: number;

  constructor(code: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Permanent: retrying cannot change the outcome (expired source, refused host, rejected by ACS). */
export class PermanentError extends AppError {
  readonly kind = 'permanent';
}

/** The caller's input can never succeed; `field` names what is wrong. */
export class BadInputError extends AppError {
  readonly kind = 'badInput';
  readonly field?: string;

  constructor(message: string, field?: string, code = 'BadInput') {
    super(code, message);
    this.field = field;
  }
}

export class NotFoundError extends AppError {
  readonly kind = 'notFound';
  constructor(message: string, code = 'NotFound') {
    super(code, message);
  }
}

/** An impossible transition (pause a stopped recording) or a conflicting concurrent change. */
export class ConflictError extends AppError {
  readonly kind = 'conflict';
  constructor(message: string, code = 'Conflict') {
    super(code, message);
  }
}

/** A missing or invalid setting; the message names the setting and never holds its value. */
export class ConfigError extends AppError {
  readonly kind = 'config';
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('InvalidSetting', `${setting}: ${message}`);
    this.setting = setting;
  }
}

/** Turns any thrown value into an Error, keeping Errors as they are. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(value)}`);
  }
}

/**
 * Whether the failure is worth retrying. Unknown errors (a bug, an SDK surprise) count as retryable: losing a
 * recording because of a misclassified transient failure is worse than a wasted redelivery.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AppError) return error.kind === 'retryable';
  return true;
}
