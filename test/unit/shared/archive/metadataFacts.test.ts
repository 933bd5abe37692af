import { readFileSync } from 'node:fs';
import path from 'node:path';
import { metadataFacts } from '../../../../shared/archive/metadataFacts';
import { ACS_PUBLIC } from '../../../helpers/paths';

/** The REAL metadata file recorded from the service (2021): contentType and channelType swapped, format mp4. */
const REAL = readFileSync(path.join(ACS_PUBLIC, 'sdk/js-callingserver.recording_download.acsmetadata.json'), 'utf8');

/**
 * The metadata schema Learn documents (learn/call-recording.metadata-schema.txt), with values put in: an unmixed WAV,
 * each participant with the channel it was assigned to. `format` undefined leaves `recordingInfo.format` out.
 */
function unmixed(participants: unknown, format: unknown): string {
  return JSON.stringify({
    resourceId: '631fa8d8-aab5-4ac5-8e15-261aa2590750',
    callId: '36cf910b-932c-4101-a443-04e11a98aba5',
    chunkDocumentId: '0-eus-d16-4d30207fd28f8fe681e1d5523b1ba242',
    chunkIndex: 0,
    chunkStartTime: '2021-09-30T22:24:34.9497016Z',
    chunkDuration: 19320,
    pauseResumeIntervals: [],
    recordingInfo: {
      contentType: 'audio',
      channelType: 'unmixed',
      format,
      audioConfiguration: { sampleRate: 16000, bitRate: 128000, channels: 2 },
    },
    participants,
  });
}

const A = '8:acs:631fa8d8-aab5-4ac5-8e15-261aa2590750_0000000c-d8b0-8adc-73ff-234822000345';
const B = '8:acs:631fa8d8-aab5-4ac5-8e15-261aa2590750_0000000c-d8ac-54af-5bf4-343a0d0001ac';

describe('metadataFacts', () => {
  it('reads the format of the real file, and its content type although the fields are swapped', () => {
    expect(metadataFacts(REAL)).toEqual({
      participants: [A, B],
      problems: [],
      format: 'mp4',
      contentType: 'audioVideo',
      channels: null,
    });
  });

  it('maps the channels of an unmixed recording to its participants, sorted by channel', () => {
    const facts = metadataFacts(
      unmixed(
        [
          { participantId: B, channel: 1 },
          { participantId: A, channel: 0 },
        ],
        'wav',
      ),
    );
    expect(facts).toMatchObject({ format: 'wav', contentType: 'audio', participants: [B, A] });
    expect(facts.channels).toEqual([
      { channel: 0, participantId: A },
      { channel: 1, participantId: B },
    ]);
  });

  it('is lenient: a channel as a digit string, keys in another case; a bad channel or id is left out, never an error', () => {
    const facts = metadataFacts(
      unmixed(
        [
          { ParticipantId: A, Channel: '0' },
          { participantId: B, channel: -1 },
          { participantId: '', channel: 2 },
          { participantId: B, channel: 0 }, // a channel twice: the first entry keeps it
        ],
        'wav',
      ),
    );
    expect(facts.channels).toEqual([{ channel: 0, participantId: A }]);
  });

  it('gives null for what a file does not say, and for a file that is not JSON', () => {
    expect(metadataFacts(unmixed([{ participantId: A }], undefined))).toMatchObject({ format: null, channels: null });
    expect(metadataFacts(unmixed([], 42)).format).toBeNull();
    expect(metadataFacts('not json')).toEqual({
      participants: [],
      problems: ['metadata is not JSON'],
      format: null,
      contentType: null,
      channels: null,
    });
  });
});
