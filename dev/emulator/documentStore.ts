import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyntheticContent } from './syntheticContent';
import type { Fault } from './types';

/** The temporary store of recording documents (content + metadata), with per-document faults and expiry. */

export interface ContentSource {
  size: number;
  range(start: number, endInclusive: number): AsyncIterable<Buffer>;
}

export interface StoredDocument {
  documentId: string;
  content: ContentSource;
  mime: string;
  metadata: Buffer;
  createdAt: number;
  expired: boolean;
  deleted: boolean;
}

export class BufferContent implements ContentSource {
  constructor(private readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length;
  }
  async *range(start: number, endInclusive: number): AsyncGenerator<Buffer> {
    for (let at = start; at <= endInclusive; at += 64 * 1024) {
      yield this.bytes.subarray(at, Math.min(at + 64 * 1024, endInclusive + 1));
    }
  }
}

export function bufferSha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export { SyntheticContent };

let mediaCache: Record<'mp4' | 'mp3' | 'wav', Buffer> | undefined;

/** The small real media files a player opens (3 s each; mp4 is 1920x1080 at 8 fps with mono 16 kHz audio). */
export function realMedia(format: 'mp4' | 'mp3' | 'wav'): Buffer {
  if (!mediaCache) {
    // NOTE: compiled code runs from dist/dev/emulator, the media stay in the source tree (tsc does not copy them).
    const folder = [join(__dirname, 'media'), join(__dirname, '..', '..', '..', 'dev', 'emulator', 'media')].find((f) =>
      existsSync(join(f, 'sample.mp4')),
    );
    if (!folder) throw new Error(`the emulator's media files were not found next to ${__dirname}`);
    mediaCache = {
      mp4: readFileSync(join(folder, 'sample.mp4')),
      mp3: readFileSync(join(folder, 'sample.mp3')),
      wav: readFileSync(join(folder, 'sample.wav')),
    };
  }
  return mediaCache[format];
}

/** Real media duration in milliseconds (all three samples are 3 s). */
export const REAL_MEDIA_DURATION_MS = 3000;

type QueuedFault = Fault & { remaining: number };

export class FaultQueue {
  private readonly byDocument = new Map<string, QueuedFault[]>();

  add(documentId: string, fault: Fault): void {
    const queue = this.byDocument.get(documentId) ?? [];
    queue.push({ ...fault, remaining: fault.times ?? 1 });
    this.byDocument.set(documentId, queue);
  }

  clear(documentId?: string): void {
    if (documentId === undefined) this.byDocument.clear();
    else this.byDocument.delete(documentId);
  }

  /** Takes the next fault for this document and target, if any, counting one use of it. */
  take(documentId: string, target: 'content' | 'metadata', canRedirect: boolean): Fault | undefined {
    const queue = this.byDocument.get(documentId);
    if (!queue) return undefined;
    const index = queue.findIndex((f) => (f.target ?? 'content') === target && (canRedirect || f.kind !== 'redirect'));
    if (index < 0) return undefined;
    const fault = queue[index]!;
    fault.remaining--;
    if (fault.remaining <= 0) queue.splice(index, 1);
    return fault;
  }
}
