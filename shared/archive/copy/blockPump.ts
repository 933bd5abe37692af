import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { discard, errorCode } from '../../acs';
import { AppError, RetryableError, toError } from '../../errors';
import { blockIdFor } from './blockPlan';
import type { StagedCopy } from './stagedCopy';

/** What the pump needs of the copy: where to stage, how big and how many blocks, and whom to tell. */
export interface PumpTarget {
  blob: BlockBlobClient;
  blockSizeBytes: number;
  blocksInFlight: number;
  signal?: AbortSignal;
  onProgress?: (staged: number, total: number) => void;
}

/** Cuts a body into blocks, hashes each in order and stages up to blocksInFlight at once. */
export class BlockPump {
  private readonly free: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** The first staging that failed: storage's error, thrown as it is (not blamed on the download). */
  private failed: Error | undefined;
  private allocated = 0;

  constructor(
    private readonly input: PumpTarget,
    private readonly state: StagedCopy,
    /** The declared size, for progress; null when the source declares none. */
    private readonly total: number | null,
  ) {}

  /** Returns the bytes received from the body (including any skipped ones). */
  async run(body: Readable, bodyStart: number): Promise<number> {
    let skip = this.state.end - bodyStart; // the overlap byte, or everything when the source ignored our Range
    let received = 0;
    let block = await this.takeBuffer();
    let filled = 0;
    try {
      for await (const raw of body as AsyncIterable<Buffer>) {
        received += raw.length;
        let piece = raw;
        if (skip > 0) {
          const dropped = Math.min(skip, piece.length);
          skip -= dropped;
          piece = piece.subarray(dropped);
        }
        while (piece.length > 0) {
          const n = piece.copy(block, filled);
          filled += n;
          piece = piece.subarray(n);
          if (filled === block.length) {
            await this.seal(block, filled);
            block = await this.takeBuffer();
            filled = 0;
          }
        }
        if (this.failed) throw this.failed;
      }
      if (filled > 0) await this.seal(block, filled);
      else this.free.push(block);
    } catch (error) {
      discard(body);
      if (error instanceof AppError || error === this.failed || this.input.signal?.aborted) throw error;
      // A reset or a stalled body surfaces here, while reading, not when the request was made.
      throw new RetryableError('NetworkError', `the download broke off after ${received} bytes (${errorCode(error)})`, {
        cause: error,
      });
    }
    return received;
  }

  /** Waits for every staged block; the error of the first that failed (the hashes are then ahead of what is staged). */
  async settle(): Promise<Error | undefined> {
    await Promise.allSettled([...this.inFlight]);
    return this.failed;
  }

  private async seal(buffer: Buffer, length: number): Promise<void> {
    const data = buffer.subarray(0, length);
    const offset = this.state.end;
    const blockId = blockIdFor(this.state.fingerprint!, offset, length);
    this.state.sha256.update(data);
    this.state.md5.update(data);
    this.state.end += length;
    this.state.blockIds.push(blockId);
    this.input.onProgress?.(this.state.end, this.total ?? this.state.end);
    const staging = this.input.blob
      .stageBlock(blockId, data, length, { abortSignal: this.input.signal })
      .then(
        () => {
          this.free.push(buffer);
        },
        (error: unknown) => {
          this.failed ??= toError(error);
        },
      )
      .finally(() => this.inFlight.delete(staging));
    this.inFlight.add(staging);
  }

  private async takeBuffer(): Promise<Buffer> {
    for (;;) {
      if (this.failed) throw this.failed;
      const buffer = this.free.pop();
      if (buffer) return buffer;
      if (this.allocated < this.input.blocksInFlight + 1) {
        this.allocated++;
        return Buffer.allocUnsafeSlow(this.input.blockSizeBytes);
      }
      await Promise.race(this.inFlight);
    }
  }
}
