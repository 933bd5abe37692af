import { discard, SourceExpiredError, type SourceClient } from '../../acs';
import { RetryableError } from '../../errors';
import { withRetries, type RetryPolicy } from '../../retry';

/** What the ACS store says of one file of a chunk, asked without downloading it. */
export type StoreAnswer =
  /** `size`: the file's whole size as the store declares it; `lastByte`: its last byte, when the answer held it. */
  | { kind: 'declared'; size: number; lastByte: number | null; requests: number; bytes: number }
  /** The store's file ends before the customer's copy does (it refused the range: 416). */
  | { kind: 'shorter'; requests: number }
  /** The store's answer declares no size (a body sent chunked): nothing to compare. */
  | { kind: 'undeclared'; requests: number }
  /** The store no longer has it (404 or 410: its retention time has passed). */
  | { kind: 'gone'; requests: number };

/**
 * The size the store declares for a chunk's file, in one signed request for its last byte as the customer's copy
 * counts it (`Range: bytes={size-1}-`, the store honours ranges): a store file of the same size answers 206 with that
 * one byte and `Content-Range: bytes N-N/SIZE`, a longer one declares its size (and its body is dropped unread), a
 * shorter one refuses the range. So the chunk's media is never downloaded a second time to learn its size. Transient
 * failures are retried with `retry`; 401/403 and the rest of what the copy path retries surface as they do there.
 */
export async function storeAnswerFor(input: {
  source: SourceClient;
  location: string;
  documentId: string;
  /** The size of the customer's copy (at least 1). */
  customerSize: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
}): Promise<StoreAnswer> {
  let requests = 0;
  return withRetries(
    input.retry,
    async (): Promise<StoreAnswer> => {
      requests++;
      const from = Math.max(0, input.customerSize - 1);
      let download;
      try {
        download = await input.source.open(input.location, from, input.signal, input.documentId);
      } catch (error) {
        if (error instanceof SourceExpiredError) return { kind: 'gone', requests };
        if (error instanceof RetryableError && error.code === 'RangeNotSatisfiable')
          return { kind: 'shorter', requests };
        throw error;
      }
      if (download.totalSize === null) {
        discard(download.body);
        return { kind: 'undeclared', requests };
      }
      // Only a body of at most the one byte asked for is read; anything longer (the store ignored the range, or its
      // file is longer) is dropped unread: its size is already declared.
      if (download.totalSize - download.start > 1) {
        discard(download.body);
        return { kind: 'declared', size: download.totalSize, lastByte: null, requests, bytes: 0 };
      }
      let lastByte: number | null = null;
      let bytes = 0;
      for await (const piece of download.body as AsyncIterable<Buffer>) {
        bytes += piece.length;
        if (piece.length > 0) lastByte = piece[piece.length - 1]!;
      }
      return { kind: 'declared', size: download.totalSize, lastByte, requests, bytes };
    },
    { signal: input.signal, onRetry: (e, a, d) => input.onRetry?.(e as Error, a, d) },
  );
}
