/**
 * The queue extension's polling delay (RandomizedExponentialBackoffStrategy in the Storage extension): after a poll
 * that found messages, the next empty poll waits the minimum (100 ms); each further empty poll waits
 * minimum + random(0.8..1.2) x 2^(n-1) x minimum, until that reaches the maximum (maxPollingInterval), which it keeps.
 * Pure: `random` is injectable for tests.
 */
export class RandomizedExponentialBackoff {
  static readonly RANDOMIZATION_FACTOR = 0.2;
  private current = 0;
  private exponent = 0;

  constructor(
    private readonly minimumMs: number,
    private readonly maximumMs: number,
    private readonly random: () => number = Math.random,
  ) {
    if (minimumMs < 0 || maximumMs < minimumMs) throw new Error('backoff: need 0 <= minimum <= maximum');
  }

  /** The delay before the next poll; `foundMessages`: whether any poll since the last delay found messages. */
  nextDelay(foundMessages: boolean): number {
    if (foundMessages) {
      this.current = this.minimumMs;
      this.exponent = 1;
    } else if (this.current !== this.maximumMs) {
      let interval = this.minimumMs;
      if (this.exponent > 0) {
        const spread = RandomizedExponentialBackoff.RANDOMIZATION_FACTOR;
        const factor = 1 - spread + this.random() * 2 * spread;
        interval += factor * 2 ** (this.exponent - 1) * this.minimumMs;
      }
      if (interval < this.maximumMs) {
        this.current = interval;
        this.exponent++;
      } else this.current = this.maximumMs;
    }
    return this.current;
  }
}
