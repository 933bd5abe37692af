/**
 * Deterministic block ids derived from byte offsets: a retry (same invocation, or a later one after a crash) finds
 * what is already staged and asks the source only for the rest. Pure.
 */

const PREFIX = 'cra1-';
const DIGITS = 15; // offsets up to ~1 PB; all ids of a blob must have the same length

export function blockIdFor(offset: number): string {
  return Buffer.from(`${PREFIX}${String(offset).padStart(DIGITS, '0')}`, 'utf8').toString('base64');
}

export function offsetOfBlockId(blockId: string): number | null {
  const text = Buffer.from(blockId, 'base64').toString('utf8');
  if (!text.startsWith(PREFIX) || text.length !== PREFIX.length + DIGITS) return null;
  const offset = Number(text.slice(PREFIX.length));
  return Number.isSafeInteger(offset) ? offset : null;
}

export interface StagedBlock {
  name: string;
  size: number;
}

/**
 * The longest run of our own blocks that covers bytes [0, end) without a gap, from the staged (uncommitted) and
 * committed blocks of a blob. Foreign or overlapping blocks end the run.
 */
export function stagedPrefix(blocks: readonly StagedBlock[]): { end: number; blockIds: string[] } {
  const byOffset = new Map<number, StagedBlock>();
  for (const block of blocks) {
    const offset = offsetOfBlockId(block.name);
    if (offset !== null && block.size > 0) byOffset.set(offset, block);
  }
  const blockIds: string[] = [];
  let end = 0;
  for (let block = byOffset.get(0); block; block = byOffset.get(end)) {
    blockIds.push(block.name);
    end += block.size;
  }
  return { end, blockIds };
}
