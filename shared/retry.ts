import { AppError, isRetryable } from './errors';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with full jitter; a source's Retry-After wins when it asks for longer (capped). */
export function backoffMs(policy: RetryPolicy, attempt: number, error: unknown, random = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const asked =
    error instanceof AppError && 'retryAfterMs' in error ? (error.retryAfterMs as number | undefined) : undefined;
  return asked !== undefined ? Math.min(Math.max(asked, jittered), Math.max(policy.maxDelayMs, 60_000)) : jittered;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `work` until it succeeds, fails permanently, or runs out of attempts; `onRetry` sees each retried failure. */
export async function withRetries<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  options: { signal?: AbortSignal; onRetry?: (error: unknown, attempt: number, delayMs: number) => void } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (options.signal?.aborted || !isRetryable(error) || attempt >= policy.maxAttempts) throw error;
      const delay = backoffMs(policy, attempt, error);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
