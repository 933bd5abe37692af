import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEtag } from './ids';
import type { DocumentVersion } from './records';
import { SyntheticContent } from './syntheticContent';
import type { EmulatorClock } from './types';

/** The temporary store of recording documents (content + metadata), with versions, expiry and deletion. */

export interface ContentSource {
  size: number;
  range(start: number, endInclusive: number): AsyncIterable<Buffer>;
}

export interface StoredDocument {
  documentId: string;
  content: ContentSource;
  mime: string;
  metadata: Buffer;
  metadataEtag: string;
  createdAt: number;
  expired: boolean;
  /** What an expired document answers: 404 (the default), or 410 Gone. */
  expiredStatus?: 404 | 410;
  deleted: boolean;
  /** 1 at creation; `changeVersion` counts up. */
  version: number;
  etag: string;
  /** Seed of the synthetic bytes of later versions. */
  seed: string;
  /** A version waiting for `requestsLeft` more content requests before it replaces the current one. */
  next?: { content: ContentSource; version: number; etag: string; requestsLeft: number };
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

export class DocumentStore {
  private readonly byId = new Map<string, StoredDocument>();

  constructor(
    private readonly retentionMs: number,
    private readonly clock: EmulatorClock,
  ) {}

  add(
    doc: Omit<StoredDocument, 'version' | 'etag' | 'metadataEtag' | 'expired' | 'deleted' | 'createdAt'>,
  ): StoredDocument {
    const stored: StoredDocument = {
      ...doc,
      createdAt: this.clock.now(),
      version: 1,
      etag: newEtag(),
      metadataEtag: newEtag(),
      expired: false,
      deleted: false,
    };
    this.byId.set(doc.documentId, stored);
    return stored;
  }

  get(documentId: string): StoredDocument | undefined {
    return this.byId.get(documentId);
  }

  /** The status a document that cannot be served answers: 410 when it was expired as gone, else 404. */
  goneStatus(documentId: string): 404 | 410 {
    const doc = this.byId.get(documentId);
    return doc && !doc.deleted && doc.expired ? (doc.expiredStatus ?? 404) : 404;
  }

  /** The document if it can be served: not deleted, not expired, within the retention time (emulator clock). */
  live(documentId: string): StoredDocument | undefined {
    const doc = this.byId.get(documentId);
    if (!doc || doc.deleted || doc.expired || this.clock.now() - doc.createdAt > this.retentionMs) return undefined;
    return doc;
  }

  /**
   * Replaces the content with new synthetic bytes (a source file that changed between two requests): a new ETag
   * and, unless told otherwise, a new size. It applies from the next content request on, or once `afterRequests`
   * more content requests have been answered with the current version. Requests already streaming keep the bytes
   * they started with.
   */
  async changeVersion(documentId: string, size?: number, afterRequests = 0): Promise<DocumentVersion> {
    const doc = this.byId.get(documentId);
    if (!doc) throw new Error(`the emulator has no document ${documentId}`);
    const version = Math.max(doc.version, doc.next?.version ?? 0) + 1;
    const content = new SyntheticContent(`${doc.seed}#v${version}`, size ?? doc.content.size + 4096);
    const sha256 = await content.sha256();
    const etag = newEtag();
    doc.next = { content, version, etag, requestsLeft: afterRequests };
    if (afterRequests <= 0) this.countContentRequest(doc);
    return { documentId, version, etag, size: content.size, sha256 };
  }

  /** Counts one content request; a waiting version whose turn has come becomes current first. */
  countContentRequest(doc: StoredDocument): void {
    const next = doc.next;
    if (!next) return;
    if (next.requestsLeft-- > 0) return;
    doc.content = next.content;
    doc.version = next.version;
    doc.etag = next.etag;
    delete doc.next;
  }
}

let mediaCache: Record<'mp4' | 'mp3' | 'wav', Buffer> | undefined;

/** The small real media files a player opens (3 s each; mp4 is 1920x1080 at 8 fps with mono 16 kHz audio). */
export function realMedia(format: 'mp4' | 'mp3' | 'wav'): Buffer {
  if (!mediaCache) {
    // NOTE: compiled code runs from dist-dev/dev/emulator, the media stay in the source tree (tsc does not copy them).
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

/**
 * The WAV sample with one channel per participant, as an unmixed recording is: channel k carries the sample at
 * 1/(k+1) of its level, so that every channel is audible and different. 16-bit PCM, 16 kHz, as the sample.
 */
export function unmixedWav(channels: number): Buffer {
  const mono = realMedia('wav');
  const at = mono.indexOf('data', 12, 'latin1');
  const samples = mono.readUInt32LE(at + 4) / 2;
  const data = Buffer.alloc(samples * 2 * channels);
  for (let i = 0; i < samples; i++) {
    const value = mono.readInt16LE(at + 8 + i * 2);
    for (let k = 0; k < channels; k++) data.writeInt16LE(Math.trunc(value / (k + 1)), (i * channels + k) * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(16000 * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Real media duration in milliseconds (all three samples are 3 s). */
export const REAL_MEDIA_DURATION_MS = 3000;
