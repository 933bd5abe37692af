import {
  chunkBlobName,
  chunkLeaseName,
  chunkMetadataBlobName,
  formatFor,
  formatOfBlobName,
  isRecordingKey,
  isSafeToken,
  manifestBlobName,
  mimeTypeFor,
  pendingMarkerName,
  recordingKeyFor,
  rejectedBlobName,
} from '../../../../shared/recording/naming';

describe('archive naming', () => {
  it('derives the recording key from the start time and the recordingId hash', () => {
    // sha256("eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==") starts b3195f87
    expect(recordingKeyFor('2021-07-27T15:20:23.6089755Z', 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==')).toBe(
      '20210727T152023Z-b3195f87',
    );
  });

  it('hashes the start time as given when there is no recordingId', () => {
    // sha256("2021-07-27T15:20:23.6089755Z") starts 850a9d1e
    expect(recordingKeyFor('2021-07-27T15:20:23.6089755Z', null)).toBe('20210727T152023Z-850a9d1e');
  });

  it('is undated when the start time is missing or not a UTC ISO-8601 time', () => {
    expect(recordingKeyFor(null, 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==')).toBe('undated-b3195f87');
    expect(recordingKeyFor(null, null)).toBe('undated-e3b0c442'); // sha256 of the empty string
    expect(recordingKeyFor('yesterday', null)).toBe('undated-9523d9fb');
    expect(recordingKeyFor('2021-07-27T15:20:23+02:00', 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==')).toBe(
      'undated-b3195f87',
    );
    expect(recordingKeyFor('2021-13-45T99:99:99Z', 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIyMTAwNWM4MCJ9==')).toBe(
      'undated-b3195f87',
    );
  });

  it('recognises recording keys and nothing else', () => {
    expect(isRecordingKey('20210727T152023Z-b3195f87')).toBe(true);
    expect(isRecordingKey('undated-e3b0c442')).toBe(true);
    expect(isRecordingKey('../manifest')).toBe(false);
    expect(isRecordingKey('20210727T152023Z-B3195F87')).toBe(false);
  });

  it('lays out the archive as documented (one folder per recording) and the bookkeeping in the control container', () => {
    expect(manifestBlobName('call-1', '20210727T152023Z-1a2b3c4d')).toBe(
      'call-1/20210727T152023Z-1a2b3c4d/manifest.json',
    );
    expect(chunkBlobName('call-1', 'k', 7, 'mp3')).toBe('call-1/k/chunk-0007.mp3');
    expect(chunkBlobName('call-1', 'k', 12, 'bin')).toBe('call-1/k/chunk-0012.bin');
    expect(chunkMetadataBlobName('call-1', 'k', 12)).toBe('call-1/k/chunk-0012.metadata.json');
    expect(rejectedBlobName(new Date('2026-01-02T23:59:59Z'), 'abc')).toBe('_rejected/2026/01/02/abc.json');
    expect(pendingMarkerName('call-1', 'k')).toBe('pending/call-1/k');
    expect(chunkLeaseName('call-1', 'k', 3)).toBe('leases/call-1/k/3');
  });

  it('takes the extension from a named format, bin when the name is unknown, and guesses nothing when none is named', () => {
    expect([formatFor('Mp3'), formatFor('WAV'), formatFor('mp4'), formatFor('Ogg'), formatFor(null)]).toEqual([
      'mp3',
      'wav',
      'mp4',
      'bin',
      null,
    ]);
    expect(['chunk-0000.wav', 'a/b/chunk-0012.bin', 'chunk-0001.metadata.json'].map(formatOfBlobName)).toEqual([
      'wav',
      'bin',
      null,
    ]);
    expect(mimeTypeFor('bin', null)).toBe('application/octet-stream');
    expect(mimeTypeFor('mp4', 'Audio')).toBe('audio/mp4');
    expect(mimeTypeFor('mp4', 'AudioVideo')).toBe('video/mp4');
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
