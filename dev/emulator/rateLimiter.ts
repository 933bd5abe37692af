import type { EmulatorClock } from './types';

/**
 * A byte-rate cap shared by every download of one document: each slice of bytes books the next free time window of
 * its length (bytes / rate) and waits for the window's end before it is written. N bytes thus take N / rate seconds
 * however many requests share the cap, with no burst after idle time and nothing buffered.
 */
export class RateLimiter {
  private nextFree = 0;

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: EmulatorClock,
  ) {
    if (!(bytesPerSecond > 0)) throw new Error(`a rate limit must be positive, got ${bytesPerSecond}`);
  }

  /** The largest slice worth writing at once: a tenth of a second's worth, at most 64 KiB, at least 1 byte. */
  get sliceBytes(): number {
    return Math.max(1, Math.min(64 * 1024, Math.floor(this.bytesPerSecond / 10)));
  }

  /** Resolves when `bytes` may be written. */
  async take(bytes: number): Promise<void> {
    const now = this.clock.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + (bytes * 1000) / this.bytesPerSecond;
    await this.clock.sleep(this.nextFree - now);
  }
}
