import { createHash, randomUUID } from 'node:crypto';

/**
 * Deterministic block ids, so that a retry (in the same invocation, or a later one after a crash) finds what is
 * already staged and asks the source only for the rest. Each id names the source version it came from (a
 * fingerprint of the declared size and ETag), its byte offset and its length: a resume against another version of
 * the source finds none of its blocks, and no writer can ever restage an id with other bytes or another length.
 * Pure.
 */

const PREFIX = 'cra2';
// NOTE: every id of one blob must have the same length: fixed-width hex fields (offsets up to 2^52, blocks up to 4 GiB).
const ID = /^cra2-([0-9a-f]{12})-([0-9a-f]{13})-([0-9a-f]{8})$/;

/**
 * The version of a source file as its first response declared it. A response that declares neither a size (a body
 * sent chunked without one) nor an ETag cannot be told from another version: it gets a fingerprint of its own, so
 * that nothing staged from it is ever resumed from another response.
 */
export function sourceFingerprint(totalSize: number | null, etag: string | null): string {
  const declared =
    totalSize === null && etag === null ? `unknown ${randomUUID()}` : `${totalSize ?? '?'}\n${etag ?? ''}`;
  return createHash('sha256').update(declared).digest('hex').slice(0, 12);
}

export function blockIdFor(fingerprint: string, offset: number, length: number): string {
  const text = `${PREFIX}-${fingerprint}-${offset.toString(16).padStart(13, '0')}-${length.toString(16).padStart(8, '0')}`;
  return Buffer.from(text, 'utf8').toString('base64');
}

export function parseBlockId(blockId: string): { fingerprint: string; offset: number; length: number } | null {
  const match = ID.exec(Buffer.from(blockId, 'base64').toString('utf8'));
  if (!match) return null;
  return { fingerprint: match[1]!, offset: parseInt(match[2]!, 16), length: parseInt(match[3]!, 16) };
}

export interface StagedBlock {
  name: string;
  size: number;
}

/**
 * The longest run of our own blocks of one source version that covers bytes [0, end) without a gap, from the staged
 * (uncommitted) and committed blocks of a blob. A block whose stored size differs from the length in its id, a
 * foreign block or a block of another version ends the run.
 */
export function stagedPrefix(blocks: readonly StagedBlock[], fingerprint: string): { end: number; blockIds: string[] } {
  const byOffset = new Map<number, StagedBlock>();
  for (const block of blocks) {
    const id = parseBlockId(block.name);
    if (id && id.fingerprint === fingerprint && id.length === block.size && block.size > 0)
      byOffset.set(id.offset, block);
  }
  const blockIds: string[] = [];
  let end = 0;
  for (let block = byOffset.get(0); block; block = byOffset.get(end)) {
    blockIds.push(block.name);
    end += block.size;
  }
  return { end, blockIds };
}

/** The source version with the longest staged prefix (the one a resume should try first), or null. */
export function likeliestFingerprint(blocks: readonly StagedBlock[]): string | null {
  let best: { fingerprint: string; end: number } | null = null;
  for (const fingerprint of new Set(blocks.map((b) => parseBlockId(b.name)?.fingerprint).filter(Boolean))) {
    const { end } = stagedPrefix(blocks, fingerprint!);
    if (!best || end > best.end) best = { fingerprint: fingerprint!, end };
  }
  return best?.fingerprint ?? null;
}
