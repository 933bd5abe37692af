/**
 * Runs `work` over `items`, at most `parallel` at once. A failure ends its own lane only; the promise rejects with the
 * first failure once every lane has settled, so nothing is still running (writing, deleting) when the caller goes on.
 */
export async function inParallel<T>(
  items: readonly T[],
  parallel: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  const settled = await Promise.allSettled(lanes);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
