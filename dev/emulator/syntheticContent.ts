import { createHash } from 'node:crypto';

/**
 * Deterministic pseudo-random bytes of any size, produced block by block and never held whole: a 1 MiB base block
 * derived from the seed, each block XOR-tweaked by its number so no two blocks are equal. Gigabytes stream at memcpy
 * speed, and any range can start anywhere.
 */

export const SYNTHETIC_BLOCK_BYTES = 1024 * 1024;

export class SyntheticContent {
  private readonly base: Buffer;

  constructor(
    readonly seed: string,
    readonly size: number,
  ) {
    this.base = Buffer.allocUnsafe(SYNTHETIC_BLOCK_BYTES);
    for (let offset = 0, counter = 0; offset < SYNTHETIC_BLOCK_BYTES; offset += 32, counter++) {
      createHash('sha256').update(`${seed}:${counter}`).digest().copy(this.base, offset);
    }
  }

  private block(index: number): Buffer {
    const block = Buffer.from(this.base);
    const tweak = createHash('sha256').update(`${this.seed}#${index}`).digest();
    for (let i = 0; i < tweak.length; i++) block[i]! ^= tweak[i]!;
    return block;
  }

  /** The bytes from `start` to `endInclusive`, in pieces of at most one block. */
  async *range(start: number, endInclusive: number): AsyncGenerator<Buffer> {
    let position = start;
    while (position <= endInclusive) {
      const index = Math.floor(position / SYNTHETIC_BLOCK_BYTES);
      const from = position - index * SYNTHETIC_BLOCK_BYTES;
      const to = Math.min(SYNTHETIC_BLOCK_BYTES, endInclusive - index * SYNTHETIC_BLOCK_BYTES + 1);
      yield this.block(index).subarray(from, to);
      position += to - from;
    }
  }

  /** SHA-256 (hex) of the whole content, streamed once; yields to the event loop between blocks. */
  async sha256(): Promise<string> {
    const hash = createHash('sha256');
    let blocks = 0;
    for await (const piece of this.range(0, this.size - 1)) {
      hash.update(piece);
      if (++blocks % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return hash.digest('hex');
  }
}
