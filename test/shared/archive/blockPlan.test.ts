import { blockIdFor, offsetOfBlockId, stagedPrefix } from '../../../shared/archive/blockPlan';

describe('block plan', () => {
  it('round-trips offsets through same-length block ids', () => {
    const ids = [0, 8 * 1024 * 1024, 1_610_612_736, 2 ** 40].map(blockIdFor);
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
    expect(ids.map(offsetOfBlockId)).toEqual([0, 8 * 1024 * 1024, 1_610_612_736, 2 ** 40]);
    expect(offsetOfBlockId(Buffer.from('someone-else').toString('base64'))).toBeNull();
  });

  it('finds the contiguous staged prefix whatever the order and block size', () => {
    const blocks = [
      { name: blockIdFor(10), size: 10 },
      { name: blockIdFor(0), size: 10 },
      { name: blockIdFor(20), size: 5 },
      { name: blockIdFor(40), size: 10 }, // after a gap: not part of the prefix
    ];
    expect(stagedPrefix(blocks)).toEqual({ end: 25, blockIds: [blockIdFor(0), blockIdFor(10), blockIdFor(20)] });
  });

  it('has no prefix without a block at offset 0', () => {
    expect(stagedPrefix([{ name: blockIdFor(10), size: 10 }])).toEqual({ end: 0, blockIds: [] });
    expect(stagedPrefix([{ name: 'Zm9yZWlnbg==', size: 10 }])).toEqual({ end: 0, blockIds: [] });
  });
});
