import {
  blockIdFor,
  likeliestFingerprint,
  parseBlockId,
  sourceFingerprint,
  stagedPrefix,
} from '../../../../../shared/archive/copy/blockPlan';

const V1 = '0123456789ab';
const V2 = 'ba9876543210';
const id = (fingerprint: string, offset: number, length: number) => blockIdFor(fingerprint, offset, length);

describe('block plan', () => {
  it('names the source version, the offset and the length in a fixed-width id', () => {
    // base64 of `cra2-0123456789ab-0000000800000-00800000`
    expect(blockIdFor(V1, 8 * 1024 * 1024, 8 * 1024 * 1024)).toBe(
      'Y3JhMi0wMTIzNDU2Nzg5YWItMDAwMDAwMDgwMDAwMC0wMDgwMDAwMA==',
    );
    const ids = [
      [0, 1],
      [8 * 1024 * 1024, 8 * 1024 * 1024],
      [1_610_612_736, 3],
      [2 ** 40, 2 ** 32 - 1],
    ].map(([offset, length]) => id(V1, offset!, length!));
    expect(new Set(ids.map((i) => i.length)).size).toBe(1);
    expect(ids.map(parseBlockId)).toEqual([
      { fingerprint: V1, offset: 0, length: 1 },
      { fingerprint: V1, offset: 8388608, length: 8388608 },
      { fingerprint: V1, offset: 1610612736, length: 3 },
      { fingerprint: V1, offset: 1099511627776, length: 4294967295 },
    ]);
    expect(parseBlockId(Buffer.from('someone-else').toString('base64'))).toBeNull();
    // The first version's ids (cra1-<offset>) are not ours any more: a resume starts that chunk over.
    expect(parseBlockId(Buffer.from('cra1-000000000000000').toString('base64'))).toBeNull();
  });

  it('fingerprints a source version by its declared size and ETag', () => {
    expect(sourceFingerprint(1000, '"0x8D"')).toBe('5e981470b9df');
    expect(sourceFingerprint(1000, null)).not.toBe(sourceFingerprint(1000, '"0x8D"'));
    expect(sourceFingerprint(1001, '"0x8D"')).not.toBe(sourceFingerprint(1000, '"0x8D"'));
  });

  it('finds the contiguous staged prefix of one version whatever the order and block sizes', () => {
    const blocks = [
      { name: id(V1, 10, 10), size: 10 },
      { name: id(V1, 0, 10), size: 10 },
      { name: id(V1, 20, 5), size: 5 },
      { name: id(V1, 40, 10), size: 10 }, // after a gap: not part of the prefix
      { name: id(V2, 25, 15), size: 15 }, // another version fills the gap: not ours
    ];
    expect(stagedPrefix(blocks, V1)).toEqual({ end: 25, blockIds: [id(V1, 0, 10), id(V1, 10, 10), id(V1, 20, 5)] });
    expect(stagedPrefix(blocks, V2)).toEqual({ end: 0, blockIds: [] });
  });

  it('ignores a block whose stored size is not the length its id names', () => {
    expect(stagedPrefix([{ name: id(V1, 0, 10), size: 7 }], V1)).toEqual({ end: 0, blockIds: [] });
  });

  it('has no prefix without a block at offset 0', () => {
    expect(stagedPrefix([{ name: id(V1, 10, 10), size: 10 }], V1)).toEqual({ end: 0, blockIds: [] });
    expect(stagedPrefix([{ name: 'Zm9yZWlnbg==', size: 10 }], V1)).toEqual({ end: 0, blockIds: [] });
  });

  it('resumes the version with the longest staged run first', () => {
    const blocks = [
      { name: id(V1, 0, 10), size: 10 },
      { name: id(V2, 0, 10), size: 10 },
      { name: id(V2, 10, 10), size: 10 },
    ];
    expect(likeliestFingerprint(blocks)).toBe(V2);
    expect(likeliestFingerprint([])).toBeNull();
  });
});
