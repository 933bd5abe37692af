import { participantsFromMetadata } from '../../../../shared/archive/participantsFromMetadata';

// Raw ids from Microsoft's "Understand identifier types" (REST), MicrosoftDocs/azure-docs
// articles/communication-services/concepts/includes/identifiers/identifiers-rest.md.
const ACS_USER = '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715';
const TEAMS_USER = '8:orgid:daba101a-91c5-44c9-bb9b-e2a9a790571a';
const PHONE = '4:+112345556789';

/**
 * The metadata file as the "Download recording metadata" response documents it (MicrosoftDocs/azure-docs,
 * articles/communication-services/concepts/voice-video-calling/call-recording.md, 2021), with the placeholder
 * `"string"` values filled in with the ids above.
 */
function documented(participants: unknown): string {
  return JSON.stringify({
    resourceId: 'string',
    callId: 'string',
    chunkDocumentId: 'string',
    chunkIndex: 0,
    chunkStartTime: 'string',
    chunkDuration: 0,
    pauseResumeIntervals: [{ startTime: 'string', duration: 0 }],
    recordingInfo: {
      contentType: 'string',
      channelType: 'string',
      format: 'string',
      audioConfiguration: { sampleRate: 'string', bitRate: 0, channels: 0 },
      videoConfiguration: { longerSideLength: 0, shorterSideLength: 0, framerate: 0, bitRate: 0 },
    },
    participants,
  });
}

describe('participantsFromMetadata', () => {
  it('reads the documented shape', () => {
    expect(participantsFromMetadata(documented([{ participantId: ACS_USER }, { participantId: TEAMS_USER }]))).toEqual({
      ids: [ACS_USER, TEAMS_USER],
      problems: [],
    });
  });

  it('reads unmixed files, whose entries also carry a channel', () => {
    const text = documented([
      { participantId: ACS_USER, channel: 0 },
      { participantId: PHONE, channel: 1 },
    ]);
    expect(participantsFromMetadata(text).ids).toEqual([ACS_USER, PHONE]);
  });

  it('takes ids written as plain strings, or under participantID / ParticipantId / PARTICIPANTID', () => {
    const text = documented([
      ACS_USER,
      { participantID: TEAMS_USER },
      { ParticipantId: PHONE },
      { PARTICIPANTID: 'x' },
    ]);
    expect(participantsFromMetadata(text)).toEqual({ ids: [ACS_USER, TEAMS_USER, PHONE, 'x'], problems: [] });
  });

  it('takes ids nested as identifier objects (the REST CommunicationIdentifierModel and its variants)', () => {
    const text = documented([
      { communicationIdentifier: { rawId: ACS_USER } },
      // The REST response form of the same page: kind, rawId, and the subtype.
      { kind: 'microsoftTeamsUser', rawId: TEAMS_USER, microsoftTeamsUser: { userId: 'daba101a' } },
      { participantId: { rawId: PHONE, kind: 'phoneNumber' } },
      { identifier: { communicationUser: { id: '8:acs:nested' } } },
    ]);
    const result = participantsFromMetadata(text);
    expect(result.ids).toEqual([ACS_USER, TEAMS_USER, PHONE, '8:acs:nested']);
    expect(result.problems).toEqual([
      "participants[0]: id read from the object under 'communicationIdentifier'",
      "participants[2]: id read from the object under 'participantId'",
      "participants[3]: id read from the object under 'identifier'",
    ]);
  });

  it('finds an MRI under another key when fields were swapped, and says so', () => {
    const result = participantsFromMetadata(documented([{ participantId: 0, channel: ACS_USER }]));
    expect(result).toEqual({ ids: [ACS_USER], problems: ["participants[0]: id found under 'channel'"] });
  });

  it('indexes what it can and describes the rest by position and key, never by id', () => {
    const result = participantsFromMetadata(
      documented([
        { participantId: ACS_USER },
        { participantId: 7 },
        { displayName: 'Alice Example' },
        42,
        null,
        { participantId: '' },
        { participantId: `${PHONE}\n` },
        { participantId: ACS_USER },
      ]),
    );
    expect(result.ids).toEqual([ACS_USER]);
    expect(result.problems).toEqual([
      "participants[1]: 'participantId' is a number, not a string",
      'participants[2]: no participant id (fields: displayName)',
      'participants[3]: is a number, not a participant',
      'participants[4]: is null, not a participant',
      'participants[5]: the participant id is empty; not indexed',
      'participants[6]: the participant id contains control or formatting characters; not indexed',
    ]);
    expect(result.problems.join(' ')).not.toContain('Alice');
    expect(result.problems.join(' ')).not.toContain('+1123');
  });

  it('reads a single participant object where a list was expected', () => {
    expect(participantsFromMetadata(documented({ participantId: ACS_USER }))).toEqual({
      ids: [ACS_USER],
      problems: ['participants is an object, not a list; read as a list of one'],
    });
  });

  it('finds the list under Participants too', () => {
    expect(participantsFromMetadata(JSON.stringify({ Participants: [{ participantId: PHONE }] })).ids).toEqual([PHONE]);
  });

  it.each([
    ['not JSON', '{"participants": [', 'metadata is not JSON'],
    ['a list', '[{"participantId":"8:acs:x"}]', 'metadata is a list, not a JSON object'],
    ['a string', '"8:acs:x"', 'metadata is a string, not a JSON object'],
    ['without participants', JSON.stringify({ callId: 'c', chunkIndex: 0 }), 'metadata has no participants list'],
    ['with participants null', JSON.stringify({ participants: null }), 'participants is null'],
  ])('never throws on metadata that is %s', (_what, text, problem) => {
    expect(participantsFromMetadata(text)).toEqual({ ids: [], problems: [problem] });
  });

  it('reads a file that starts with a UTF-8 byte order mark', () => {
    expect(participantsFromMetadata(`\ufeff${documented([{ participantId: ACS_USER }])}`).ids).toEqual([ACS_USER]);
  });

  it('keeps ids exactly as written (no trimming, no case folding) and deduplicates them in order', () => {
    const text = documented(['8:ACS:Upper', '8:acs:upper', '8:ACS:Upper', { participantId: '8:acs:upper' }]);
    expect(participantsFromMetadata(text).ids).toEqual(['8:ACS:Upper', '8:acs:upper']);
  });

  it('reads at most 10,000 entries', () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ participantId: `8:acs:p${i}` }));
    const result = participantsFromMetadata(documented(many));
    expect(result.ids).toHaveLength(10_000);
    expect(result.problems).toEqual(['participants has 10001 entries; only the first 10000 were read']);
  });
});
