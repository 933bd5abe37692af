import {
  chunkBlobName,
  chunkMetadataBlobName,
  isSafeToken,
  manifestBlobName,
  recordingKeyFor,
  rejectedBlobName,
} from '../../../shared/archive/naming';
import { createHash } from 'node:crypto';

describe('archive naming', () => {
  it('derives the recording key from the start time and the recordingId hash', () => {
    const id = 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==';
    const hash = createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 8);
    expect(recordingKeyFor('2021-07-27T15:20:23.6089755Z', id)).toBe(`20210727T152023Z-${hash}`);
  });

  it('hashes the start time as given when there is no recordingId', () => {
    const start = '2021-07-27T15:20:23.6089755Z';
    const hash = createHash('sha256').update(start, 'utf8').digest('hex').slice(0, 8);
    expect(recordingKeyFor(start, null)).toBe(`20210727T152023Z-${hash}`);
  });

  it('refuses start times that are not UTC ISO-8601', () => {
    expect(recordingKeyFor('2021-07-27 15:20:23', null)).toBeNull();
    expect(recordingKeyFor('2021-07-27T15:20:23+02:00', null)).toBeNull();
    expect(recordingKeyFor('2021-13-45T99:99:99Z', null)).toBeNull();
  });

  it('lays out blobs per SPEC section 6', () => {
    expect(manifestBlobName('call-1', '20210727T152023Z-1a2b3c4d')).toBe(
      'call-1/20210727T152023Z-1a2b3c4d/manifest.json',
    );
    expect(chunkBlobName('call-1', 'k', 7, 'mp3')).toBe('call-1/k/chunk-0007.mp3');
    expect(chunkMetadataBlobName('call-1', 'k', 12)).toBe('call-1/k/chunk-0012.metadata.json');
    expect(rejectedBlobName(new Date('2026-01-02T23:59:59Z'), 'abc')).toBe('_rejected/2026/01/02/abc.json');
  });

  it.each(['bbc0c8ea-6f0c-4f9c-a3b4-8b5f1a6c0c11', 'aHR0cHM6Ly9hcGk_-x', 'a'])('accepts the token %s', (token) => {
    expect(isSafeToken(token)).toBe(true);
  });

  it.each(['', '..', '../x', 'a/b', 'a\\b', '-leading', '_x', 'a b', 'x'.repeat(129), 'a%2fb', 'ünïcode'])(
    'refuses the token %j',
    (token) => {
      expect(isSafeToken(token)).toBe(false);
    },
  );
});
