import { callFolders, chunkFileRole, matchChunkFiles } from '../../../../../shared/archive/inPlace/byosLayout';

/**
 * The folder structure Learn publishes for bring your own storage ("Call recording: Bring your own Azure storage
 * quickstart", MicrosoftDocs/azure-docs articles/communication-services/quickstarts/call-automation/call-recording/
 * bring-your-own-storage.md, commit 18de66f4fd79b40307c491ff70b4515a4aeae777, "Folder Structure for Call Recording";
 * the same lines are quoted in test/fixtures/acs-public/index.json), verbatim:
 */
const LEARN_LAYOUT = [
  "/YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-acsmetadata.documentId.json",
  "/YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-audiomp3.documentId.mp3",
];

const CALL_ID = '36cf910b-932c-4101-a443-04e11a98aba5'; // the real metadata file's callId (the corpus placeholder)
const DOCUMENT_ID = '0-eus-d2-3cca2175891f21c6c9a5975a12c0141c'; // the form of SPEC's example documentId
const RECORDING_ID = 'eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiI='; // opaque; starts like the 2025-06-15 example's

/** Learn's template with its placeholders filled in (a guid, chunk-id 0), without the leading slash of a blob name. */
function learnName(template: string, values: { day: string; documentId?: string; recordingId?: string }): string {
  return template
    .replace(/^\//, '')
    .replace('YYYYMMDD', values.day)
    .replace('callId', CALL_ID)
    .replace(
      "first_8_of_recordingId + '-' + unique guid",
      `${(values.recordingId ?? RECORDING_ID).slice(0, 8)}-6f1c9a52-6a4e-4f5e-9a77-1b2f7d0c3e11`,
    )
    .replace('[chunk-id]', '0')
    .replace('documentId', values.documentId ?? DOCUMENT_ID);
}

const [METADATA_NAME, CONTENT_NAME] = LEARN_LAYOUT.map((t) => learnName(t, { day: '20210727' })) as [string, string];

describe("the customer's container as Learn lays it out", () => {
  it("tells a chunk's metadata file and media file by its documentId", () => {
    expect(chunkFileRole(METADATA_NAME, DOCUMENT_ID)).toEqual({ role: 'metadata' });
    expect(chunkFileRole(CONTENT_NAME, DOCUMENT_ID)).toEqual({ role: 'content', extension: 'mp3', format: 'mp3' });
  });

  it('takes WAV, MP4 and unknown media by the same pattern, and an unknown extension as bin', () => {
    expect(chunkFileRole(`x/0-audiowav.${DOCUMENT_ID}.wav`, DOCUMENT_ID)).toMatchObject({ format: 'wav' });
    expect(chunkFileRole(`x/0-audiovideomp4.${DOCUMENT_ID}.MP4`, DOCUMENT_ID)).toMatchObject({ format: 'mp4' });
    expect(chunkFileRole(`x/0-audioogg.${DOCUMENT_ID}.ogg`, DOCUMENT_ID)).toMatchObject({ format: 'bin' });
  });

  it("never takes another document's file: the documentId must be a whole dotted part of the name", () => {
    expect(chunkFileRole(CONTENT_NAME, '0-eus-d2-3cca2175')).toBeNull(); // a prefix of it
    expect(chunkFileRole(CONTENT_NAME, 'd2-3cca2175891f21c6c9a5975a12c0141c')).toBeNull(); // a suffix of it
    expect(chunkFileRole(`x/0-audiomp3.${DOCUMENT_ID}x.mp3`, DOCUMENT_ID)).toBeNull();
    expect(chunkFileRole(`x/0-notes.${DOCUMENT_ID}.json`, DOCUMENT_ID)).toBeNull(); // JSON that is not acsmetadata
    expect(chunkFileRole(`x/0-acsmetadata.${DOCUMENT_ID}.mp3`, DOCUMENT_ID)).toBeNull();
  });

  it('does not rely on the recordingId folder: a recordingId with a slash splits it, and the files are still found', () => {
    const names = LEARN_LAYOUT.map((t) => learnName(t, { day: '20210727', recordingId: 'ab/+cdefgh' }));
    expect(names[0]).toContain(`/${CALL_ID}/ab/+cdef-`); // two folder levels, not one
    const matched = matchChunkFiles(
      names.map((name) => ({ name })),
      DOCUMENT_ID,
    );
    expect(matched).toEqual({ content: { name: names[1], format: 'mp3' }, metadata: { name: names[0] } });
  });

  it('says what is missing, and refuses to choose between two files of one document', () => {
    expect(matchChunkFiles([{ name: METADATA_NAME }], DOCUMENT_ID)).toEqual({
      missing: `no media file of document ${DOCUMENT_ID}`,
    });
    expect(matchChunkFiles([], DOCUMENT_ID)).toEqual({
      missing: `no media file and metadata file of document ${DOCUMENT_ID}`,
    });
    const twice = matchChunkFiles(
      [{ name: METADATA_NAME }, { name: CONTENT_NAME }, { name: CONTENT_NAME.replace('/0-', '/1-') }],
      DOCUMENT_ID,
    );
    expect(twice).toEqual({ ambiguous: expect.stringContaining(`more than one file names document ${DOCUMENT_ID}`) });
  });

  it('looks in the call folder of each UTC day from the day before the recording to the day after it ended', () => {
    const folders = callFolders({
      callId: CALL_ID,
      recordingStartTime: '2021-07-27T23:50:23.6089755Z',
      recordingDurationMs: 20 * 60_000, // past midnight
      createdAt: '2021-07-28T00:12:00.000Z',
    });
    expect(folders).toEqual(['20210726', '20210727', '20210728', '20210729'].map((d) => `${d}/${CALL_ID}/`));
    // The published layout starts with the day folder: these are the prefixes its names start with.
    expect(METADATA_NAME.startsWith(folders[1]!)).toBe(true);
  });

  it('without a start time, looks around the day the archive first heard of the recording; under the URL path', () => {
    const folders = callFolders(
      { callId: CALL_ID, recordingStartTime: null, recordingDurationMs: null, createdAt: '2021-07-28T00:12:00Z' },
      'exports/',
    );
    expect(folders).toEqual(['20210727', '20210728', '20210729'].map((d) => `exports/${d}/${CALL_ID}/`));
  });
});
